package redisqueue_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/livegate/livegate/internal/session/sessiontest"
	"github.com/livegate/livegate/internal/webhook/redisqueue"
	"github.com/livegate/livegate/internal/webhook/webhooktest"
)

// BenchmarkJob is one session's whole queue traffic: queued at creation,
// woken at its end, claimed and done (four round trips to Redis).
func BenchmarkJob(b *testing.B) {
	ctx := context.Background()
	c := sessiontest.RedisClient(b)
	q := redisqueue.New(c, sessiontest.RedisPrefix(b, c))
	now := webhooktest.Start
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		sid := strconv.Itoa(i)
		if err := q.Add(ctx, sid, now.Add(time.Hour)); err != nil {
			b.Fatal(err)
		}
		if err := q.Wake(ctx, sid, now); err != nil {
			b.Fatal(err)
		}
		j, ok, err := q.Claim(ctx, now, time.Minute)
		if err != nil || !ok {
			b.Fatal(ok, err)
		}
		if err := q.Done(ctx, j); err != nil {
			b.Fatal(err)
		}
	}
}
