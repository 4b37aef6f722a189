package memstore_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/livegate/livegate/internal/session"
	"github.com/livegate/livegate/internal/session/memstore"
	"github.com/livegate/livegate/internal/session/sessiontest"
)

func putOne(t *testing.T, st *memstore.Store, clock *sessiontest.Clock, size int) *session.Session {
	t.Helper()
	ctx := context.Background()
	s := sessiontest.NewSession(t, clock.Now())
	s.BiometricRetention = time.Hour
	if err := st.Create(ctx, s); err != nil {
		t.Fatal(err)
	}
	img := session.Image{Name: session.ImageBest, Sealed: make([]byte, size)}
	if err := st.PutImages(ctx, s.ID, []session.Image{img}, s.BiometricUntil()); err != nil {
		t.Fatalf("PutImages: %v", err)
	}
	return s
}

// TestImageCap: past the cap in bytes, the sessions whose images were put
// first lose them first, the eviction is audited and counted, the sessions
// themselves stay, and a set larger than the cap is refused.
func TestImageCap(t *testing.T) {
	ctx := context.Background()
	clock := sessiontest.NewClock(sessiontest.Start)
	st := memstore.New(memstore.WithClock(clock.Now), memstore.WithSweepInterval(0), memstore.WithImageCap(1000))
	defer st.Close()
	a := putOne(t, st, clock, 400)
	b := putOne(t, st, clock, 400)
	if st.ImageBytes() != 800 || st.ImagesEvicted() != 0 {
		t.Fatalf("after two puts: %d bytes, %d evicted", st.ImageBytes(), st.ImagesEvicted())
	}
	c := putOne(t, st, clock, 400) // over the cap: a, the oldest, goes
	if st.ImageBytes() != 800 || st.ImagesEvicted() != 1 {
		t.Fatalf("after the third put: %d bytes, %d evicted; want 800, 1", st.ImageBytes(), st.ImagesEvicted())
	}
	if _, err := st.Image(ctx, a.ID, session.ImageBest); !errors.Is(err, session.ErrNotFound) {
		t.Errorf("the oldest set survived the cap: %v", err)
	}
	for _, s := range []*session.Session{b, c} {
		if _, err := st.Image(ctx, s.ID, session.ImageBest); err != nil {
			t.Errorf("a newer set was evicted: %v", err)
		}
	}
	if _, err := st.Get(ctx, a.ID); err != nil {
		t.Errorf("the session went with its images: %v", err)
	}
	es, err := st.Audit(ctx, a.ID)
	if err != nil || len(es) != 1 || es[0].Event != memstore.EventImagesEvicted || es[0].Outcome != "1" {
		t.Errorf("audit of the evicted session: %+v, %v", es, err)
	}
	if err := session.VerifyAudit(es); err != nil {
		t.Error(err)
	}
	// Deleting gives the bytes back.
	if n, err := st.DeleteImages(ctx, b.ID); err != nil || n != 1 || st.ImageBytes() != 400 {
		t.Errorf("DeleteImages: %d, %v; %d bytes left", n, err, st.ImageBytes())
	}
	// A set bigger than the whole cap is refused, and evicts nothing.
	d := sessiontest.NewSession(t, clock.Now())
	d.BiometricRetention = time.Hour
	if err := st.Create(ctx, d); err != nil {
		t.Fatal(err)
	}
	err = st.PutImages(ctx, d.ID, []session.Image{{Name: session.ImageFar, Sealed: make([]byte, 1001)}}, d.BiometricUntil())
	var se *session.Error
	if !errors.As(err, &se) || se.Code != session.EUnavailable {
		t.Errorf("a set over the cap: %v, want EUnavailable", err)
	}
	if _, err := st.Image(ctx, c.ID, session.ImageBest); err != nil {
		t.Errorf("the refused set evicted another: %v", err)
	}
	// Expired sets give their bytes back in the sweep.
	clock.Advance(2 * time.Hour)
	st.Sweep()
	if st.ImageBytes() != 0 {
		t.Errorf("after the sweep past the retention: %d bytes held", st.ImageBytes())
	}
}
