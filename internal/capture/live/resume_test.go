package live_test

import (
	"context"
	"image"
	"sync/atomic"
	"testing"
	"time"

	"github.com/livegate/livegate/internal/capture/client"
	"github.com/livegate/livegate/internal/capture/live"
	"github.com/livegate/livegate/internal/gesture"
	"github.com/livegate/livegate/internal/session"
)

// These tests are issue 14's first finding: dropping or replacing the
// page's connection once a gesture was asked must not resume the attempt
// with a fresh baseline and new timers for free.

// dropAfterInstruction connects to sid, plays until the first instruction
// and kills the page (no hang-up), then waits for the connection to end.
func (r *rig) dropAfterInstruction(sid string) {
	r.t.Helper()
	p := r.mustDial(sid)
	out := r.run(p, client.RunOptions{Clips: []*client.Clip{blankClip(r.t)}, StopAfter: func(m client.Message) bool { return m.Type == "instruction" }})
	if out.Result != "stopped" {
		r.t.Fatalf("outcome %q (%v); want to stop at the instruction", out.Result, types(out))
	}
	p.c.Close()
	waitFor(r.t, 10*time.Second, "the connection to end", func() bool { return r.svc.Live() == 0 })
}

func countAudit(entries []session.AuditEntry, event, outcome string) int {
	n := 0
	for _, e := range entries {
		if e.Event == event && (outcome == "" || e.Outcome == outcome) {
			n++
		}
	}
	return n
}

func TestReconnectsAfterAnInstructionUseUpTheAttempts(t *testing.T) {
	// The grace is long: every reconnection below comes within it, the
	// case that resumed the attempt for free.
	r := newRig(t, rigOptions{
		engines: live.EngineFactoryFunc(func() (live.Engine, error) { return &fakeEngine{openAfter: time.Hour}, nil }),
		cfg:     func(c *live.Config) { c.Grace = time.Minute },
	})
	const max = 3
	s := r.session([]string{"HEAD_OPEN_MOUTH"}, max)
	for i := 1; i <= max; i++ {
		r.dropAfterInstruction(s.ID)
		if got := r.get(s.ID); got.AttemptsUsed != i || got.Status != session.StatusPending {
			t.Fatalf("after %d drops: %s with %d attempts used; want PENDING with %d", i, got.Status, got.AttemptsUsed, i)
		}
	}
	// The last attempt was asked a gesture and dropped: the next page is
	// told the session failed instead of getting it back.
	out := r.run(r.mustDial(s.ID), client.RunOptions{Clips: []*client.Clip{blankClip(t)}})
	if out.Result != "failed" {
		t.Fatalf("page after the last attempt was dropped: outcome %q (%v); want failed", out.Result, types(out))
	}
	for _, m := range out.Messages {
		if m.Type == "instruction" {
			t.Fatalf("page after the last attempt was dropped got an instruction: %v", types(out))
		}
	}
	got := r.get(s.ID)
	if got.Status != session.StatusFinished || got.Result == nil || got.Result.Status != "failed" || got.AttemptsUsed != max {
		t.Fatalf("session %s, result %+v, %d attempts used; want FINISHED failed with %d", got.Status, got.Result, got.AttemptsUsed, max)
	}
	a := r.audit(s.ID)
	if n := countAudit(a, "attempt_ended", "connection_lost"); n != max {
		t.Errorf("%d attempt_ended/connection_lost entries; want %d", n, max)
	}
	if n := countAudit(a, "attempt_resumed", ""); n != 0 {
		t.Errorf("%d attempt_resumed entries; want none", n)
	}
	if n := countAudit(a, "attempt_started", ""); n != max {
		t.Errorf("%d attempt_started entries; want %d", n, max)
	}
	// No new connection is accepted for a finished session.
	if _, err := r.dial(s.ID); err == nil {
		t.Error("offer for the failed session accepted")
	}
}

func TestReplacedConnectionAfterAnInstructionCostsAnAttempt(t *testing.T) {
	var made atomic.Int32
	r := newRig(t, rigOptions{engines: live.EngineFactoryFunc(func() (live.Engine, error) {
		if made.Add(1) == 1 {
			return &fakeEngine{openAfter: time.Hour}, nil // the first page never opens its mouth
		}
		return &fakeEngine{openAfter: 700 * time.Millisecond}, nil
	})})
	s := r.session([]string{"HEAD_OPEN_MOUTH"}, 3)
	first := r.mustDial(s.ID)
	done := make(chan *client.Outcome, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		out, _ := client.Run(ctx, first.c, first.msgs, client.RunOptions{Clips: []*client.Clip{blankClip(t)}, StopAfter: func(m client.Message) bool { return m.Type == "closing" }})
		done <- out
	}()
	waitFor(t, 10*time.Second, "the first connection's instruction", func() bool { return countAudit(r.audit(s.ID), "instruction", "") == 1 })
	second := r.mustDial(s.ID)
	out := <-done
	if last := out.Messages[len(out.Messages)-1]; last.Type != "closing" || last.Reason != "replaced" {
		t.Fatalf("first connection's last message %+v; want closing/replaced", last)
	}
	out2 := r.run(second, client.RunOptions{Clips: []*client.Clip{blankClip(t)}})
	if out2.Result != "success" {
		t.Fatalf("second connection: %q (%v); want success", out2.Result, types(out2))
	}
	if hello := out2.Messages[0]; hello.Type != "hello" || hello.AttemptsLeft == nil || *hello.AttemptsLeft != 2 {
		t.Errorf("second connection's first message %+v; want hello with 2 attempts left", hello)
	}
	got := r.get(s.ID)
	if got.AttemptsUsed != 2 {
		t.Errorf("attempts used %d; want 2 (the replaced connection's attempt counted)", got.AttemptsUsed)
	}
	a := r.audit(s.ID)
	if n := countAudit(a, "attempt_ended", "connection_lost"); n != 1 {
		t.Errorf("%d attempt_ended/connection_lost entries; want 1", n)
	}
	waitFor(t, 5*time.Second, "no live connection", func() bool { return r.svc.Live() == 0 })
}

// faceless sees no face: its challenge never takes a baseline, so no
// gesture is ever asked.
type faceless struct{}

func (faceless) Reset() {}
func (faceless) Process(img *image.Gray, t time.Time) gesture.Observation {
	return gesture.Observation{T: t, Width: img.Rect.Dx(), Height: img.Rect.Dy()}
}

func TestReconnectsBeforeAnyInstructionResumeAndAuditOnce(t *testing.T) {
	r := newRig(t, rigOptions{
		engines: live.EngineFactoryFunc(func() (live.Engine, error) { return faceless{}, nil }),
		cfg: func(c *live.Config) {
			c.Grace = time.Minute
			c.Challenge.GestureTimeout = time.Minute
		},
	})
	s := r.session([]string{"HEAD_OPEN_MOUTH"}, 1)
	const drops = 5
	for i := 0; i < drops; i++ {
		p := r.mustDial(s.ID)
		ctx, cancel := context.WithCancel(context.Background())
		ran := make(chan struct{})
		go func() {
			defer close(ran)
			client.Run(ctx, p.c, p.msgs, client.RunOptions{Clips: []*client.Clip{blankClip(t)}})
		}()
		// The ready was handled: the attempt started (first page) or
		// was resumed (the others).
		waitFor(t, 10*time.Second, "the attempt to run", func() bool {
			return r.get(s.ID).AttemptsUsed == 1 && metric(t, r, "livegate_capture_attempt_resumes_total", "") == float64(i)
		})
		cancel()
		<-ran
		p.c.Close()
		waitFor(t, 10*time.Second, "the connection to end", func() bool { return r.svc.Live() == 0 })
	}
	got := r.get(s.ID)
	if got.Status != session.StatusPending || got.AttemptsUsed != 1 {
		t.Fatalf("after %d drops before any instruction: %s with %d attempts used; want PENDING with 1", drops, got.Status, got.AttemptsUsed)
	}
	a := r.audit(s.ID)
	if n := countAudit(a, "attempt_resumed", ""); n != 1 {
		t.Errorf("%d attempt_resumed entries after %d resumes; want 1 (the rest counted, not audited)", n, drops-1)
	}
	if n := countAudit(a, "instruction", ""); n != 0 {
		t.Errorf("%d instructions; want none", n)
	}
}

// A passive attempt has no instruction: its burst may begin as soon as the
// face is held, so a new connection never resumes it.
func TestPassiveReconnectCostsTheAttempt(t *testing.T) {
	r := newRig(t, rigOptions{cfg: func(c *live.Config) {
		c.Grace = time.Minute
		// A burst that never completes within the test: the attempt is
		// still running when the page drops.
		c.Passive = live.PassiveConfig{Burst: time.Hour, Timeout: time.Hour}
	}})
	s := r.passiveSession(2)
	p := r.mustDial(s.ID)
	out := r.run(p, client.RunOptions{Clips: []*client.Clip{blankClip(t)}, StopAfter: func(m client.Message) bool { return m.Type == "progress" }})
	if out.Result != "stopped" {
		t.Fatalf("outcome %q (%v); want to stop at the burst's progress", out.Result, types(out))
	}
	p.c.Close()
	waitFor(t, 10*time.Second, "the connection to end", func() bool { return r.svc.Live() == 0 })

	p = r.mustDial(s.ID)
	out = r.run(p, client.RunOptions{Clips: []*client.Clip{blankClip(t)}, StopAfter: func(m client.Message) bool { return m.Type == "progress" }})
	if hello := out.Messages[0]; hello.Type != "hello" || hello.AttemptsLeft == nil || *hello.AttemptsLeft != 1 {
		t.Errorf("reconnected page's first message %+v; want hello with 1 attempt left", hello)
	}
	waitFor(t, 10*time.Second, "the second attempt", func() bool { return r.get(s.ID).AttemptsUsed == 2 })
	a := r.audit(s.ID)
	if n := countAudit(a, "attempt_ended", "connection_lost"); n != 1 {
		t.Errorf("%d attempt_ended/connection_lost entries; want 1", n)
	}
	if n := countAudit(a, "attempt_resumed", ""); n != 0 {
		t.Errorf("%d attempt_resumed entries; want none", n)
	}
}
