package redisstore

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/livegate/livegate/internal/session"
)

// Lockout is a session.Lockout kept in Redis, shared by every instance that
// uses the same Redis and prefix. Each key is a hash {prefix}lockout:{key}
// with the failures of the current window ("n"), when the window began
// ("start") and until when the key is locked ("until"), times in
// microseconds of the lockout's clock, passed to the script as the
// RateLimiter's are. One Lua script counts a failure, so failures from any
// number of instances are all counted. A hash expires once it neither
// locks nor counts.
type Lockout struct {
	client redis.UniversalClient
	prefix string
	now    func() time.Time
	policy session.LockoutPolicy
}

var _ session.Lockout = (*Lockout)(nil)

// NewLockout returns a lockout with policy over client. Only WithPrefix and
// WithClock apply. The caller keeps ownership of client. It panics on a
// policy that does not validate.
func NewLockout(client redis.UniversalClient, policy session.LockoutPolicy, opts ...Option) *Lockout {
	if err := policy.Validate(); err != nil {
		panic("redisstore: " + err.Error())
	}
	c := newConfig(opts)
	return &Lockout{client: client, prefix: c.prefix, now: c.now, policy: policy}
}

// countFailure records a failure of KEYS[1] at ARGV[1] (µs) under the
// policy ARGV[2] failures in ARGV[3] µs lock for ARGV[4] µs, and returns
// the µs the key stays locked (0: not locked).
var countFailure = redis.NewScript(`
local now = tonumber(ARGV[1])
local failures = tonumber(ARGV[2])
local window = tonumber(ARGV[3])
local lock = tonumber(ARGV[4])
local b = redis.call('HMGET', KEYS[1], 'n', 'start', 'until')
local n = tonumber(b[1]) or 0
local start = tonumber(b[2]) or now
local untl = tonumber(b[3]) or 0
if untl > now then
	return untl - now
end
if now - start >= window then
	n = 0
	start = now
end
n = n + 1
if n >= failures then
	n = 0
	start = now
	untl = now + lock
end
redis.call('HSET', KEYS[1], 'n', n, 'start', string.format('%.0f', start), 'until', string.format('%.0f', untl))
local ttl = window
if untl - now > ttl then
	ttl = untl - now
end
redis.call('PEXPIRE', KEYS[1], math.ceil(ttl / 1000) + 1000)
if untl > now then
	return untl - now
end
return 0
`)

func (l *Lockout) key(k string) string { return l.prefix + "lockout:" + k }

// Fail records a failure of key.
func (l *Lockout) Fail(ctx context.Context, key string) (time.Duration, error) {
	us, err := countFailure.Run(ctx, l.client, []string{l.key(key)}, l.now().UnixMicro(),
		l.policy.Failures, l.policy.Window.Microseconds(), l.policy.Lock.Microseconds()).Int64()
	if err != nil {
		return 0, fmt.Errorf("redisstore: lockout %q: %w", key, unavailable(err))
	}
	return time.Duration(us) * time.Microsecond, nil
}

// Locked returns how long key stays locked.
func (l *Lockout) Locked(ctx context.Context, key string) (time.Duration, error) {
	v, err := l.client.HGet(ctx, l.key(key), "until").Int64()
	if err == redis.Nil {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("redisstore: lockout %q: %w", key, unavailable(err))
	}
	if left := time.Duration(v-l.now().UnixMicro()) * time.Microsecond; left > 0 {
		return left, nil
	}
	return 0, nil
}
