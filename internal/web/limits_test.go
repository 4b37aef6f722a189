package web_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/livegate/livegate/internal/httpx"
	"github.com/livegate/livegate/internal/session"
	"github.com/livegate/livegate/internal/session/memstore"
	"github.com/livegate/livegate/internal/session/redisstore"
	"github.com/livegate/livegate/internal/session/sessiontest"
	"github.com/livegate/livegate/internal/web"
)

var (
	attemptsPolicy = session.LockoutPolicy{Failures: 5, Window: 3 * time.Minute, Lock: 30 * time.Minute}
	offerRate      = session.RateLimit{PerSecond: 0.1, Burst: 2}
)

// newLimits builds the pages' limits in memory or in Redis, over now.
var limitBackends = map[string]func(t *testing.T, now func() time.Time) web.Limits{
	"memory": func(t *testing.T, now func() time.Time) web.Limits {
		return web.Limits{
			Attempts:     memstore.NewLockout(attemptsPolicy, memstore.WithClock(now)),
			OffersPerKey: memstore.NewRateLimiter(session.RateLimit{PerSecond: 0.1, Burst: 3}, memstore.WithClock(now)),
			OffersPerIP:  memstore.NewRateLimiter(offerRate, memstore.WithClock(now)),
		}
	},
	"redis": func(t *testing.T, now func() time.Time) web.Limits {
		c := sessiontest.RedisClient(t)
		p := sessiontest.RedisPrefix(t, c)
		return web.Limits{
			Attempts:     redisstore.NewLockout(c, attemptsPolicy, redisstore.WithPrefix(p+"attempts:"), redisstore.WithClock(now)),
			OffersPerKey: redisstore.NewRateLimiter(c, session.RateLimit{PerSecond: 0.1, Burst: 3}, redisstore.WithPrefix(p+"offer-key:"), redisstore.WithClock(now)),
			OffersPerIP:  redisstore.NewRateLimiter(c, offerRate, redisstore.WithPrefix(p+"offer-ip:"), redisstore.WithClock(now)),
		}
	},
}

// newLimitsEnv is newEnv with the limits and the client address read from
// X-Forwarded-For behind httptest's peer, 192.0.2.1, a trusted proxy here.
func newLimitsEnv(t *testing.T, backend string, live web.Live) (*env, web.Limits) {
	t.Helper()
	tp, err := httpx.ParseTrustedProxies("192.0.2.1")
	if err != nil {
		t.Fatal(err)
	}
	var lim web.Limits
	var clk *clock
	// The limits read the env's clock, which newEnv makes: go through a
	// forwarding func.
	now := func() time.Time { return clk.Now() }
	lim = limitBackends[backend](t, now)
	e := newEnv(t, web.Config{Live: live, ClientIP: tp.ClientIP, Limits: lim})
	clk = e.clock
	return e, lim
}

// from sends req on behalf of ip, through the trusted proxy.
func from(ip string) map[string]string { return map[string]string{"X-Forwarded-For": ip} }

func (b *browser) getFrom(path, ip string) *response {
	b.e.t.Helper()
	req := httptest.NewRequest(http.MethodGet, b.e.public+path, nil)
	req.Header.Set("X-Forwarded-For", ip)
	return b.do(req)
}

func lockKey(t *testing.T, l session.Lockout, key string) {
	t.Helper()
	for range attemptsPolicy.Failures {
		if _, err := l.Fail(context.Background(), key); err != nil {
			t.Fatal(err)
		}
	}
}

// TestLockedPageSaysTooManyAttempts: a locked address or device sees a
// plain "too many attempts" screen in its language, and the session is not
// claimed.
func TestLockedPageSaysTooManyAttempts(t *testing.T) {
	for backend := range limitBackends {
		t.Run(backend, func(t *testing.T) {
			e, lim := newLimitsEnv(t, backend, nil)
			lockKey(t, lim.Attempts, session.IPLockoutKey("203.0.113.5"))
			s := e.create(session.Params{})

			r := e.browser().getFrom("/s/"+s.ID, "203.0.113.5")
			r.wantScreen(t, http.StatusTooManyRequests, "screen-locked")
			if h1 := findAll(r.doc, isH1); len(h1) != 1 || text(h1[0]) != "Too many attempts" {
				t.Errorf("English title: got %v", r.body)
			}
			if got := r.Header.Get("Retry-After"); got != "1800" {
				t.Errorf("Retry-After: got %q; want 1800", got)
			}
			id := e.browser()
			id.lang = "id"
			r = id.getFrom("/s/"+s.ID, "203.0.113.5")
			r.wantScreen(t, http.StatusTooManyRequests, "screen-locked")
			if h1 := findAll(r.doc, isH1); len(h1) != 1 || text(h1[0]) != "Terlalu banyak percobaan" {
				t.Errorf("Indonesian title: got %v", r.body)
			}
			if got := e.get(s.ID).ClaimedBy; got != "" {
				t.Errorf("a locked page claimed the session (%q)", got)
			}

			// A locked device, from any address.
			d := e.create(session.Params{DeviceCorrelationID: "phone-1"})
			lockKey(t, lim.Attempts, session.DeviceLockoutKey(d.Owner, "phone-1"))
			e.browser().getFrom("/s/"+d.ID, "198.51.100.1").wantScreen(t, http.StatusTooManyRequests, "screen-locked")

			// Anyone else goes on to the consent screen; after the lock, so does the address.
			if r := e.browser().getFrom("/s/"+s.ID, "198.51.100.1"); r.StatusCode != http.StatusOK || r.screen() == "screen-locked" {
				t.Fatalf("unlocked address: got %d %q", r.StatusCode, r.screen())
			}
			e.clock.Add(attemptsPolicy.Lock)
			if r := e.browser().getFrom("/s/"+d.ID, "203.0.113.5"); r.StatusCode != http.StatusOK || r.screen() == "screen-locked" {
				t.Fatalf("after the lock: got %d %q", r.StatusCode, r.screen())
			}
		})
	}
}

func wantLimitError(t *testing.T, name string, r *response, status int, code string) {
	t.Helper()
	wantAPIError(t, name, r, status)
	var body httpx.ErrorBody
	_ = json.Unmarshal([]byte(r.body), &body)
	if body.ErrorCode != code || r.Header.Get("Retry-After") == "" {
		t.Errorf("%s: got error_code %q Retry-After %q; want %q and a Retry-After", name, body.ErrorCode, r.Header.Get("Retry-After"), code)
	}
}

// TestOfferLimits: offers had no limit; now a locked address is refused,
// and each address and each key has a bucket of offers.
func TestOfferLimits(t *testing.T) {
	for backend := range limitBackends {
		t.Run(backend, func(t *testing.T) {
			live := &fakeSignaller{}
			e, lim := newLimitsEnv(t, backend, live)
			offer := func(s *session.Session, ip string) *response {
				t.Helper()
				b := e.browser()
				b.start(s.ID)
				_, token := b.getFrom("/s/"+s.ID, ip).cancelForm(t)
				return b.signal("POST", "/s/"+s.ID+"/offer", token, "v=0\r\noffer\r\n", from(ip))
			}
			s := e.create(session.Params{CancelURL: cancelURL})
			b := e.browser()
			b.start(s.ID)
			_, token := b.getFrom("/s/"+s.ID, "203.0.113.5").cancelForm(t)
			for i := range offerRate.Burst {
				if r := b.signal("POST", "/s/"+s.ID+"/offer", token, "v=0\r\noffer\r\n", from("203.0.113.5")); r.StatusCode != http.StatusCreated {
					t.Fatalf("offer %d: got %d %s; want 201", i+1, r.StatusCode, r.body)
				}
			}
			r := b.signal("POST", "/s/"+s.ID+"/offer", token, "v=0\r\noffer\r\n", from("203.0.113.5"))
			wantLimitError(t, "offer past the address's burst", r, http.StatusTooManyRequests, session.ReasonRateLimited)
			if len(live.offers) != offerRate.Burst {
				t.Errorf("Live.Offer called %d times; want %d", len(live.offers), offerRate.Burst)
			}

			// The key's bucket (3) is shared by its sessions from any address.
			if r := offer(e.create(session.Params{CancelURL: cancelURL}), "198.51.100.1"); r.StatusCode != http.StatusCreated {
				t.Fatalf("third offer of the key: got %d %s; want 201", r.StatusCode, r.body)
			}
			wantLimitError(t, "offer past the key's burst", offer(e.create(session.Params{CancelURL: cancelURL}), "198.51.100.2"),
				http.StatusTooManyRequests, session.ReasonRateLimited)

			// A locked address is refused before any bucket is touched.
			e.clock.Add(time.Hour)
			s2 := e.create(session.Params{CancelURL: cancelURL})
			b2 := e.browser()
			b2.start(s2.ID)
			_, token2 := b2.getFrom("/s/"+s2.ID, "198.51.100.3").cancelForm(t)
			lockKey(t, lim.Attempts, session.IPLockoutKey("198.51.100.3"))
			r = b2.signal("POST", "/s/"+s2.ID+"/offer", token2, "v=0\r\noffer\r\n", from("198.51.100.3"))
			wantLimitError(t, "offer from a locked address", r, http.StatusTooManyRequests, session.ReasonIPLocked)
			if !strings.Contains(r.body, "retry after 1800 s") {
				t.Errorf("locked offer: body %s; want it to say when to retry", r.body)
			}
		})
	}
}

// failingLimiter is a RateLimiter whose store is down.
type failingLimiter struct{}

func (failingLimiter) Allow(context.Context, string) (bool, time.Duration, error) {
	return false, 0, errors.New("redis: connection refused")
}

// TestPageLimit: page GETs had no limit; now each client address has a
// bucket of them (static assets aside), past which the page answers a
// plain "too many requests" screen in its language, 429 with Retry-After,
// without reading the session.
func TestPageLimit(t *testing.T) {
	pageRate := session.RateLimit{Burst: 3, PerSecond: 3.0 / 60} // 3/1m
	for backend, newLimiter := range map[string]func(t *testing.T, now func() time.Time) session.RateLimiter{
		"memory": func(t *testing.T, now func() time.Time) session.RateLimiter {
			return memstore.NewRateLimiter(pageRate, memstore.WithClock(now))
		},
		"redis": func(t *testing.T, now func() time.Time) session.RateLimiter {
			c := sessiontest.RedisClient(t)
			return redisstore.NewRateLimiter(c, pageRate, redisstore.WithPrefix(sessiontest.RedisPrefix(t, c)+"pages:"), redisstore.WithClock(now))
		},
	} {
		t.Run(backend, func(t *testing.T) {
			tp, err := httpx.ParseTrustedProxies("192.0.2.1")
			if err != nil {
				t.Fatal(err)
			}
			var clk *clock
			lim := newLimiter(t, func() time.Time { return clk.Now() })
			e := newEnv(t, web.Config{ClientIP: tp.ClientIP, Limits: web.Limits{PagesPerIP: lim}})
			clk = e.clock
			s := e.create(session.Params{})
			b := e.browser()
			b.getFrom("/s/"+s.ID, "203.0.113.5").wantScreen(t, http.StatusOK, "screen-consent")
			b.getFrom("/s/"+s.ID+"/capture", "203.0.113.5").wantScreen(t, http.StatusSeeOther, "")
			b.getFrom("/s/nope", "203.0.113.5").wantScreen(t, http.StatusNotFound, "screen-not-found")

			r := b.getFrom("/s/"+s.ID, "203.0.113.5")
			r.wantScreen(t, http.StatusTooManyRequests, "screen-slow-down")
			if h1 := findAll(r.doc, isH1); len(h1) != 1 || text(h1[0]) != "Too many requests" {
				t.Errorf("English title: got %v", r.body)
			}
			if got := r.Header.Get("Retry-After"); got != "20" {
				t.Errorf("Retry-After: got %q; want 20 (one request refills in 20 s)", got)
			}
			if got := r.Header.Get("Content-Type"); !strings.HasPrefix(got, "text/html") {
				t.Errorf("Content-Type %q; want the page's HTML, not the API's JSON", got)
			}
			id := e.browser()
			id.lang = "id"
			r = id.getFrom("/s/"+s.ID+"/capture", "203.0.113.5")
			r.wantScreen(t, http.StatusTooManyRequests, "screen-slow-down")
			if h1 := findAll(r.doc, isH1); len(h1) != 1 || text(h1[0]) != "Terlalu banyak permintaan" {
				t.Errorf("Indonesian title: got %v", r.body)
			}

			// Static assets are not counted; other addresses have their own bucket.
			req := httptest.NewRequest(http.MethodGet, e.public+web.StaticPrefix+"nope.css", nil)
			req.Header.Set("X-Forwarded-For", "203.0.113.5")
			if r := b.do(req); r.StatusCode == http.StatusTooManyRequests {
				t.Errorf("static asset limited: %d", r.StatusCode)
			}
			e.browser().getFrom("/s/"+s.ID, "198.51.100.1").wantScreen(t, http.StatusOK, "screen-consent")

			// The bucket refills: one more page after 20 s.
			e.clock.Add(20 * time.Second)
			b.getFrom("/s/"+s.ID, "203.0.113.5").wantScreen(t, http.StatusOK, "screen-consent")
			b.getFrom("/s/"+s.ID, "203.0.113.5").wantScreen(t, http.StatusTooManyRequests, "screen-slow-down")
		})
	}

	// A limiter whose store is down: the page's 503 with Retry-After.
	e := newEnv(t, web.Config{Limits: web.Limits{PagesPerIP: failingLimiter{}}})
	s := e.create(session.Params{})
	r := e.browser().get("/s/" + s.ID)
	r.wantScreen(t, http.StatusServiceUnavailable, "screen-unavailable")
	if r.Header.Get("Retry-After") == "" {
		t.Error("503 without Retry-After")
	}
}
