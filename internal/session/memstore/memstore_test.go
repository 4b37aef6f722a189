package memstore_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/livegate/livegate/internal/session"
	"github.com/livegate/livegate/internal/session/memstore"
)

func TestSmoke(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	st := memstore.New(memstore.WithClock(func() time.Time { return now }))
	defer st.Close()
	s, err := session.New(session.Params{Kind: session.KindActive, SuccessURL: "https://example.com/ok"}, now)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Create(ctx, s); err != nil {
		t.Fatal(err)
	}
	if err := st.Create(ctx, s); !errors.Is(err, session.ErrExists) {
		t.Fatalf("Create twice: got %v; want ErrExists", err)
	}
	got, err := st.Update(ctx, s.ID, func(s *session.Session) error {
		return s.Finish(session.Result{Status: "success", GestureStatus: session.GestureMatch}, now)
	})
	if err != nil || got.Status != session.StatusFinished {
		t.Fatalf("Finish: got %v, %v; want FINISHED", got, err)
	}
}
