package live_test

import (
	"context"
	"image"
	"testing"
	"time"

	"github.com/livegate/livegate/internal/capture/client"
	"github.com/livegate/livegate/internal/capture/live"
	"github.com/livegate/livegate/internal/gesture"
	"github.com/livegate/livegate/internal/session"
)

// Passive-liveness sessions over a real pion connection: the page's
// protocol (hello with passive, progress of the burst, done), and the
// verdict of the real engine and model on facegen clips and attacks.

// passiveSession creates a PENDING passive session claimed by browser.
func (r *rig) passiveSession(attempts int) *session.Session {
	r.t.Helper()
	s, err := session.New(session.Params{
		Kind: session.KindPassive, Owner: "k", SuccessURL: "https://shop.example/done?order=7",
		CancelURL: "https://shop.example/back", MaxAttempts: attempts,
	}, time.Now())
	if err != nil {
		r.t.Fatal(err)
	}
	if err := s.Claim(browser, time.Now()); err != nil {
		r.t.Fatal(err)
	}
	if err := r.store.Create(context.Background(), s); err != nil {
		r.t.Fatal(err)
	}
	return s
}

// passiveNeutral is the bona fide clip: the default face looking at the
// camera with natural sway, long enough that the attempt ends before the
// clip's held last frame (a frozen picture) begins.
const passiveNeutral = "neutral 5s"

// The protocol with the fake engine (a still frontal face): hello says
// passive and lists no gestures, the burst's progress rises to 1, no
// instruction is ever sent, and the session finishes success with the
// model's score turned into GLAIR's spoof_percentage.
func TestPassiveSessionProtocol(t *testing.T) {
	r := newRig(t, rigOptions{cfg: func(c *live.Config) {
		c.AntiSpoof = live.AntiSpoofFunc(func(image.Image, gesture.Face) (float64, error) { return 0.9, nil })
		// The blank clip is one picture: a burst shorter than the frozen
		// rule's 2 s keeps this test about the protocol.
		c.Passive = live.PassiveConfig{Hold: 200 * time.Millisecond, HoldFrames: 3, Burst: time.Second}
	}})
	s := r.passiveSession(2)
	out := r.run(r.mustDial(s.ID), client.RunOptions{Clips: []*client.Clip{blankClip(t)}})
	if out.Result != "success" {
		t.Fatalf("outcome %q (messages %v); want success", out.Result, types(out))
	}
	hello := out.Messages[0]
	if hello.Type != "hello" || hello.Total != 0 {
		t.Errorf("first message %+v; want hello without gestures", hello)
	}
	if raw, want := rawHello(t, r), `{"v":1,"type":"hello","attempts_left":1,"passive":true}`; raw != want {
		t.Errorf("hello %s; want %s", raw, want)
	}
	var last float64 = -1
	var n int
	for _, m := range out.Messages {
		switch m.Type {
		case "instruction", "matched", "wait":
			t.Errorf("a passive attempt sent %s", m.Type)
		case "progress":
			n++
			if m.Value == nil || *m.Value < last || m.Gesture != "" || m.Index != nil {
				t.Errorf("progress %+v after %v; want a rising value without gesture", m, last)
			}
			last = *m.Value
		}
	}
	if n < 3 || last != 1 {
		t.Errorf("%d progress messages ending at %v; want several ending at 1", n, last)
	}
	got := r.get(s.ID)
	res := got.Result
	if got.Status != session.StatusFinished || res == nil || res.Status != "success" || res.GestureStatus != session.GestureMatch {
		t.Fatalf("stored %s %+v; want FINISHED success", got.Status, res)
	}
	// Model p = 0.9 → sub-score 90 → spoof 0.1.
	if res.LivenessScore == nil || *res.LivenessScore != 90 || res.SpoofPercentage == nil || *res.SpoofPercentage != 0.1 {
		t.Errorf("liveness %v spoof %v; want 90 and 0.1", res.LivenessScore, res.SpoofPercentage)
	}
	if len(res.Gestures) != 0 || res.DetectedGesture != "" {
		t.Errorf("gestures %+v detected %q in a passive result", res.Gestures, res.DetectedGesture)
	}
	if got.AttemptsUsed != 1 {
		t.Errorf("attempts used %d; want 1", got.AttemptsUsed)
	}
}

// rawHello is the hello of a new passive session as sent (the client's
// Message has no passive field).
func rawHello(t *testing.T, r *rig) string {
	t.Helper()
	p := r.mustDial(r.passiveSession(1).ID)
	select {
	case raw := <-p.msgs:
		return string(raw)
	case <-time.After(10 * time.Second):
		t.Fatal("no hello")
	}
	return ""
}

// No face at all: the attempt times out as "face not detected", and the
// last attempt finishes the session failed with spoof_percentage 1.
func TestPassiveSessionNoFace(t *testing.T) {
	noFace := live.EngineFactoryFunc(func() (live.Engine, error) { return emptyEngine{}, nil })
	r := newRig(t, rigOptions{engines: noFace, cfg: func(c *live.Config) {
		c.Passive = live.PassiveConfig{Timeout: 1500 * time.Millisecond}
	}})
	s := r.passiveSession(1)
	out := r.run(r.mustDial(s.ID), client.RunOptions{Clips: []*client.Clip{blankClip(t)}})
	var reason string
	for _, m := range out.Messages {
		if m.Type == "attempt_failed" {
			reason = m.Reason
		}
	}
	if out.Result != "failed" || reason != string(session.GestureNoFace) {
		t.Fatalf("outcome %q reason %q (messages %v); want failed after face not detected", out.Result, reason, types(out))
	}
	got := r.get(s.ID).Result
	if got == nil || got.Status != "failed" || got.GestureStatus != session.GestureNoFace || got.SpoofPercentage == nil || *got.SpoofPercentage != 1 {
		t.Errorf("stored %+v; want failed, face not detected, spoof 1", got)
	}
}

type emptyEngine struct{}

func (emptyEngine) Reset() {}
func (emptyEngine) Process(img *image.Gray, t time.Time) gesture.Observation {
	return gesture.Observation{T: t, Width: img.Rect.Dx(), Height: img.Rect.Dy()}
}

// A bona fide facegen face looking at the camera passes with the real
// engine and model: the model ran on the burst's frames, no attack signal,
// and spoof_percentage is LOW.
func TestPassiveSessionBonaFidePasses(t *testing.T) {
	r := modelRig(t)
	clip, _ := facegenClip(t, passiveNeutral, "")
	s := r.passiveSession(1)
	start := time.Now()
	out := r.run(r.mustDial(s.ID), client.RunOptions{Clips: []*client.Clip{clip}})
	got := r.get(s.ID)
	t.Logf("attempt took %v; verdict %s", time.Since(start).Round(10*time.Millisecond), breakdown(got.Result))
	if out.Result != "success" || got.Result == nil || got.Result.Status != "success" {
		t.Fatalf("outcome %q, stored %+v; want success", out.Result, got.Result)
	}
	res := got.Result
	if res.LivenessScore == nil || *res.LivenessScore < 50 || res.AttackType != nil {
		t.Errorf("liveness %v attack %v; want ≥ 50 and null", res.LivenessScore, res.AttackType)
	}
	if res.SpoofPercentage == nil || *res.SpoofPercentage > 0.5 {
		t.Errorf("spoof_percentage %v; want LOW (≤ 0.5)", res.SpoofPercentage)
	}
	m := signal(t, res, "model")
	if m.Score == nil || *m.Score < 50 {
		t.Errorf("model signal %+v; want run on the burst and ≥ 50", m)
	}
	for _, name := range []string{"loop", "repeats", "frozen", "virtual_camera", "rtp_drift", "display"} {
		if g := signal(t, res, name); g.Score != nil && *g.Score < 50 {
			t.Errorf("signal %s = %+v on a bona fide clip", name, g)
		}
	}
}

// A frozen frame (one picture sent again and again) never passes: the
// model likes facegen's picture, the frozen run does not.
func TestPassiveSessionFrozenFrameFails(t *testing.T) {
	r := modelRig(t)
	clip, _ := facegenClip(t, passiveNeutral, "still")
	s := r.passiveSession(1)
	out := r.run(r.mustDial(s.ID), client.RunOptions{Clips: []*client.Clip{clip}})
	failedBy(t, r, s, out, "frozen", "unsure")
	if sp := r.get(s.ID).Result.SpoofPercentage; sp == nil || *sp <= 0.5 {
		t.Errorf("spoof_percentage %v; want above 0.5", sp)
	}
}

// A photo held in front of the camera never passes: the model scores
// facegen's print as a spoof.
func TestPassiveSessionPhotoFails(t *testing.T) {
	r := modelRig(t)
	clip, _ := facegenClip(t, passiveNeutral, "flat")
	s := r.passiveSession(1)
	out := r.run(r.mustDial(s.ID), client.RunOptions{Clips: []*client.Clip{clip}})
	failedBy(t, r, s, out, "model", "presentation")
}
