package server

import (
	"context"
	"errors"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/livegate/livegate/internal/capture/live"
	"github.com/livegate/livegate/internal/session/memstore"
)

// slowEngines is an engineFactory whose models load when the test says.
type slowEngines struct {
	loaded      chan struct{}
	closes      atomic.Int32
	closedEarly atomic.Bool // Close ran before the load ended
}

var _ engineFactory = (*slowEngines)(nil)

func (e *slowEngines) Wait() error { <-e.loaded; return nil }

func (e *slowEngines) NewEngine() (live.Engine, error) {
	<-e.loaded
	return nil, errors.New("no engines in this test")
}

func (e *slowEngines) Close() error {
	select {
	case <-e.loaded:
	default:
		e.closedEarly.Store(true)
	}
	e.closes.Add(1)
	return nil
}

// TestLiveShutdownWaitsForTheModelLoad: the goroutine that waits for the
// models is the live capture's own; shutdown waits for it (bounded by its
// context) and only then closes the engines, once however often it runs.
func TestLiveShutdownWaitsForTheModelLoad(t *testing.T) {
	store := memstore.New()
	t.Cleanup(func() { _ = store.Close() })
	eng := &slowEngines{loaded: make(chan struct{})}
	cfg := &config{AnalysisFPS: 15, Loopback: true, MaxLive: 1, ConnectionLimit: time.Minute}
	lc, err := openLive(cfg, eng, nil, store, prometheus.NewRegistry(), slog.New(slog.DiscardHandler), nil)
	if err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := lc.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Shutdown while the models load: got %v; want the context's deadline", err)
	}
	if n := eng.closes.Load(); n != 0 {
		t.Fatalf("engines closed %d times while their load ran; want 0", n)
	}

	close(eng.loaded)
	for i := range 2 {
		if err := lc.Shutdown(context.Background()); err != nil {
			t.Fatalf("Shutdown %d after the load: %v", i+1, err)
		}
	}
	select {
	case <-lc.loaded:
	default:
		t.Error("Shutdown returned before the goroutine waiting for the models ended")
	}
	if n := eng.closes.Load(); n != 1 || eng.closedEarly.Load() {
		t.Errorf("engines closed %d times (early: %v); want once, after the load", n, eng.closedEarly.Load())
	}
}
