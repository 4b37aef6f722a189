package capture

import (
	"context"
	"testing"
	"time"
)

func TestPacer(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	ms := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Millisecond) }
	p := pacer{interval: 100 * time.Millisecond}
	steps := []struct {
		now       time.Time
		wantDelay time.Duration
		start     bool
	}{
		{ms(0), 0, true},                        // first analysis: no wait
		{ms(30), 70 * time.Millisecond, false},  // too early
		{ms(100), 0, true},                      // on time
		{ms(205), 0, true},                      // 5 ms late: next slot stays at 300
		{ms(290), 10 * time.Millisecond, false}, // slot 300, not 305
		{ms(300), 0, true},
		{ms(1000), 0, true},                      // after a pause: no burst,
		{ms(1001), 99 * time.Millisecond, false}, // the next slot is 1100
	}
	for i, s := range steps {
		if got := p.delay(s.now); got != s.wantDelay {
			t.Errorf("step %d at %v: delay %v; want %v", i, s.now.Sub(t0), got, s.wantDelay)
		}
		if s.start {
			p.started(s.now)
		}
	}

	unlimited := pacer{}
	unlimited.started(ms(0))
	if d := unlimited.delay(ms(0)); d != 0 {
		t.Errorf("no limit: delay %v; want 0", d)
	}
}

func TestSchedulerSemaphore(t *testing.T) {
	s := NewScheduler(2, 15)
	if s.MaxConcurrent() != 2 || s.FPS() != 15 || s.interval() != time.Second/15 {
		t.Fatalf("scheduler %d %v %v", s.MaxConcurrent(), s.FPS(), s.interval())
	}
	ctx := context.Background()
	if err := s.acquire(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.acquire(ctx); err != nil {
		t.Fatal(err)
	}
	if s.Running() != 2 {
		t.Fatalf("running %d; want 2", s.Running())
	}
	// A third analysis waits; its peer closing releases the wait.
	cctx, cancel := context.WithCancel(ctx)
	errc := make(chan error, 1)
	go func() { errc <- s.acquire(cctx) }()
	select {
	case err := <-errc:
		t.Fatalf("third acquire returned %v while the semaphore is full", err)
	case <-time.After(20 * time.Millisecond):
	}
	cancel()
	if err := <-errc; err == nil {
		t.Fatal("acquire after cancel returned nil")
	}
	s.release()
	if err := s.acquire(ctx); err != nil {
		t.Fatal(err)
	}
	if NewScheduler(0, 0).MaxConcurrent() != 1 || NewScheduler(1, -1).FPS() != 0 {
		t.Error("bad defaults")
	}
}
