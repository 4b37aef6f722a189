package memstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/livegate/livegate/internal/session"
	"github.com/livegate/livegate/internal/session/memstore"
	"github.com/livegate/livegate/internal/session/sessiontest"
)

func BenchmarkCreate(b *testing.B) {
	ctx := context.Background()
	st := memstore.New()
	defer st.Close()
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
	st := memstore.New()
	defer st.Close()
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

func BenchmarkGetParallel(b *testing.B) {
	ctx := context.Background()
	st := memstore.New()
	defer st.Close()
	s := sessiontest.NewSession(b, time.Now())
	if err := st.Create(ctx, s); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := st.Get(ctx, s.ID); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

func BenchmarkAllow(b *testing.B) {
	ctx := context.Background()
	rl := memstore.NewRateLimiter(session.RateLimit{PerSecond: 1e9, Burst: 1 << 30})
	b.ReportAllocs()
	for range b.N {
		if _, _, err := rl.Allow(ctx, "ip:192.0.2.1"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAppendAudit appends to one trail, past the cap: the chained
// append's hashing, and the batched drops.
func BenchmarkAppendAudit(b *testing.B) {
	ctx := context.Background()
	st := memstore.New()
	defer st.Close()
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
