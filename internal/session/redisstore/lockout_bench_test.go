package redisstore_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/livegate/livegate/internal/session"
	"github.com/livegate/livegate/internal/session/redisstore"
	"github.com/livegate/livegate/internal/session/sessiontest"
)

// BenchmarkLockout measures the two calls the lockouts add to a request:
// Locked (a page, an offer, a create with a device id, every API request)
// and Fail (a wrong key, a failed attempt), one Redis round trip each.
func BenchmarkLockout(b *testing.B) {
	c := sessiontest.RedisClient(b)
	l := redisstore.NewLockout(c, session.LockoutPolicy{Failures: 5, Window: 3 * time.Minute, Lock: 30 * time.Minute},
		redisstore.WithPrefix(sessiontest.RedisPrefix(b, c)))
	ctx := context.Background()
	b.Run("Locked", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			if _, err := l.Locked(ctx, "ip:192.0.2."+strconv.Itoa(i%256)); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Fail", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			if _, err := l.Fail(ctx, "ip:198.51.100."+strconv.Itoa(i%256)); err != nil {
				b.Fatal(err)
			}
		}
	})
}
