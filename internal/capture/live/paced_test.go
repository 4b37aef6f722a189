package live_test

import (
	"image"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/livegate/livegate/internal/capture/client"
	"github.com/livegate/livegate/internal/capture/live"
	"github.com/livegate/livegate/internal/gesture"
	"github.com/livegate/livegate/internal/session"
)

// The pacing over pion: a page that answers the server's messages. The
// engine is a puppet whose face the test moves (neutral, mouth open, head
// turned) from the page's side, when the page's messages arrive, as a
// person in front of the camera would.

const (
	poseNeutral int32 = iota
	poseMouth
	poseTurned
)

// puppet's head turns as a person's does, over turnTime from the moment
// the pose was set (an instant 30° jump is, rightly, read as a swapped
// picture by the engine's motion filter, not as a turn).
type puppet struct {
	pose  atomic.Int32
	since atomic.Int64 // unix nanoseconds of the last pose change
}

const turnTime = 250 * time.Millisecond

func (p *puppet) set(pose int32) {
	p.since.Store(time.Now().UnixNano())
	p.pose.Store(pose)
}

func (p *puppet) Reset() {}

func (p *puppet) Process(img *image.Gray, t time.Time) gesture.Observation {
	o := gesture.Observation{
		T: t, Width: img.Rect.Dx(), Height: img.Rect.Dy(), Faces: 1, Track: 1,
		Box:     image.Rect(100, 60, 220, 200),
		EyeLeft: 0.3, EyeRight: 0.3, Mouth: 0.05,
		Quality: gesture.Quality{FaceWidth: 0.4, Brightness: 120, Sharpness: 20, LineRatio: 1.2},
	}
	switch p.pose.Load() {
	case poseMouth:
		o.Mouth = 0.6
	case poseTurned:
		f := float64(time.Now().UnixNano()-p.since.Load()) / float64(turnTime)
		o.Yaw = 30 * min(1, max(0, f))
	}
	return o
}

// pacedRig is a rig whose challenges are paced (the default), with short
// waits that it records.
func pacedRig(t *testing.T, p *puppet, reactionMax time.Duration) (*rig, *delays) {
	d := &delays{}
	r := newRig(t, rigOptions{
		engines: live.EngineFactoryFunc(func() (live.Engine, error) { return p, nil }),
		cfg: func(c *live.Config) {
			c.Challenge = gesture.ChallengeConfig{GestureTimeout: 8 * time.Second, ReactionMax: reactionMax, InstructionDelay: d.draw}
		},
	})
	return r, d
}

// delays hands out waits of 600 ms, 700 ms, … and counts them.
type delays struct {
	mu sync.Mutex
	n  int
}

func (d *delays) draw(int) time.Duration {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.n++
	return time.Duration(500+100*d.n) * time.Millisecond
}

func (d *delays) count() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.n
}

// act moves the puppet to pose after d (real time, as a person reacts).
func act(p *puppet, pose int32, d time.Duration) { time.AfterFunc(d, func() { p.set(pose) }) }

func TestPacedReadyWaitInstructionOrder(t *testing.T) {
	p := &puppet{}
	r, d := pacedRig(t, p, 0)
	s := r.session([]string{"HEAD_OPEN_MOUTH"}, 2)
	var waitAt, instrAt time.Time
	out := r.run(r.mustDial(s.ID), client.RunOptions{Clips: []*client.Clip{blankClip(t)}, OnMessage: func(m client.Message) {
		switch m.Type {
		case "wait":
			waitAt = time.Now()
		case "instruction":
			instrAt = time.Now()
			act(p, poseMouth, 500*time.Millisecond)
		}
	}})
	if out.Result != "success" {
		t.Fatalf("outcome %q; want success (messages %v)", out.Result, types(out))
	}
	ts := strings.Join(types(out), ",")
	if !strings.HasPrefix(ts, "hello,") || !strings.Contains(ts, ",wait,") || strings.Index(ts, "wait") > strings.Index(ts, "instruction") || !strings.HasSuffix(ts, "matched,done") {
		t.Fatalf("messages %s; want hello, …wait, …instruction…, matched, done", ts)
	}
	for _, m := range out.Messages {
		switch m.Type {
		case "hello":
			if m.Total != 1 || m.Gesture != "" || m.AttemptsLeft == nil || *m.AttemptsLeft != 2 {
				t.Errorf("hello %+v; want total 1, attempts_left 2 and no gesture", m)
			}
		case "wait":
			if m.Gesture != "" || m.Index == nil || *m.Index != 0 || m.Total != 1 {
				t.Errorf("wait %+v; want index 0 of 1 and no gesture", m)
			}
		case "instruction":
			if m.Gesture != "HEAD_OPEN_MOUTH" {
				t.Errorf("instruction %+v; want HEAD_OPEN_MOUTH", m)
			}
		}
	}
	if gap := instrAt.Sub(waitAt); gap < 550*time.Millisecond {
		t.Errorf("instruction %v after the wait message; want the drawn 600 ms", gap)
	}
	if d.count() != 1 {
		t.Errorf("%d waits drawn; want 1", d.count())
	}
	got := r.get(s.ID)
	if got.Result == nil || len(got.Result.Gestures) != 1 {
		t.Fatalf("stored result %+v; want one gesture", got.Result)
	}
	g := got.Result.Gestures[0]
	if g.Status != session.GestureMatch || g.InstructedAt.IsZero() || g.OnsetAt.IsZero() || g.HeldAt.IsZero() || g.MatchedAt.IsZero() ||
		g.ReactionMS == nil || g.RTTMS == nil || g.Failure != "" {
		t.Fatalf("stored gesture %+v; want MATCH with every timing", g)
	}
	// The page acted 500 ms after the instruction arrived; the server
	// sees the frame after that (15 frames/s, loopback).
	if *g.ReactionMS < 450 || *g.ReactionMS > 800 {
		t.Errorf("reaction %d ms; want about 500", *g.ReactionMS)
	}
	var instr bool
	for _, e := range r.audit(s.ID) {
		if e.Event == "instruction" && e.Attempt == 1 && e.Gesture == session.HeadOpenMouth && e.Time.Equal(g.InstructedAt) {
			instr = true
		}
	}
	if !instr {
		t.Errorf("audit %+v; want instruction HEAD_OPEN_MOUTH at %v in attempt 1", r.audit(s.ID), g.InstructedAt)
	}
}

func TestPacedAttemptFailedCarriesTheReason(t *testing.T) {
	tests := []struct {
		name   string
		react  func(p *puppet, m client.Message)
		reason string
	}{
		{"mouth opened during the wait", func(p *puppet, m client.Message) {
			if m.Type == "wait" {
				act(p, poseMouth, 100*time.Millisecond)
			}
		}, "early"},
		{"no reaction", func(*puppet, client.Message) {}, "late"},
		{"head turned instead", func(p *puppet, m client.Message) {
			if m.Type == "instruction" {
				act(p, poseTurned, 400*time.Millisecond)
			}
		}, "wrong_gesture"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := &puppet{}
			// 2 s to react: the wrong gesture (turned 400 ms after the
			// instruction arrives, then held WrongHold) must end the try
			// before "late" does, also on a loaded CI machine.
			r, d := pacedRig(t, p, 2*time.Second)
			s := r.session([]string{"HEAD_OPEN_MOUTH"}, 2)
			// The first attempt fails as the case says; the page sends
			// ready again and the second, a fair one, passes.
			out := r.run(r.mustDial(s.ID), client.RunOptions{Clips: []*client.Clip{blankClip(t)}, Retry: true, OnMessage: func(m client.Message) {
				switch {
				case m.Type == "attempt_failed":
					p.set(poseNeutral)
				case m.Attempt == 1:
					tc.react(p, m)
				case m.Type == "instruction":
					act(p, poseMouth, 400*time.Millisecond)
				}
			}})
			var failed []client.Message
			for _, m := range out.Messages {
				if m.Type == "attempt_failed" {
					failed = append(failed, m)
				}
			}
			if len(failed) != 1 || failed[0].Reason != tc.reason || failed[0].AttemptsLeft == nil || *failed[0].AttemptsLeft != 1 {
				t.Fatalf("attempt_failed %+v; want one with reason %q and 1 attempt left (messages %v)", failed, tc.reason, types(out))
			}
			if out.Result != "success" || out.Attempts != 2 {
				t.Fatalf("outcome %q after %d attempts; want success after 2", out.Result, out.Attempts)
			}
			if d.count() != 2 {
				t.Errorf("%d waits drawn; want a new one for the second attempt", d.count())
			}
			var audited bool
			for _, e := range r.audit(s.ID) {
				if e.Event == "gesture_failed" && e.Attempt == 1 && e.Outcome == tc.reason && e.Gesture == session.HeadOpenMouth {
					audited = true
				}
			}
			if !audited {
				t.Errorf("audit %+v; want gesture_failed %s for attempt 1", r.audit(s.ID), tc.reason)
			}
			if n := metric(t, r, "livegate_capture_attempts_total", tc.reason); n != 1 {
				t.Errorf("attempts{%s} = %v; want 1", tc.reason, n)
			}
		})
	}
}

func TestServiceIsPacedByDefault(t *testing.T) {
	// The live service never runs unpaced unless told to (only tests of
	// detection do): a zero Challenge config waits before the instruction.
	p := &puppet{}
	r := newRig(t, rigOptions{
		engines: live.EngineFactoryFunc(func() (live.Engine, error) { return p, nil }),
		cfg:     func(c *live.Config) { c.Challenge = gesture.ChallengeConfig{} },
	})
	s := r.session([]string{"HEAD_OPEN_MOUTH"}, 1)
	var waitAt, instrAt time.Time
	out := r.run(r.mustDial(s.ID), client.RunOptions{Clips: []*client.Clip{blankClip(t)}, StopAfter: func(m client.Message) bool {
		switch m.Type {
		case "wait":
			waitAt = time.Now()
		case "instruction":
			instrAt = time.Now()
			return true
		}
		return false
	}})
	if out.Result != "stopped" || waitAt.IsZero() || instrAt.IsZero() {
		t.Fatalf("outcome %q, messages %v; want a wait then an instruction", out.Result, types(out))
	}
	if gap := instrAt.Sub(waitAt); gap < 2500*time.Millisecond || gap > 4500*time.Millisecond {
		t.Errorf("instruction %v after the wait; want the default 2.5–4 s", gap)
	}
}
