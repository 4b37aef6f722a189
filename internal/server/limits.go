package server

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/livegate/livegate/internal/api"
	"github.com/livegate/livegate/internal/session"
	"github.com/livegate/livegate/internal/session/memstore"
	"github.com/livegate/livegate/internal/session/redisstore"
	"github.com/livegate/livegate/internal/web"
)

// limits are every rate limit and lockout of the server, kept where the
// sessions are: in Redis, shared by every instance, or in memory.
type limits struct {
	create                    session.RateLimiter // sessions created per key
	auth                      session.Lockout     // wrong API keys per address
	attempts                  session.Lockout     // failed attempts per device and per address
	checks                    session.RateLimiter // single-image checks per key and per address
	offersPerKey, offersPerIP session.RateLimiter
	pagesPerIP                session.RateLimiter
}

// A limit or lockout set to "off" is the zero value and builds no limiter:
// nil, never a typed nil, so that the API and the pages see no limit.

func memoryLimits(cfg *config, now func() time.Time) *limits {
	var opts []memstore.Option
	if now != nil {
		opts = append(opts, memstore.WithClock(now))
	}
	rate := func(l session.RateLimit) session.RateLimiter {
		if l.Burst == 0 {
			return nil
		}
		return memstore.NewRateLimiter(l, opts...)
	}
	lockout := func(p session.LockoutPolicy) session.Lockout {
		if p.Failures == 0 {
			return nil
		}
		return memstore.NewLockout(p, opts...)
	}
	return &limits{
		create:       memstore.NewRateLimiter(cfg.CreateRate, opts...),
		auth:         lockout(cfg.AuthLockout),
		attempts:     lockout(cfg.AttemptLockout),
		checks:       rate(cfg.CheckLimit),
		offersPerKey: rate(cfg.OfferLimitKey),
		offersPerIP:  rate(cfg.OfferLimitIP),
		pagesPerIP:   rate(cfg.PageLimitIP),
	}
}

// redisLimits gives each limit its own key space under the prefix, so
// that a key's bucket of one limit is never another's.
func redisLimits(client redis.UniversalClient, cfg *config, now func() time.Time) *limits {
	opts := func(space string) []redisstore.Option {
		o := []redisstore.Option{redisstore.WithPrefix(cfg.RedisPrefix + space)}
		if now != nil {
			o = append(o, redisstore.WithClock(now))
		}
		return o
	}
	rate := func(l session.RateLimit, space string) session.RateLimiter {
		if l.Burst == 0 {
			return nil
		}
		return redisstore.NewRateLimiter(client, l, opts(space)...)
	}
	lockout := func(p session.LockoutPolicy, space string) session.Lockout {
		if p.Failures == 0 {
			return nil
		}
		return redisstore.NewLockout(client, p, opts(space)...)
	}
	return &limits{
		create:       redisstore.NewRateLimiter(client, cfg.CreateRate, redisstore.WithPrefix(cfg.RedisPrefix)),
		auth:         lockout(cfg.AuthLockout, "auth:"),
		attempts:     lockout(cfg.AttemptLockout, "attempts:"),
		checks:       rate(cfg.CheckLimit, "checks:"),
		offersPerKey: rate(cfg.OfferLimitKey, "offers:"),
		offersPerIP:  rate(cfg.OfferLimitIP, "offers:"),
		pagesPerIP:   rate(cfg.PageLimitIP, "pages:"),
	}
}

func (l *limits) api(cfg *config) api.Limits {
	return api.Limits{ClientIP: cfg.TrustedProxies.ClientIP, Auth: l.auth, Attempts: l.attempts, Checks: l.checks}
}

func (l *limits) web() web.Limits {
	return web.Limits{Attempts: l.attempts, OffersPerKey: l.offersPerKey, OffersPerIP: l.offersPerIP, PagesPerIP: l.pagesPerIP}
}

// failureCounter is the store the live capture writes through: every
// failed attempt it records in a session's audit trail counts against the
// session's device (its device_correlation_id under its key) and the client
// address the entry names. Counting at the audit keeps the live capture
// free of limits, and counts exactly the failures the integrator sees.
type failureCounter struct {
	session.Store
	lockout session.Lockout
	log     *slog.Logger
}

func (f *failureCounter) AppendAudit(ctx context.Context, id string, e session.AuditEntry) error {
	if err := f.Store.AppendAudit(ctx, id, e); err != nil || !failedAttempt(e) {
		return err
	}
	var keys []string
	if e.ClientIP != "" {
		keys = append(keys, session.IPLockoutKey(e.ClientIP))
	}
	s, err := f.Store.Get(ctx, id)
	if err != nil {
		f.log.WarnContext(ctx, "lockout: read the session of a failed attempt", "sid", id, "err", err)
	} else if s.DeviceCorrelationID != "" {
		keys = append(keys, session.DeviceLockoutKey(s.Owner, s.DeviceCorrelationID))
	}
	for _, k := range keys {
		locked, err := f.lockout.Fail(ctx, k)
		if err != nil {
			f.log.WarnContext(ctx, "lockout: count a failed attempt", "sid", id, "err", err)
			continue
		}
		if locked > 0 {
			f.log.InfoContext(ctx, "lockout: locked after failed attempts", "sid", id, "key", k, "for", locked)
		}
	}
	return nil
}

// failedAttempt tells the audit entries of a failed liveness attempt: an
// attempt that ended other than matched, cancelled by the user or handed
// back by the server, and a matched one whose evidence said attack.
func failedAttempt(e session.AuditEntry) bool {
	switch e.Event {
	case "attempt_ended":
		switch e.Outcome {
		case string(session.GestureMatch), "canceled", "handed_back":
			return false
		}
		return true
	case "liveness_failed":
		return true
	}
	return false
}

// parseRate reads a limit written burst/period, e.g. 20/10s: 20 requests at
// once, refilled at 20 per 10 s; "off" is no limit.
func parseRate(s string) (session.RateLimit, error) {
	if s == "off" {
		return session.RateLimit{}, nil
	}
	n, per, ok := strings.Cut(s, "/")
	burst, err := strconv.Atoi(strings.TrimSpace(n))
	if !ok || err != nil || burst < 1 || burst > 1e6 {
		return session.RateLimit{}, fmt.Errorf("want requests/period, e.g. 20/10s")
	}
	d, err := duration(strings.TrimSpace(per), time.Second, 24*time.Hour)
	if err != nil {
		return session.RateLimit{}, fmt.Errorf("want requests/period with a period from 1s to 24h, e.g. 20/10s")
	}
	return session.RateLimit{Burst: burst, PerSecond: float64(burst) / d.Seconds()}, nil
}

// parseLockout reads a lockout written failures/window/lock, e.g.
// 5/3m/30m: 5 failures within 3 minutes lock for 30 minutes; "off" is no
// lockout.
func parseLockout(s string) (session.LockoutPolicy, error) {
	if s == "off" {
		return session.LockoutPolicy{}, nil
	}
	f := strings.Split(s, "/")
	bad := fmt.Errorf("want failures/window/lock, e.g. 5/3m/30m")
	if len(f) != 3 {
		return session.LockoutPolicy{}, bad
	}
	n, err := strconv.Atoi(strings.TrimSpace(f[0]))
	if err != nil || n < 1 || n > 1e6 {
		return session.LockoutPolicy{}, bad
	}
	window, err1 := duration(strings.TrimSpace(f[1]), time.Second, 7*24*time.Hour)
	lock, err2 := duration(strings.TrimSpace(f[2]), time.Second, 7*24*time.Hour)
	if err1 != nil || err2 != nil {
		return session.LockoutPolicy{}, fmt.Errorf("want failures/window/lock with durations from 1s to 168h, e.g. 5/3m/30m")
	}
	return session.LockoutPolicy{Failures: n, Window: window, Lock: lock}, nil
}
