package redisstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/livegate/livegate/internal/session"
	"github.com/livegate/livegate/internal/session/redisstore"
	"github.com/livegate/livegate/internal/session/sessiontest"
)

func BenchmarkCreate(b *testing.B) {
	ctx := context.Background()
	c := sessiontest.RedisClient(b)
	st := redisstore.New(c, redisstore.WithPrefix(sessiontest.RedisPrefix(b, c)))
	proto := sessiontest.NewSession(b, time.Now())
	ids := make([]string, b.N)
	for i := range ids {
		ids[i] = session.NewID()
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		proto.ID = ids[i]
		if err := st.Create(ctx, proto); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkGet(b *testing.B) {
	ctx := context.Background()
	c := sessiontest.RedisClient(b)
	st := redisstore.New(c, redisstore.WithPrefix(sessiontest.RedisPrefix(b, c)))
	s := sessiontest.NewSession(b, time.Now())
	if err := st.Create(ctx, s); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if _, err := st.Get(ctx, s.ID); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkUpdate(b *testing.B) {
	ctx := context.Background()
	c := sessiontest.RedisClient(b)
	st := redisstore.New(c, redisstore.WithPrefix(sessiontest.RedisPrefix(b, c)))
	s := sessiontest.NewSession(b, time.Now())
	if err := st.Create(ctx, s); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if _, err := st.Update(ctx, s.ID, func(s *session.Session) error { s.AttemptsUsed++; return nil }); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAllow(b *testing.B) {
	ctx := context.Background()
	c := sessiontest.RedisClient(b)
	rl := redisstore.NewRateLimiter(c, session.RateLimit{PerSecond: 1e9, Burst: 1 << 30}, redisstore.WithPrefix(sessiontest.RedisPrefix(b, c)))
	b.ReportAllocs()
	for range b.N {
		if _, _, err := rl.Allow(ctx, "ip:192.0.2.1"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAppendAudit appends to one trail, past the cap: the chained
// append's read of the head, its hashing and its conditional write.
func BenchmarkAppendAudit(b *testing.B) {
	ctx := context.Background()
	c := sessiontest.RedisClient(b)
	st := redisstore.New(c, redisstore.WithPrefix(sessiontest.RedisPrefix(b, c)))
	s := sessiontest.NewSession(b, time.Now())
	if err := st.Create(ctx, s); err != nil {
		b.Fatal(err)
	}
	e := session.AuditEntry{Time: time.Now(), Attempt: 1, Event: "attempt_ended", Outcome: "NOT_MATCH", ClientIP: "192.0.2.1", UserAgent: "Mozilla/5.0 (X11; Linux x86_64)"}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if err := st.AppendAudit(ctx, s.ID, e); err != nil {
			b.Fatal(err)
		}
	}
}

// benchReference is the size of a real sealed reference: 128 float32
// (512 bytes) plus the sealing's key id, nonce and tag.
func benchReference(s *session.Session) {
	s.BiometricRetention = time.Hour
	s.Reference = &session.Reference{Sealed: make([]byte, 512+8+12+16), Quality: "high"}
}

// BenchmarkGetWithReference reads a session that keeps a sealed reference
// (two keys: the session's and its biometric value's).
func BenchmarkGetWithReference(b *testing.B) {
	ctx := context.Background()
	c := sessiontest.RedisClient(b)
	st := redisstore.New(c, redisstore.WithPrefix(sessiontest.RedisPrefix(b, c)))
	s := sessiontest.NewSession(b, time.Now())
	benchReference(s)
	if err := st.Create(ctx, s); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if _, err := st.Get(ctx, s.ID); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkUpdateWithReference updates a session that keeps a sealed
// reference.
func BenchmarkUpdateWithReference(b *testing.B) {
	ctx := context.Background()
	c := sessiontest.RedisClient(b)
	st := redisstore.New(c, redisstore.WithPrefix(sessiontest.RedisPrefix(b, c)))
	s := sessiontest.NewSession(b, time.Now())
	benchReference(s)
	if err := st.Create(ctx, s); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if _, err := st.Update(ctx, s.ID, func(s *session.Session) error { s.AttemptsUsed++; return nil }); err != nil {
			b.Fatal(err)
		}
	}
}
