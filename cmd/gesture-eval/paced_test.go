package main

import (
	"image"
	"testing"
	"time"

	"github.com/livegate/livegate/internal/facegen"
	"github.com/livegate/livegate/internal/gesture"
	"github.com/livegate/livegate/internal/session"
)

// mouthClip is 90 frames at 15 frames/s of a still, frontal face that
// opens its mouth over frames 45–47, holds it open to 60 and closes it:
// its observations, as the engine would give them, and its truth.
func mouthClip() ([]gesture.Observation, *facegen.Truth) {
	tr := &facegen.Truth{FPS: 15, Live: true, NumFrames: 90,
		Gestures: []facegen.Interval{{Code: "HEAD_OPEN_MOUTH", Amount: 1, StartFrame: 45, FullFrame: 48, EndFrame: 60}}}
	var lm gesture.Landmarks
	for i := range lm {
		lm[i] = gesture.Point{X: float32(260 + 2*i), Y: float32(200 + 9*(i%8))}
	}
	var obs []gesture.Observation
	for n := range 90 {
		tr.Frames = append(tr.Frames, facegen.FrameTruth{Index: n, Time: facegen.R3(float64(n) / 15)})
		mouth := 0.05
		switch {
		case n >= 45 && n < 48:
			mouth += 0.15 * float64(n-44)
		case n >= 48 && n <= 60:
			mouth += 0.45
		}
		obs = append(obs, gesture.Observation{
			T: clipZero.Add(time.Duration(n) * time.Second / 15), Width: 640, Height: 480,
			Faces: 1, Track: 1, Box: image.Rect(250, 180, 400, 280), Landmarks: lm,
			EyeLeft: 0.3, EyeRight: 0.3, Mouth: mouth,
			Quality: gesture.Quality{FaceWidth: 0.23, Brightness: 128, Sharpness: 20},
		})
	}
	return obs, tr
}

func TestPacedReplay(t *testing.T) {
	obs, tr := mouthClip()
	ask := []session.Gesture{session.HeadOpenMouth}
	unpaced := replay(obs, ask, gesture.ChallengeConfig{Unpaced: true, MaxWrong: evalMaxWrong}, nil)
	if len(unpaced.matches) != 1 {
		t.Fatalf("unpaced: %d matches; want 1", len(unpaced.matches))
	}
	// Instructed 0.5 s before frame 45 (3 s), the opening is a 0.5 s
	// reaction and matches.
	o := matrixOpts{timeout: 10 * time.Second, reaction: defaultReaction}
	p := replayPaced(obs, tr, ask, tr.Gestures, o)
	g := p.res.Gestures[0]
	if len(p.matches) != 1 || g.Status != session.GestureMatch {
		t.Fatalf("paced, 0.5 s reaction: %d matches, %+v; want a match", len(p.matches), g)
	}
	// The first frame from 2.5 s on asks it: frame 38.
	if at, want := g.InstructedAt.Sub(clipZero), 38*time.Second/15; at != want {
		t.Errorf("instructed at %v; want %v", at, want)
	}
	if g.ReactionMS == nil || *g.ReactionMS < 400 || *g.ReactionMS > 600 {
		t.Errorf("reaction %v ms; want 0.5 s to a frame", g.ReactionMS)
	}
	// Instructed 0.1 s before it, the same opening anticipates the
	// instruction: the reaction rule ends the try, which an unpaced
	// replay (pacing ignored) would match.
	o.reaction = 100 * time.Millisecond
	p = replayPaced(obs, tr, ask, tr.Gestures, o)
	if g := p.res.Gestures[0]; len(p.matches) != 0 || g.Failure != "early" {
		t.Errorf("paced, 0.1 s reaction: %d matches, failure %q; want none, early", len(p.matches), g.Failure)
	}
	// An unperformed gesture is asked at every scripted interval: the
	// opening never passes for a turn, and it passes for itself.
	o.reaction = defaultReaction
	if unperformedPaced(obs, tr, session.HeadLeft, o) {
		t.Error("HEAD_LEFT matched on a clip that only opens the mouth")
	}
	if !unperformedPaced(obs, tr, session.HeadOpenMouth, o) {
		t.Error("HEAD_OPEN_MOUTH asked for its own interval did not match")
	}
}

func TestInstructionAt(t *testing.T) {
	tr := &facegen.Truth{FPS: 15}
	iv := facegen.Interval{StartFrame: 30}
	if got := instructionAt(tr, iv, session.HeadLeft, 500*time.Millisecond); got != 1500*time.Millisecond {
		t.Errorf("HEAD_LEFT at frame 30: instructed at %v; want 1.5 s", got)
	}
	// A neutral state has no motion to react with: asked where it begins.
	if got := instructionAt(tr, iv, session.HeadEyesOpen, 500*time.Millisecond); got != 2*time.Second {
		t.Errorf("HEAD_11 at frame 30: instructed at %v; want 2 s", got)
	}
	in := &instructor{at: []time.Duration{2 * time.Second}, now: 1200 * time.Millisecond}
	if d := in.delay(0); d != 800*time.Millisecond {
		t.Errorf("wait begun at 1.2 s for 2 s: %v; want 0.8 s", d)
	}
	in.now = 3 * time.Second
	if d := in.delay(0); d != 0 {
		t.Errorf("wait begun after the instruction time: %v; want 0", d)
	}
}

func TestGapScript(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"neutral 1s; HEAD_LEFT 30deg 1.5s; neutral 3s; HEAD_00 1.3s", "neutral 2.5s; HEAD_LEFT 30deg 1.5s; neutral 3s; HEAD_00 1.3s"},
		// A motion right after another gesture gets a neutral step; the
		// neutral states (eyes open, mouth closed) are left where they are.
		{"HEAD_00 1.3s; neutral 0.2s; HEAD_11 0.5s; HEAD_OPEN_MOUTH 1s; HEAD_CLOSE_MOUTH 1s",
			"neutral 2.5s; HEAD_00 1.3s; neutral 0.2s; HEAD_11 0.5s; neutral 2.5s; HEAD_OPEN_MOUTH 1s; HEAD_CLOSE_MOUTH 1s"},
	} {
		got, err := gapScript(c.in, 2500*time.Millisecond)
		if err != nil || got != c.want {
			t.Errorf("gapScript(%q) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
	if got, _ := gapScript("neutral 1s; HEAD_UP 20deg 1s", 0); got != "neutral 1s; HEAD_UP 20deg 1s" {
		t.Errorf("gap 0 changed the script: %q", got)
	}
	if _, err := gapScript("neutral x; HEAD_UP 1s", time.Second); err == nil {
		t.Error("a neutral step with no duration: no error")
	}
}
