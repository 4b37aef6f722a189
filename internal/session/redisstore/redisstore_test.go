package redisstore_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/livegate/livegate/internal/session"
	"github.com/livegate/livegate/internal/session/redisstore"
	"github.com/livegate/livegate/internal/session/sessiontest"
)

// checkTTLs fails t unless every key under prefix has a TTL: a key without
// one would live for ever.
func checkTTLs(t *testing.T, c *redis.Client, prefix string) {
	t.Helper()
	for _, k := range sessiontest.RedisKeys(t, c, prefix) {
		if ttl := c.PTTL(context.Background(), k).Val(); ttl <= 0 {
			t.Errorf("key %s: TTL got %v; want > 0", k, ttl)
		}
	}
}

func TestStore(t *testing.T) {
	c := sessiontest.RedisClient(t)
	sessiontest.TestStore(t, func(t *testing.T, now func() time.Time) session.Store {
		prefix := sessiontest.RedisPrefix(t, c)
		st := redisstore.New(c, redisstore.WithPrefix(prefix), redisstore.WithClock(now))
		t.Cleanup(func() {
			checkTTLs(t, c, prefix)
			st.Close()
		})
		return st
	})
}

func TestRateLimiter(t *testing.T) {
	c := sessiontest.RedisClient(t)
	sessiontest.TestRateLimiter(t, func(t *testing.T, limit session.RateLimit, now func() time.Time) session.RateLimiter {
		prefix := sessiontest.RedisPrefix(t, c)
		t.Cleanup(func() { checkTTLs(t, c, prefix) })
		return redisstore.NewRateLimiter(c, limit, redisstore.WithPrefix(prefix), redisstore.WithClock(now))
	})
}

// TestTTL checks the TTL of every key a session and a limiter write: Redis
// counts TTLs in real time, so eviction is checked here rather than by
// moving the fake clock.
func TestTTL(t *testing.T) {
	ctx := context.Background()
	c := sessiontest.RedisClient(t)
	prefix := sessiontest.RedisPrefix(t, c)
	clock := sessiontest.NewClock(sessiontest.Start)
	st := redisstore.New(c, redisstore.WithPrefix(prefix), redisstore.WithClock(clock.Now))
	sessionKey := func(s *session.Session) string { return prefix + "session:" + s.ID }
	auditKey := func(s *session.Session) string { return prefix + "audit:" + s.ID }

	// wantTTLs fails t unless exactly the keys of want exist under prefix,
	// each with a TTL within a few seconds of its wanted value.
	wantTTLs := func(step string, want map[string]time.Duration) {
		t.Helper()
		keys := sessiontest.RedisKeys(t, c, prefix)
		if len(keys) != len(want) {
			t.Errorf("%s: got keys %v; want %d keys", step, keys, len(want))
		}
		for _, k := range keys {
			w, ok := want[k]
			if !ok {
				t.Errorf("%s: unexpected key %s", step, k)
				continue
			}
			got := c.PTTL(ctx, k).Val()
			if got <= 0 || got > w || got < w-5*time.Second {
				t.Errorf("%s: TTL of %s got %v; want %v (within 5 s below)", step, strings.TrimPrefix(k, prefix), got, w)
			}
		}
	}

	s := sessiontest.NewSession(t, clock.Now()) // expires in an hour
	if err := st.Create(ctx, s); err != nil {
		t.Fatal(err)
	}
	if err := st.AppendAudit(ctx, s.ID, session.AuditEntry{Time: clock.Now(), Event: "opened"}); err != nil {
		t.Fatal(err)
	}
	pending := time.Hour + session.DefaultRetention
	wantTTLs("pending", map[string]time.Duration{sessionKey(s): pending, auditKey(s): pending})

	// An update that does not end the session keeps the horizon where it
	// was: the TTL shrinks as the clock moves.
	clock.Advance(10 * time.Minute)
	if _, err := st.Update(ctx, s.ID, func(s *session.Session) error { return s.Claim("b", clock.Now()) }); err != nil {
		t.Fatal(err)
	}
	pending -= 10 * time.Minute
	wantTTLs("claimed", map[string]time.Duration{sessionKey(s): pending, auditKey(s): pending})

	// Ending it early moves the horizon to the retention after the end, for
	// the audit trail too.
	if _, err := st.Update(ctx, s.ID, func(s *session.Session) error { return s.Cancel(clock.Now()) }); err != nil {
		t.Fatal(err)
	}
	ended := session.DefaultRetention
	wantTTLs("canceled", map[string]time.Duration{sessionKey(s): ended, auditKey(s): ended})
	clock.Advance(time.Hour)
	if err := st.AppendAudit(ctx, s.ID, session.AuditEntry{Time: clock.Now(), Event: "late"}); err != nil {
		t.Fatal(err)
	}
	wantTTLs("audit after the end", map[string]time.Duration{sessionKey(s): ended, auditKey(s): ended})

	// A session already past its horizon still gets an expiry, not none.
	old := sessiontest.NewSession(t, clock.Now().Add(-30*24*time.Hour))
	if err := st.Create(ctx, old); err != nil {
		t.Fatal(err)
	}
	wantTTLs("created past its horizon", map[string]time.Duration{
		sessionKey(s): ended, auditKey(s): ended, sessionKey(old): time.Second,
	})
	if err := c.Del(ctx, sessionKey(old)).Err(); err != nil {
		t.Fatal(err)
	}

	// Another retention moves every horizon with it.
	short := redisstore.New(c, redisstore.WithPrefix(prefix), redisstore.WithClock(clock.Now), redisstore.WithRetention(time.Hour))
	s2 := sessiontest.NewSession(t, clock.Now())
	if err := short.Create(ctx, s2); err != nil {
		t.Fatal(err)
	}
	wantTTLs("retention 1h", map[string]time.Duration{
		sessionKey(s): ended, auditKey(s): ended, sessionKey(s2): 2 * time.Hour,
	})

	// A limiter's bucket lives until it would have refilled.
	rl := redisstore.NewRateLimiter(c, session.RateLimit{PerSecond: 0.5, Burst: 3}, redisstore.WithPrefix(prefix), redisstore.WithClock(clock.Now))
	if _, _, err := rl.Allow(ctx, "ip:192.0.2.1"); err != nil {
		t.Fatal(err)
	}
	wantTTLs("rate limit", map[string]time.Duration{
		sessionKey(s): ended, auditKey(s): ended, sessionKey(s2): 2 * time.Hour,
		prefix + "ratelimit:ip:192.0.2.1": 7 * time.Second, // 3 tokens at 0.5/s, plus a second
	})
}

// TestSharedAcrossInstances checks that a session created through one store
// is read, updated and finished through another with its own connection, as
// after a restart or on another instance.
func TestSharedAcrossInstances(t *testing.T) {
	ctx := context.Background()
	c1, c2 := sessiontest.RedisClient(t), sessiontest.RedisClient(t)
	prefix := sessiontest.RedisPrefix(t, c2) // c1 is closed half-way
	clock := sessiontest.NewClock(sessiontest.Start)
	one := redisstore.New(c1, redisstore.WithPrefix(prefix), redisstore.WithClock(clock.Now))
	s := sessiontest.NewSession(t, clock.Now())
	if err := one.Create(ctx, s); err != nil {
		t.Fatal(err)
	}
	if err := one.AppendAudit(ctx, s.ID, session.AuditEntry{Time: clock.Now(), Event: "created"}); err != nil {
		t.Fatal(err)
	}
	one.Close()
	c1.Close() // the first instance is gone

	two := redisstore.New(c2, redisstore.WithPrefix(prefix), redisstore.WithClock(clock.Now))
	got, err := two.Get(ctx, s.ID)
	if err != nil {
		t.Fatalf("Get through the second instance: %v", err)
	}
	if g, w := sessiontest.Normalize(got), sessiontest.Normalize(s); g.ID != w.ID || g.SuccessURL != w.SuccessURL || !g.ExpiresAt.Equal(w.ExpiresAt) || len(g.Gestures) != 3 {
		t.Fatalf("Get through the second instance: got %+v; want %+v", g, w)
	}
	clock.Advance(time.Minute)
	if _, err := two.Update(ctx, s.ID, func(s *session.Session) error { return s.Claim("browser-a", clock.Now()) }); err != nil {
		t.Fatalf("Claim through the second instance: %v", err)
	}
	fin, err := two.Update(ctx, s.ID, func(s *session.Session) error {
		return s.Finish(session.Result{Status: "success", GestureStatus: session.GestureMatch}, clock.Now())
	})
	if err != nil {
		t.Fatalf("Finish through the second instance: %v", err)
	}
	if err := two.AppendAudit(ctx, s.ID, session.AuditEntry{Time: clock.Now(), Event: "finished"}); err != nil {
		t.Fatal(err)
	}

	three := redisstore.New(sessiontest.RedisClient(t), redisstore.WithPrefix(prefix), redisstore.WithClock(clock.Now))
	got, err = three.Get(ctx, s.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != session.StatusFinished || got.ClaimedBy != "browser-a" || !got.EndedAt.Equal(fin.EndedAt) {
		t.Fatalf("Get through a third instance: got %s claimed by %q ended %v; want FINISHED claimed by browser-a ended %v",
			got.Status, got.ClaimedBy, got.EndedAt, fin.EndedAt)
	}
	a, err := three.Audit(ctx, s.ID)
	if err != nil || len(a) != 2 || a[0].Event != "created" || a[1].Event != "finished" {
		t.Fatalf("Audit through a third instance: got %+v, %v; want created, finished", a, err)
	}
}

// TestUpdateRetriesOnConflict makes another writer change the session while
// fn runs: the transaction must fail and Update start again from the other
// writer's version, or give up after its tries with EUnavailable.
func TestUpdateRetriesOnConflict(t *testing.T) {
	ctx := context.Background()
	c := sessiontest.RedisClient(t)
	prefix := sessiontest.RedisPrefix(t, c)
	clock := sessiontest.NewClock(sessiontest.Start)
	other := redisstore.New(sessiontest.RedisClient(t), redisstore.WithPrefix(prefix), redisstore.WithClock(clock.Now))

	tests := []struct {
		name      string
		tries     int
		conflicts int32 // how many calls of fn another writer interferes with
		wantCalls int32
		wantUsed  int // AttemptsUsed at the end
		wantCode  string
	}{
		{"one conflict, two tries", 2, 1, 2, 2, ""},
		{"three conflicts, three tries", 3, 3, 3, 3, session.EUnavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := redisstore.New(c, redisstore.WithPrefix(prefix), redisstore.WithClock(clock.Now), redisstore.WithMaxTries(tt.tries))
			s := sessiontest.NewSession(t, clock.Now())
			if err := st.Create(ctx, s); err != nil {
				t.Fatal(err)
			}
			var calls atomic.Int32
			_, err := st.Update(ctx, s.ID, func(s *session.Session) error {
				if calls.Add(1) <= tt.conflicts {
					if _, err := other.Update(ctx, s.ID, func(s *session.Session) error { s.AttemptsUsed++; return nil }); err != nil {
						t.Errorf("the other writer: %v", err)
					}
				}
				s.AttemptsUsed++
				return nil
			})
			if got := session.ErrorCode(err); tt.wantCode != "" && got != tt.wantCode || tt.wantCode == "" && err != nil {
				t.Fatalf("Update: got %v (code %s); want code %q", err, got, tt.wantCode)
			}
			if got := calls.Load(); got != tt.wantCalls {
				t.Errorf("fn calls: got %d; want %d", got, tt.wantCalls)
			}
			got, err := st.Get(ctx, s.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.AttemptsUsed != tt.wantUsed {
				t.Errorf("AttemptsUsed: got %d; want %d", got.AttemptsUsed, tt.wantUsed)
			}
		})
	}
}

// TestRedisErrorsWrapped checks that a Redis that does not answer gives
// errors that name the operation and the session, and are not taken for
// "not found".
func TestRedisErrorsWrapped(t *testing.T) {
	ctx := context.Background()
	errDown := errors.New("test: Redis is down")
	dead := redis.NewClient(&redis.Options{
		Addr:       "redis.invalid:6379",
		MaxRetries: -1, DialerRetries: 1,
		Dialer: func(context.Context, string, string) (net.Conn, error) { return nil, errDown },
	})
	defer dead.Close()
	st := redisstore.New(dead)
	id := session.NewID()
	s := sessiontest.NewSession(t, time.Now())

	tests := []struct {
		op   string
		call func() error
	}{
		{"create " + s.ID, func() error { return st.Create(ctx, s) }},
		{"get " + id, func() error { _, err := st.Get(ctx, id); return err }},
		{"update " + id, func() error {
			_, err := st.Update(ctx, id, func(*session.Session) error { return nil })
			return err
		}},
		{"append audit " + id, func() error { return st.AppendAudit(ctx, id, session.AuditEntry{}) }},
		{"audit " + id, func() error { _, err := st.Audit(ctx, id); return err }},
		{"ping", func() error { return st.Ping(ctx) }},
		{`rate limit "k"`, func() error {
			_, _, err := redisstore.NewRateLimiter(dead, session.RateLimit{PerSecond: 1, Burst: 1}).Allow(ctx, "k")
			return err
		}},
	}
	for _, tt := range tests {
		err := tt.call()
		if err == nil || !strings.HasPrefix(err.Error(), "redisstore: "+tt.op+": ") {
			t.Errorf("%s: got error %v; want one starting %q", tt.op, err, "redisstore: "+tt.op+": ")
		}
		if n := strings.Count(fmt.Sprint(err), "redisstore:"); n != 1 {
			t.Errorf("%s: got %q; want the context once, not %d times", tt.op, err, n)
		}
		if !errors.Is(err, errDown) {
			t.Errorf("%s: got %v; want it to wrap the connection error", tt.op, err)
		}
		if errors.Is(err, session.ErrNotFound) || session.ErrorCode(err) != session.EInternal {
			t.Errorf("%s: got code %s for a connection error; want %s", tt.op, session.ErrorCode(err), session.EInternal)
		}
	}
}

func TestCorruptSession(t *testing.T) {
	ctx := context.Background()
	c := sessiontest.RedisClient(t)
	prefix := sessiontest.RedisPrefix(t, c)
	st := redisstore.New(c, redisstore.WithPrefix(prefix))
	id := session.NewID()
	if err := c.Set(ctx, prefix+"session:"+id, "{not json", time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
	_, err := st.Get(ctx, id)
	if err == nil || session.ErrorCode(err) != session.EInternal || !strings.Contains(err.Error(), "decode") {
		t.Fatalf("Get of a corrupt session: got %v; want an internal decode error", err)
	}
}

// TestClose checks who closes the client: a store from New leaves it open
// for its other users; a store from Open closes its own.
func TestClose(t *testing.T) {
	ctx := context.Background()
	c := sessiontest.RedisClient(t)
	if err := redisstore.New(c).Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := c.Ping(ctx).Err(); err != nil {
		t.Fatalf("Ping of a client after closing a store built on it: %v; want it still open", err)
	}

	st, err := redisstore.Open(sessiontest.RedisURL())
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	if err := st.Ping(ctx); err != nil {
		t.Fatalf("Ping of an opened store: %v", err)
	}
	if err := st.Close(); err != nil {
		t.Fatalf("Close of an opened store: %v", err)
	}
	if err := st.Ping(ctx); err == nil {
		t.Fatalf("Ping after Close of an opened store: got nil; want an error (client closed)")
	}
}

func TestOpenBadURLHidesPassword(t *testing.T) {
	for _, raw := range []string{"redis://user:s3cret@host:notaport/0", "http://user:s3cret@host/", "redis://user:s3cret@host/0?dial_timeout=x"} {
		_, err := redisstore.Open(raw)
		if err == nil {
			t.Errorf("Open(%q): got nil; want an error", raw)
			continue
		}
		if strings.Contains(err.Error(), "s3cret") {
			t.Errorf("Open(%q): got %q; want an error without the password", raw, err)
		}
	}
}

// TestAuditTTLFallback checks that an audit trail gets a TTL even when its
// session key has lost its own (by hand, with PERSIST): no key may live for
// ever.
func TestAuditTTLFallback(t *testing.T) {
	ctx := context.Background()
	c := sessiontest.RedisClient(t)
	prefix := sessiontest.RedisPrefix(t, c)
	clock := sessiontest.NewClock(sessiontest.Start)
	st := redisstore.New(c, redisstore.WithPrefix(prefix), redisstore.WithClock(clock.Now))
	s := sessiontest.NewSession(t, clock.Now())
	if err := st.Create(ctx, s); err != nil {
		t.Fatal(err)
	}
	if err := c.Persist(ctx, prefix+"session:"+s.ID).Err(); err != nil {
		t.Fatal(err)
	}
	if err := st.AppendAudit(ctx, s.ID, session.AuditEntry{Time: clock.Now(), Event: "x"}); err != nil {
		t.Fatal(err)
	}
	want := time.Hour + session.DefaultRetention
	if got := c.PTTL(ctx, prefix+"audit:"+s.ID).Val(); got > want || got < want-5*time.Second {
		t.Fatalf("audit TTL with a session key without one: got %v; want %v", got, want)
	}
	c.Del(ctx, prefix+"session:"+s.ID)
}

func TestLockout(t *testing.T) {
	c := sessiontest.RedisClient(t)
	sessiontest.TestLockout(t, func(t *testing.T, p session.LockoutPolicy, now func() time.Time) session.Lockout {
		prefix := sessiontest.RedisPrefix(t, c)
		t.Cleanup(func() { checkTTLs(t, c, prefix) })
		return redisstore.NewLockout(c, p, redisstore.WithPrefix(prefix), redisstore.WithClock(now))
	})
}

// TestAuditChainAcrossInstances appends to one session's trail from three
// instances, each with its own connection, at once: the trail is still one
// chain with every entry in it once.
func TestAuditChainAcrossInstances(t *testing.T) {
	ctx := context.Background()
	clock := sessiontest.NewClock(sessiontest.Start)
	var prefix string
	var stores []*redisstore.Store
	for i := range 3 {
		c := sessiontest.RedisClient(t)
		if i == 0 {
			prefix = sessiontest.RedisPrefix(t, c)
		}
		stores = append(stores, redisstore.New(c, redisstore.WithPrefix(prefix), redisstore.WithClock(clock.Now)))
	}
	s := sessiontest.NewSession(t, clock.Now())
	if err := stores[0].Create(ctx, s); err != nil {
		t.Fatal(err)
	}
	const each = 40
	errs := make(chan error, len(stores)*each)
	done := make(chan struct{})
	for w, st := range stores {
		go func() {
			defer func() { done <- struct{}{} }()
			for i := range each {
				e := session.AuditEntry{Time: clock.Now(), Attempt: w*each + i, Event: "attempt"}
				if err := st.AppendAudit(ctx, s.ID, e); err != nil {
					errs <- fmt.Errorf("instance %d entry %d: %w", w, i, err)
				}
			}
		}()
	}
	for range stores {
		<-done
	}
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	a, err := stores[2].Audit(ctx, s.ID)
	if err != nil {
		t.Fatal(err)
	}
	if err := session.VerifyAudit(a); err != nil {
		t.Fatalf("VerifyAudit after appends from three instances: %v", err)
	}
	seen := map[int]bool{}
	for _, e := range a {
		seen[e.Attempt] = true
	}
	if len(a) != len(stores)*each || len(seen) != len(a) {
		t.Fatalf("got %d entries, %d distinct; want %d, all distinct", len(a), len(seen), len(stores)*each)
	}
}

// TestAuditTamperedInRedis changes the stored trail behind the store's back,
// as someone with access to Redis could: VerifyAudit on what Audit then
// returns names the entry changed.
func TestAuditTamperedInRedis(t *testing.T) {
	ctx := context.Background()
	c := sessiontest.RedisClient(t)
	prefix := sessiontest.RedisPrefix(t, c)
	clock := sessiontest.NewClock(sessiontest.Start)
	st := redisstore.New(c, redisstore.WithPrefix(prefix), redisstore.WithClock(clock.Now))
	s := sessiontest.NewSession(t, clock.Now())
	if err := st.Create(ctx, s); err != nil {
		t.Fatal(err)
	}
	for i := range 6 {
		e := session.AuditEntry{Time: clock.Now(), Attempt: i, Event: "attempt_ended", Outcome: "NOT_MATCH"}
		if err := st.AppendAudit(ctx, s.ID, e); err != nil {
			t.Fatal(err)
		}
	}
	key := prefix + "audit:" + s.ID
	raw, err := c.LIndex(ctx, key, 2).Result()
	if err != nil {
		t.Fatal(err)
	}
	forged := strings.Replace(raw, `"NOT_MATCH"`, `"MATCH"`, 1)
	if forged == raw {
		t.Fatalf("stored entry %s has no outcome to change", raw)
	}
	if err := c.LSet(ctx, key, 2, forged).Err(); err != nil {
		t.Fatal(err)
	}
	a, err := st.Audit(ctx, s.ID)
	if err != nil {
		t.Fatal(err)
	}
	var b *session.AuditBreak
	if err := session.VerifyAudit(a); !errors.As(err, &b) || b.Index != 2 {
		t.Fatalf("VerifyAudit after an entry was changed in Redis: got %v; want a break at entry 2", err)
	}
	// Putting it back and removing the entry instead breaks at its place.
	if err := c.LSet(ctx, key, 2, raw).Err(); err != nil {
		t.Fatal(err)
	}
	if err := c.LRem(ctx, key, 1, raw).Err(); err != nil {
		t.Fatal(err)
	}
	if a, err = st.Audit(ctx, s.ID); err != nil {
		t.Fatal(err)
	}
	if err := session.VerifyAudit(a); !errors.As(err, &b) || b.Index != 2 {
		t.Fatalf("VerifyAudit after an entry was removed in Redis: got %v; want a break at entry 2", err)
	}
}

// TestBiometricKeyTTL: the sealed embedding lives in its own key whose TTL is
// the session's biometric retention after its end, never in the session's
// JSON; when Redis expires that key, the next read notices, records
// data_expired and keeps the verdict, and no biometric key is left.
func TestBiometricKeyTTL(t *testing.T) {
	ctx := context.Background()
	c := sessiontest.RedisClient(t)
	prefix := sessiontest.RedisPrefix(t, c)
	clock := sessiontest.NewClock(sessiontest.Start)
	st := redisstore.New(c, redisstore.WithPrefix(prefix), redisstore.WithClock(clock.Now))
	marker := []byte("sealed-marker-7f3a")

	s := sessiontest.NewSession(t, clock.Now()) // expires in an hour
	s.BiometricRetention = 3 * time.Hour
	s.Reference = &session.Reference{Sealed: marker, Quality: "high"}
	if err := st.Create(ctx, s); err != nil {
		t.Fatal(err)
	}
	bkey := prefix + "biometric:" + s.ID
	pttl := func() time.Duration { t.Helper(); return c.PTTL(ctx, bkey).Val() }
	if got, want := pttl(), time.Hour+3*time.Hour; got > want || got < want-5*time.Second {
		t.Errorf("pending: TTL of the biometric key %v; want %v (expiry + retention)", got, want)
	}
	if raw := c.Get(ctx, prefix+"session:"+s.ID).Val(); strings.Contains(raw, string(marker)) || strings.Contains(raw, "sealed") {
		t.Errorf("the session's JSON holds the embedding: %s", raw)
	}
	clock.Advance(10 * time.Minute)
	if _, err := st.Update(ctx, s.ID, func(s *session.Session) error {
		return s.Finish(session.Result{Status: "failed", GestureStatus: session.GestureNotMatch}, clock.Now())
	}); err != nil {
		t.Fatal(err)
	}
	if got, want := pttl(), 3*time.Hour; got > want || got < want-5*time.Second {
		t.Errorf("finished: TTL of the biometric key %v; want %v (its end + retention)", got, want)
	}

	// Redis's TTL runs out (on Redis's clock, not the store's): as it would.
	if err := c.Del(ctx, bkey).Err(); err != nil {
		t.Fatal(err)
	}
	got, err := st.Get(ctx, s.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.HasBiometrics() || got.Status != session.StatusFinished || got.Result == nil || got.Reference.Quality != "high" {
		t.Errorf("after Redis expired the key: %s, result %v, reference %+v; want the verdict and grade only", got.Status, got.Result, got.Reference)
	}
	es, err := st.Audit(ctx, s.ID)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(es); n != 1 || es[0].Event != "data_expired" || es[0].Outcome != session.BiometricReference {
		t.Errorf("audit %+v; want one data_expired entry", es)
	}
	for _, k := range sessiontest.RedisKeys(t, c, prefix) {
		if strings.Contains(k, "biometric:") || strings.Contains(c.Get(ctx, k).Val(), string(marker)) {
			t.Errorf("key %s still holds biometric data", k)
		}
	}
	checkTTLs(t, c, prefix)
}
