package redisstore

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/livegate/livegate/internal/session"
)

// RateLimiter is a session.RateLimiter whose buckets live in Redis, shared by
// every instance that uses the same Redis and prefix. Each bucket is a hash
// {prefix}ratelimit:{key} with the tokens left ("t") and the time they were
// counted ("at", in microseconds). One Lua script refills and takes a token,
// so concurrent calls from any number of instances never over-admit.
//
// The time comes from the limiter's clock and is passed to the script, not
// read from Redis, so that tests control it; instances should therefore keep
// their clocks in sync (NTP). A bucket the clock sees in the past is not
// refilled rather than refilled backwards.
//
// A key expires once its bucket would have refilled: an absent key is a full
// bucket, so Redis holds only the buckets of recent callers.
//
// Limiters with the same prefix share keys; give each limit its own key
// namespace (for example "create:ip:…" and "page:ip:…").
type RateLimiter struct {
	client redis.UniversalClient
	prefix string
	now    func() time.Time
	limit  session.RateLimit
	ttl    time.Duration
}

var _ session.RateLimiter = (*RateLimiter)(nil)

// NewRateLimiter returns a limiter over client that allows limit.Burst
// requests at once per key and limit.PerSecond a second after that. Only
// WithPrefix and WithClock apply. The caller keeps ownership of client. It
// panics when limit.Burst < 1 or limit.PerSecond is not a positive number:
// such a limit is a configuration error to catch at start-up.
func NewRateLimiter(client redis.UniversalClient, limit session.RateLimit, opts ...Option) *RateLimiter {
	if limit.Burst < 1 || !(limit.PerSecond > 0) || math.IsInf(limit.PerSecond, 0) {
		panic(fmt.Sprintf("redisstore: bad rate limit %+v: want Burst ≥ 1 and 0 < PerSecond < +Inf", limit))
	}
	c := newConfig(opts)
	refill := time.Duration(math.Ceil(float64(limit.Burst) / limit.PerSecond * float64(time.Second)))
	return &RateLimiter{
		client: client,
		prefix: c.prefix,
		now:    c.now,
		limit:  limit,
		ttl:    refill.Truncate(time.Millisecond) + time.Second,
	}
}

// takeToken refills the bucket KEYS[1] to ARGV[3] (now, µs) at ARGV[1]
// tokens a second up to ARGV[2], takes a token if there is one, and returns
// {1, 0} or {0, µs to wait}. ARGV[4] is the key's TTL in ms. "at" is stored
// as the string it came in as: Lua's tostring keeps only 14 digits.
var takeToken = redis.NewScript(`
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local b = redis.call('HMGET', KEYS[1], 't', 'at')
local tokens = tonumber(b[1])
local at = b[2]
if tokens == nil or at == false then
	tokens = burst
	at = ARGV[3]
elseif now > tonumber(at) then
	tokens = math.min(burst, tokens + (now - tonumber(at)) * rate / 1e6)
	at = ARGV[3]
end
local ok, wait = 0, 0
if tokens >= 1 then
	tokens = tokens - 1
	ok = 1
else
	wait = math.ceil((1 - tokens) * 1e6 / rate)
end
redis.call('HSET', KEYS[1], 't', string.format('%.17g', tokens), 'at', at)
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return {ok, wait}
`)

// Allow takes a token from key's bucket. When the bucket is empty it returns
// false and how long until a token will be there.
func (rl *RateLimiter) Allow(ctx context.Context, key string) (bool, time.Duration, error) {
	res, err := takeToken.Run(ctx, rl.client, []string{rl.prefix + "ratelimit:" + key},
		rl.limit.PerSecond, rl.limit.Burst, rl.now().UnixMicro(), rl.ttl.Milliseconds()).Int64Slice()
	if err != nil {
		return false, 0, fmt.Errorf("redisstore: rate limit %q: %w", key, unavailable(err))
	}
	if len(res) != 2 {
		return false, 0, fmt.Errorf("redisstore: rate limit %q: script returned %v", key, res)
	}
	if res[0] == 1 {
		return true, 0, nil
	}
	return false, max(time.Duration(res[1])*time.Microsecond, time.Microsecond), nil
}
