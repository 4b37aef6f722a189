package api_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/livegate/livegate/internal/api"
	"github.com/livegate/livegate/internal/httpx"
	"github.com/livegate/livegate/internal/session"
	"github.com/livegate/livegate/internal/session/memstore"
	"github.com/livegate/livegate/internal/session/redisstore"
	"github.com/livegate/livegate/internal/session/sessiontest"
)

var (
	authPolicy     = session.LockoutPolicy{Failures: 10, Window: 5 * time.Minute, Lock: 15 * time.Minute}
	attemptsPolicy = session.LockoutPolicy{Failures: 5, Window: 3 * time.Minute, Lock: 30 * time.Minute}
	checksRate     = session.RateLimit{PerSecond: 1, Burst: 3}
)

// limitsBackend builds the API's lockouts and check limiter over one clock,
// in memory or in Redis.
type limitsBackend struct {
	name string
	new  func(t *testing.T, now func() time.Time) (auth, attempts session.Lockout, checks session.RateLimiter)
}

var limitsBackends = []limitsBackend{
	{"memory", func(t *testing.T, now func() time.Time) (session.Lockout, session.Lockout, session.RateLimiter) {
		return memstore.NewLockout(authPolicy, memstore.WithClock(now)),
			memstore.NewLockout(attemptsPolicy, memstore.WithClock(now)),
			memstore.NewRateLimiter(checksRate, memstore.WithClock(now))
	}},
	{"redis", func(t *testing.T, now func() time.Time) (session.Lockout, session.Lockout, session.RateLimiter) {
		c := sessiontest.RedisClient(t)
		p := sessiontest.RedisPrefix(t, c)
		// The server gives each limit its own prefix, as here.
		return redisstore.NewLockout(c, authPolicy, redisstore.WithPrefix(p+"auth:"), redisstore.WithClock(now)),
			redisstore.NewLockout(c, attemptsPolicy, redisstore.WithPrefix(p+"attempts:"), redisstore.WithClock(now)),
			redisstore.NewRateLimiter(c, checksRate, redisstore.WithPrefix(p+"checks:"), redisstore.WithClock(now))
	}},
}

type limitsFixture struct {
	*fixture
	attempts session.Lockout
}

// newLimitsFixture is newFixture with every limit set and the client
// address taken from X-Forwarded-For behind the trusted proxy 10.0.0.1.
func newLimitsFixture(t *testing.T, b limitsBackend) *limitsFixture {
	t.Helper()
	c := sessiontest.NewClock(sessiontest.Start)
	st := memstore.New(memstore.WithClock(c.Now))
	t.Cleanup(func() { _ = st.Close() })
	tp, err := httpx.ParseTrustedProxies("10.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	auth, attempts, checks := b.new(t, c.Now)
	h, err := api.New(api.Config{
		Store:     st,
		Keys:      []api.Key{{Secret: keyA}, {Secret: keyB}},
		PublicURL: public,
		Now:       c.Now,
		Limits:    api.Limits{ClientIP: tp.ClientIP, Auth: auth, Attempts: attempts, Checks: checks},
	})
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	return &limitsFixture{
		fixture:  &fixture{t: t, clock: c, store: st, h: httpx.Middleware(h, log, httpx.NewMetrics(prometheus.NewRegistry()), api.WritePanic)},
		attempts: attempts,
	}
}

// from sends the request through the trusted proxy on behalf of ip.
func from(ip string) func(*http.Request) {
	return func(r *http.Request) {
		r.RemoteAddr = "10.0.0.1:40000"
		r.Header.Set("X-Forwarded-For", ip)
	}
}

func forEachBackend(t *testing.T, fn func(t *testing.T, f *limitsFixture)) {
	for _, b := range limitsBackends {
		t.Run(b.name, func(t *testing.T) { fn(t, newLimitsFixture(t, b)) })
	}
}

// TestWrongKeysLockTheAddress: 300 wrong keys from one address used to be
// 300 × 401; now the address is locked after 10, for every key.
func TestWrongKeysLockTheAddress(t *testing.T) {
	forEachBackend(t, func(t *testing.T, f *limitsFixture) {
		counts := map[int]int{}
		var last reply
		for i := range 300 {
			last = f.do("GET", sessions+"/"+session.NewID(), fmt.Sprintf("wrong-key-%04d-0123456789", i), "", from("198.51.100.9"))
			counts[last.code]++
		}
		if counts[401] != authPolicy.Failures || counts[429] != 300-authPolicy.Failures {
			t.Fatalf("300 wrong keys: got %v; want %d × 401 then 429", counts, authPolicy.Failures)
		}
		if last.obj["error_code"] != session.ReasonAuthLocked || last.hdr.Get("Retry-After") != "900" {
			t.Errorf("locked reply: got Retry-After %q %s; want 900 and error_code %s", last.hdr.Get("Retry-After"), last.body, session.ReasonAuthLocked)
		}
		body := `{"success_url":"https://a.example/"}`
		// The right key from the locked address is refused too (no oracle).
		if r := f.do("POST", sessions, keyA, body, from("198.51.100.9")); r.code != 429 {
			t.Errorf("right key from the locked address: got %d; want 429", r.code)
		}
		// Another address, even behind the same proxy, is not locked.
		if r := f.do("POST", sessions, keyA, body, from("198.51.100.10")); r.code != 200 {
			t.Errorf("right key from another address: got %d %s; want 200", r.code, r.body)
		}
		f.clock.Advance(authPolicy.Lock)
		if r := f.do("POST", sessions, keyA, body, from("198.51.100.9")); r.code != 200 {
			t.Errorf("after the lock: got %d %s; want 200", r.code, r.body)
		}
	})
}

// TestLockedDeviceCannotCreate: 50 creates with one device_correlation_id
// after its failures used to be 50 × 200; a locked device now gets 429
// device_locked, for this key only.
func TestLockedDeviceCannotCreate(t *testing.T) {
	forEachBackend(t, func(t *testing.T, f *limitsFixture) {
		ctx := context.Background()
		owner := api.Key{Secret: keyA}.ID()
		for range attemptsPolicy.Failures {
			if _, err := f.attempts.Fail(ctx, session.DeviceLockoutKey(owner, "phone-1")); err != nil {
				t.Fatal(err)
			}
		}
		body := `{"success_url":"https://a.example/","device_correlation_id":"phone-1"}`
		for i := range 50 {
			r := f.do("POST", sessions, keyA, body)
			if r.code != 429 || r.obj["error_code"] != session.ReasonDeviceLocked || r.hdr.Get("Retry-After") != "1800" {
				t.Fatalf("create %d for the locked device: got %d Retry-After %q %s; want 429, 1800, %s", i+1, r.code, r.hdr.Get("Retry-After"), r.body, session.ReasonDeviceLocked)
			}
		}
		f.create(keyA, `{"success_url":"https://a.example/","device_correlation_id":"phone-2"}`)
		f.create(keyB, body) // another integrator's device of the same name
		f.clock.Advance(attemptsPolicy.Lock)
		f.create(keyA, body)
		if n := f.store.Len(); n != 3 {
			t.Errorf("stored %d sessions; want 3", n)
		}
	})
}

// TestImageChecksLimited: the single-image checks had no limit; now each
// key and each client address has a bucket.
func TestImageChecksLimited(t *testing.T) {
	forEachBackend(t, func(t *testing.T, f *limitsFixture) {
		// No checker is configured, so an admitted request is 503.
		paths := []string{"/face/v1/active-liveness", "/face/v1/passive-liveness", "/face/v1/match"}
		for i := range checksRate.Burst {
			if r := f.do("POST", paths[i%3], keyA, "{}", from(fmt.Sprint("198.51.100.", i+1))); r.code != 503 {
				t.Fatalf("check %d: got %d %s; want 503 (admitted)", i+1, r.code, r.body)
			}
		}
		r := f.do("POST", paths[0], keyA, "{}", from("198.51.100.50"))
		if r.code != 429 || r.obj["error_code"] != session.ReasonRateLimited || r.hdr.Get("Retry-After") != "1" {
			t.Fatalf("key over its burst: got %d Retry-After %q %s; want 429, 1", r.code, r.hdr.Get("Retry-After"), r.body)
		}
		f.clock.Advance(10 * time.Second) // every bucket full again
		// One address, whatever its keys: its own bucket.
		for i := range checksRate.Burst {
			if r := f.do("POST", paths[1], keyB, "{}", from("198.51.100.60")); r.code != 503 {
				t.Fatalf("keyB check %d: got %d; want 503", i+1, r.code)
			}
		}
		if r := f.do("POST", paths[2], keyA, "{}", from("198.51.100.60")); r.code != 429 {
			t.Fatalf("address over its burst with a fresh key: got %d %s; want 429", r.code, r.body)
		}
		if r := f.do("POST", paths[2], keyA, "{}", from("198.51.100.61")); r.code != 503 {
			t.Fatalf("keyA from another address: got %d %s; want 503", r.code, r.body)
		}
		// Creating and reading sessions is not a check.
		f.create(keyA, `{"success_url":"https://a.example/"}`)
	})
}

// TestAuditRecordsForwardedClient: behind a trusted proxy, the audit trail
// holds the client's address, not the proxy's.
func TestAuditRecordsForwardedClient(t *testing.T) {
	f := newLimitsFixture(t, limitsBackends[0])
	r := f.do("POST", sessions, keyA, `{"success_url":"https://a.example/"}`, from("203.0.113.44"))
	sid := r.obj["sid"].(string)
	entries, err := f.store.Audit(context.Background(), sid)
	if err != nil || len(entries) != 1 || entries[0].ClientIP != "203.0.113.44" {
		t.Fatalf("audit: got %+v, %v; want one entry from 203.0.113.44", entries, err)
	}
	// An untrusted peer's header is ignored.
	r = f.do("POST", sessions, keyA, `{"success_url":"https://a.example/"}`, func(r *http.Request) {
		r.RemoteAddr = "192.0.2.77:1234"
		r.Header.Set("X-Forwarded-For", "203.0.113.44")
	})
	entries, _ = f.store.Audit(context.Background(), r.obj["sid"].(string))
	if len(entries) != 1 || entries[0].ClientIP != "192.0.2.77" {
		t.Fatalf("audit: got %+v; want one entry from 192.0.2.77", entries)
	}
}
