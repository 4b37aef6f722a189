package server

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/livegate/livegate/internal/session"
	"github.com/livegate/livegate/internal/session/memstore"
	"github.com/livegate/livegate/internal/session/redisstore"
	"github.com/livegate/livegate/internal/session/sessiontest"
)

func TestLimitsConfig(t *testing.T) {
	cfg, err := loadConfig(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	if want := (session.LockoutPolicy{Failures: 5, Window: 3 * time.Minute, Lock: 30 * time.Minute}); cfg.AttemptLockout != want {
		t.Errorf("attempt lockout: got %+v; want %+v", cfg.AttemptLockout, want)
	}
	if want := (session.LockoutPolicy{Failures: 10, Window: 5 * time.Minute, Lock: 15 * time.Minute}); cfg.AuthLockout != want {
		t.Errorf("auth lockout: got %+v; want %+v", cfg.AuthLockout, want)
	}
	if want := (session.RateLimit{Burst: 60, PerSecond: 1}); cfg.OfferLimitIP != want {
		t.Errorf("offers per address: got %+v; want %+v", cfg.OfferLimitIP, want)
	}
	if want := (session.RateLimit{Burst: 120, PerSecond: 2}); cfg.PageLimitIP != want {
		t.Errorf("pages per address: got %+v; want %+v", cfg.PageLimitIP, want)
	}
	if cfg.MaxLivePerKey != max(1, cfg.MaxLive/2) {
		t.Errorf("live slots per key: got %d; want half of %d", cfg.MaxLivePerKey, cfg.MaxLive)
	}
	off, err := loadConfig(func(k string) string {
		switch k {
		case "LIVEGATE_ATTEMPT_LOCKOUT", "LIVEGATE_CHECK_LIMIT", "LIVEGATE_PAGE_LIMIT_IP":
			return "off"
		case "LIVEGATE_MAX_LIVE":
			return "10"
		case "LIVEGATE_MAX_LIVE_PER_KEY":
			return "10"
		}
		return ""
	})
	if err != nil {
		t.Fatal(err)
	}
	if off.AttemptLockout != (session.LockoutPolicy{}) || off.CheckLimit != (session.RateLimit{}) || off.MaxLivePerKey != 10 {
		t.Errorf("off: got %+v, %+v, %d", off.AttemptLockout, off.CheckLimit, off.MaxLivePerKey)
	}
	if l := memoryLimits(off, nil); l.pagesPerIP != nil || l.web().PagesPerIP != nil {
		t.Errorf("memory limits with the page limit off: got %v; want nil", l.pagesPerIP)
	}
	if l := memoryLimits(cfg, nil); l.web().PagesPerIP == nil {
		t.Error("memory limits by default: no page limit")
	}
	if l := memoryLimits(off, nil); l.attempts != nil || l.checks != nil || l.auth == nil {
		t.Errorf("memory limits with two off: got attempts %v, checks %v, auth %v; want nil, nil, set", l.attempts, l.checks, l.auth)
	}

	for _, tt := range []struct{ name, value string }{
		{"LIVEGATE_TRUSTED_PROXIES", "proxy.internal"},
		{"LIVEGATE_TRUSTED_PROXIES", "10.0.0.0/40"},
		{"LIVEGATE_AUTH_LOCKOUT", "10/5m"},
		{"LIVEGATE_AUTH_LOCKOUT", "0/5m/15m"},
		{"LIVEGATE_ATTEMPT_LOCKOUT", "5/3m/forever"},
		{"LIVEGATE_CHECK_LIMIT", "20"},
		{"LIVEGATE_OFFER_LIMIT_KEY", "200/0s"},
		{"LIVEGATE_OFFER_LIMIT_IP", "-1/1m"},
		{"LIVEGATE_PAGE_LIMIT_IP", "120"},
		{"LIVEGATE_MAX_LIVE_PER_KEY", "0"},
		{"LIVEGATE_MAX_LIVE_PER_KEY", "100001"},
	} {
		_, err := loadConfig(func(k string) string {
			if k == tt.name {
				return tt.value
			}
			return ""
		})
		if err == nil || !strings.HasPrefix(err.Error(), tt.name+":") {
			t.Errorf("%s=%q: got %v; want an error naming %s", tt.name, tt.value, err, tt.name)
		}
	}
}

// TestFailureCounter: the audit entries of failed attempts, and only
// those, count against the session's device and the entry's address.
func TestFailureCounter(t *testing.T) {
	policy := session.LockoutPolicy{Failures: 3, Window: 3 * time.Minute, Lock: 30 * time.Minute}
	backends := map[string]func(t *testing.T, now func() time.Time) session.Lockout{
		"memory": func(t *testing.T, now func() time.Time) session.Lockout {
			return memstore.NewLockout(policy, memstore.WithClock(now))
		},
		"redis": func(t *testing.T, now func() time.Time) session.Lockout {
			c := sessiontest.RedisClient(t)
			return redisstore.NewLockout(c, policy, redisstore.WithPrefix(sessiontest.RedisPrefix(t, c)), redisstore.WithClock(now))
		},
	}
	for name, newLockout := range backends {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			clock := sessiontest.NewClock(sessiontest.Start)
			st := memstore.New(memstore.WithClock(clock.Now))
			defer st.Close()
			l := newLockout(t, clock.Now)
			fc := &failureCounter{Store: st, lockout: l, log: slog.New(slog.DiscardHandler)}
			s := sessiontest.NewSession(t, clock.Now())
			s.DeviceCorrelationID = "phone-1"
			if err := st.Create(ctx, s); err != nil {
				t.Fatal(err)
			}
			device := session.DeviceLockoutKey(s.Owner, "phone-1")
			ip := session.IPLockoutKey("203.0.113.5")
			appendEntry := func(event, outcome string) {
				t.Helper()
				if err := fc.AppendAudit(ctx, s.ID, session.AuditEntry{Time: clock.Now(), Attempt: 1, Event: event, Outcome: outcome, ClientIP: "203.0.113.5"}); err != nil {
					t.Fatal(err)
				}
			}
			isLocked := func(key string) bool {
				t.Helper()
				d, err := l.Locked(ctx, key)
				if err != nil {
					t.Fatal(err)
				}
				return d > 0
			}
			// None of these is a failed attempt.
			for _, e := range [][2]string{
				{"attempt_ended", "MATCH"}, {"attempt_ended", "canceled"}, {"attempt_ended", "handed_back"},
				{"attempt_started", ""}, {"gesture_failed", "early"}, {"instruction", ""}, {"claimed", ""},
			} {
				appendEntry(e[0], e[1])
				appendEntry(e[0], e[1])
				appendEntry(e[0], e[1])
			}
			if isLocked(device) || isLocked(ip) {
				t.Fatal("locked by entries that are not failures")
			}
			appendEntry("attempt_ended", "NOT_MATCH")
			appendEntry("attempt_ended", "timeout")
			if isLocked(device) || isLocked(ip) {
				t.Fatal("locked after 2 failures; want 3")
			}
			appendEntry("liveness_failed", "replay")
			if !isLocked(device) || !isLocked(ip) {
				t.Fatalf("after 3 failures: device locked %v, address locked %v; want both", isLocked(device), isLocked(ip))
			}
			if n := len(mustAudit(t, st, s.ID)); n != 24 {
				t.Errorf("audit entries stored: got %d; want 24", n)
			}
		})
	}
}

func mustAudit(t *testing.T, st session.Store, sid string) []session.AuditEntry {
	t.Helper()
	es, err := st.Audit(context.Background(), sid)
	if err != nil {
		t.Fatal(err)
	}
	return es
}

// TestServerLocksWrongKeysBehindProxy: through Run, behind a trusted
// proxy, 300 wrong keys from one client are 10 × 401 then 429, and the
// proxy's other clients are served.
func TestServerLocksWrongKeysBehindProxy(t *testing.T) {
	s := startServer(t, map[string]string{"LIVEGATE_API_KEYS": testKey, "LIVEGATE_TRUSTED_PROXIES": "127.0.0.1/32, ::1"})
	do := func(key, client string) int {
		t.Helper()
		req, _ := http.NewRequest("GET", s.url+"/face/v1/active-liveness-sessions/"+session.NewID(), nil)
		req.Header.Set("x-api-key", key)
		req.Header.Set("X-Forwarded-For", client)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	counts := map[int]int{}
	for i := range 300 {
		counts[do("wrong-key-0123456789-"+string(rune('a'+i%26)), "198.51.100.7")]++
	}
	if counts[401] != 10 || counts[429] != 290 {
		t.Fatalf("300 wrong keys: got %v; want 10 × 401, 290 × 429", counts)
	}
	if got := do(testKey, "198.51.100.7"); got != 429 {
		t.Errorf("right key from the locked client: got %d; want 429", got)
	}
	if got := do(testKey, "198.51.100.8"); got != 404 {
		t.Errorf("right key from another client: got %d; want 404 (unknown session)", got)
	}
}
