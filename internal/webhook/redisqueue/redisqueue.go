// Package redisqueue keeps webhook jobs in Redis, so that they survive a
// restart and any instance sharing the Redis delivers them.
//
// Keys, under a prefix (default "livegate:", the session store's):
//
//	{prefix}webhook:due     a sorted set: session id → due time (Unix ms)
//	{prefix}webhook:jobs    a hash: session id → its delivery as JSON, once made
//	{prefix}webhook:leases  a hash: session id → the token of its current claim
//
// Claim is one Lua script: it takes the member of lowest score at or below
// now and moves its score to the end of the lease, so exactly one caller
// gets it and no other sees it until the lease runs out (a worker that dies
// mid-attempt thus gives its job to another after the lease). Retry and Done
// are scripts too, and act only for the holder of the current lease.
//
// Redis Cluster: the scripts touch the three keys together; give the prefix
// a hash tag (for example "{livegate}:").
package redisqueue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/livegate/livegate/internal/webhook"
)

// DefaultPrefix is the session store's default prefix.
const DefaultPrefix = "livegate:"

// Queue is a webhook.Queue over Redis. Any number of Queues (in one process
// or many) may share one Redis and prefix.
type Queue struct {
	client            redis.UniversalClient
	due, jobs, leases string
}

var _ webhook.Queue = (*Queue)(nil)

// New returns a Queue over client with keys under prefix ("" for
// DefaultPrefix). The caller keeps ownership of client.
func New(client redis.UniversalClient, prefix string) *Queue {
	if prefix == "" {
		prefix = DefaultPrefix
	}
	return &Queue{
		client: client,
		due:    prefix + "webhook:due",
		jobs:   prefix + "webhook:jobs",
		leases: prefix + "webhook:leases",
	}
}

func ms(t time.Time) int64 { return t.UnixMilli() }

func (q *Queue) keys() []string { return []string{q.due, q.jobs, q.leases} }

// Add queues sid due at due unless it is queued (ZADD NX).
func (q *Queue) Add(ctx context.Context, sid string, due time.Time) error {
	if err := q.client.ZAddNX(ctx, q.due, redis.Z{Score: float64(ms(due)), Member: sid}).Err(); err != nil {
		return fmt.Errorf("redisqueue: add %s: %w", sid, err)
	}
	return nil
}

// Wake makes sid due at due at the latest (ZADD LT, which also adds).
func (q *Queue) Wake(ctx context.Context, sid string, due time.Time) error {
	if err := q.client.ZAddLT(ctx, q.due, redis.Z{Score: float64(ms(due)), Member: sid}).Err(); err != nil {
		return fmt.Errorf("redisqueue: wake %s: %w", sid, err)
	}
	return nil
}

// claim: KEYS due, jobs, leases; ARGV now (ms), lease end (ms), token.
// Returns {sid, delivery JSON or ""} or nil.
var claim = redis.NewScript(`
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, 1)
if #ids == 0 then
	return false
end
local id = ids[1]
redis.call('ZADD', KEYS[1], ARGV[2], id)
redis.call('HSET', KEYS[3], id, ARGV[3])
return {id, redis.call('HGET', KEYS[2], id) or ''}
`)

// Claim leases the job due soonest at or before now.
func (q *Queue) Claim(ctx context.Context, now time.Time, lease time.Duration) (webhook.Job, bool, error) {
	token := webhook.NewToken()
	res, err := claim.Run(ctx, q.client, q.keys(), ms(now), ms(now.Add(lease)), token).StringSlice()
	if errors.Is(err, redis.Nil) {
		return webhook.Job{}, false, nil
	}
	if err != nil {
		return webhook.Job{}, false, fmt.Errorf("redisqueue: claim: %w", err)
	}
	if len(res) != 2 {
		return webhook.Job{}, false, fmt.Errorf("redisqueue: claim: unexpected reply %q", res)
	}
	j := webhook.Job{SID: res[0], Lease: token}
	if res[1] != "" {
		j.Delivery = new(webhook.Delivery)
		if err := json.Unmarshal([]byte(res[1]), j.Delivery); err != nil {
			return j, true, fmt.Errorf("redisqueue: claim %s: decode: %w", j.SID, err)
		}
	}
	return j, true, nil
}

// retry: KEYS due, jobs, leases; ARGV sid, token, due (ms), delivery JSON
// or "". Returns 1, or 0 when the lease is not the caller's.
var retry = redis.NewScript(`
if redis.call('HGET', KEYS[3], ARGV[1]) ~= ARGV[2] or not redis.call('ZSCORE', KEYS[1], ARGV[1]) then
	return 0
end
redis.call('HDEL', KEYS[3], ARGV[1])
if ARGV[4] ~= '' then
	redis.call('HSET', KEYS[2], ARGV[1], ARGV[4])
end
redis.call('ZADD', KEYS[1], ARGV[3], ARGV[1])
return 1
`)

// Retry stores j's delivery, due at due.
func (q *Queue) Retry(ctx context.Context, j webhook.Job, due time.Time) error {
	var data []byte
	if j.Delivery != nil {
		var err error
		if data, err = json.Marshal(j.Delivery); err != nil {
			return fmt.Errorf("redisqueue: retry %s: encode: %w", j.SID, err)
		}
	}
	n, err := retry.Run(ctx, q.client, q.keys(), j.SID, j.Lease, ms(due), data).Int()
	if err != nil {
		return fmt.Errorf("redisqueue: retry %s: %w", j.SID, err)
	}
	if n == 0 {
		return fmt.Errorf("redisqueue: retry %s: %w", j.SID, webhook.ErrLeaseLost)
	}
	return nil
}

// done: KEYS due, jobs, leases; ARGV sid, token. Returns 1, or 0 when the
// lease is not the caller's.
var done = redis.NewScript(`
if redis.call('HGET', KEYS[3], ARGV[1]) ~= ARGV[2] then
	return 0
end
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
redis.call('HDEL', KEYS[3], ARGV[1])
return 1
`)

// Done removes j.
func (q *Queue) Done(ctx context.Context, j webhook.Job) error {
	n, err := done.Run(ctx, q.client, q.keys(), j.SID, j.Lease).Int()
	if err != nil {
		return fmt.Errorf("redisqueue: done %s: %w", j.SID, err)
	}
	if n == 0 {
		return fmt.Errorf("redisqueue: done %s: %w", j.SID, webhook.ErrLeaseLost)
	}
	return nil
}

// Len is the number of jobs (ZCARD).
func (q *Queue) Len(ctx context.Context) (int, error) {
	n, err := q.client.ZCard(ctx, q.due).Result()
	if err != nil {
		return 0, fmt.Errorf("redisqueue: len: %w", err)
	}
	return int(n), nil
}
