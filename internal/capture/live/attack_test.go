package live_test

import (
	"encoding/json"
	"image"
	"sync"
	"testing"
	"time"

	"github.com/livegate/livegate/internal/capture/client"
	"github.com/livegate/livegate/internal/capture/live"
	"github.com/livegate/livegate/internal/facegen"
	"github.com/livegate/livegate/internal/perception"
	"github.com/livegate/livegate/internal/perception/footage"
	"github.com/livegate/livegate/internal/session"
)

// These tests play facegen clips and attacks through the real pipeline
// (pion client → capture → VP8 decode in colour → real engine, sampler,
// stream cues → MiniFASNet on the sampled frames → fusion) and check the
// session's verdict and the signal that decided it. facegen's attacks are
// digital re-renders, which MiniFASNet scores as real
// (shared/docs/pitfalls.md): they must fail by the other signals.

var (
	spoofOnce sync.Once
	spoof     *perception.AntiSpoof
	spoofErr  error
)

// antiSpoof is the production model, shared by the package's tests, wired
// as the server wires it (ScoreVideo: decoded VP8 is studio range).
func antiSpoof(t testing.TB) live.AntiSpoof {
	t.Helper()
	spoofOnce.Do(func() {
		v2, v1se, err := perception.FindMiniFASNet("", "")
		if err != nil {
			spoofErr = err
			return
		}
		spoof, spoofErr = perception.NewAntiSpoof(v2, v1se)
	})
	if spoofErr != nil {
		t.Fatalf("anti-spoofing model: %v", spoofErr)
	}
	return live.AntiSpoofFunc(spoof.ScoreVideo)
}

// modelRig is a rig with the real engine and the real model; cfg, when
// set, changes the Config further.
func modelRig(t *testing.T, cfg ...func(*live.Config)) *rig {
	return newRig(t, rigOptions{engines: realEngines(t), cfg: func(c *live.Config) {
		c.AntiSpoof = antiSpoof(t)
		for _, f := range cfg {
			f(c)
		}
	}})
}

// facegenFrames renders (cached) the raw colour frames of a clip.
func facegenFrames(t testing.TB, script, attack string) []*image.YCbCr {
	t.Helper()
	face, err := facegen.TestFace("")
	if err != nil {
		t.Fatal(err)
	}
	p := facegen.Params{Face: face, Script: script, Width: 640, Height: 480, FPS: 15, Attack: attack, Seed: 3, NoBlinks: true}
	cc, err := facegen.Cached("", p, footage.Landmarks)
	if err != nil {
		t.Fatalf("facegen: %v", err)
	}
	frames, _, err := facegen.ReadY4M(cc.Video)
	if err != nil {
		t.Fatal(err)
	}
	return frames
}

func encode(t testing.TB, frames []*image.YCbCr, hold int) *client.Clip {
	t.Helper()
	c, err := client.EncodeClip(frames, 15, hold)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// signal returns the breakdown's signal name, failing the test when the
// result has no breakdown or no such signal.
func signal(t *testing.T, r *session.Result, name string) session.LivenessSignal {
	t.Helper()
	if r == nil || r.Liveness == nil {
		t.Fatalf("result %+v has no liveness breakdown", r)
	}
	for _, s := range r.Liveness.Signals {
		if s.Name == name {
			return s
		}
	}
	t.Fatalf("breakdown %+v has no signal %q", r.Liveness.Signals, name)
	return session.LivenessSignal{}
}

func breakdown(r *session.Result) string {
	if r == nil {
		return "<no result>"
	}
	b, _ := json.Marshal(struct {
		Score  *float64
		Attack *string
		L      *session.LivenessDetail
	}{r.LivenessScore, r.AttackType, r.Liveness})
	return string(b)
}

// failedBy checks that the session finished failed, with attack type
// attack and the named signal under 50 pointing at it, and that the page
// was sent away as for a failure.
func failedBy(t *testing.T, r *rig, s *session.Session, out *client.Outcome, sig, attack string) {
	t.Helper()
	got := r.get(s.ID)
	t.Logf("verdict %s", breakdown(got.Result))
	if out.Result != "failed" {
		t.Errorf("page outcome %q; want failed (messages %v)", out.Result, types(out))
	}
	if got.Status != session.StatusFinished || got.Result == nil || got.Result.Status != "failed" {
		t.Fatalf("stored %s %+v; want FINISHED failed", got.Status, got.Result)
	}
	if got.Result.LivenessScore == nil || *got.Result.LivenessScore >= 50 {
		t.Errorf("liveness_score %v; want < 50", got.Result.LivenessScore)
	}
	if got.Result.AttackType == nil || *got.Result.AttackType != attack {
		t.Errorf("attack_type %v; want %q", got.Result.AttackType, attack)
	}
	if g := signal(t, got.Result, sig); g.Score == nil || *g.Score >= 50 {
		t.Errorf("signal %s = %+v; want a score under 50", sig, g)
	}
}

// A bona fide facegen head turn passes with the model run on its sampled
// frames and no attack signal.
func TestBonaFideClipPassesWithEveryOtherSignal(t *testing.T) {
	r := modelRig(t)
	clip, _ := facegenClip(t, "neutral 1s; HEAD_LEFT 30deg 1.5s; neutral 1s", "")
	s := r.session([]string{"HEAD_LEFT"}, 1)
	out := r.run(r.mustDial(s.ID), client.RunOptions{Clips: []*client.Clip{clip}})
	got := r.get(s.ID)
	t.Logf("verdict %s", breakdown(got.Result))
	if out.Result != "success" || got.Result == nil || got.Result.Status != "success" {
		t.Fatalf("outcome %q, stored %+v; want success", out.Result, got.Result)
	}
	if got.Result.LivenessScore == nil || *got.Result.LivenessScore < 50 || got.Result.AttackType != nil {
		t.Errorf("liveness %v attack %v; want ≥ 50 and null", got.Result.LivenessScore, got.Result.AttackType)
	}
	if m := signal(t, got.Result, "model"); m.Score == nil || *m.Score < 50 {
		t.Errorf("model signal %+v; want run on the sampled frames and ≥ 50", m)
	}
	if p := signal(t, got.Result, "parallax"); p.Score == nil || *p.Score < 50 {
		t.Errorf("parallax signal %+v; want ≥ 50", p)
	}
	for _, name := range []string{"loop", "repeats", "frozen", "virtual_camera", "rtp_drift", "flat_turns", "display"} {
		if g := signal(t, got.Result, name); g.Score != nil && *g.Score < 50 {
			t.Errorf("signal %s = %+v on a bona fide clip", name, g)
		}
	}
}

// A recording of a real head turn whose idle start is a looped stretch of
// frames (an injector waiting for the instruction, then playing the turn)
// matches the gesture with real parallax, and fails by the loop.
func TestLoopedRecordingFailsAsInjection(t *testing.T) {
	// Time enough for the turn after three loops: the gesture matches.
	r := modelRig(t, func(c *live.Config) { c.Challenge.GestureTimeout = 10 * time.Second })
	rec := facegenFrames(t, "neutral 1s; HEAD_LEFT 30deg 1.5s; neutral 1s", "")
	var frames []*image.YCbCr
	for range 3 {
		frames = append(frames, rec[:15]...) // the first second, three times
	}
	frames = append(frames, rec...)
	s := r.session([]string{"HEAD_LEFT"}, 1)
	out := r.run(r.mustDial(s.ID), client.RunOptions{Clips: []*client.Clip{encode(t, frames, 90)}})
	failedBy(t, r, s, out, "loop", "injection")
	got := r.get(s.ID)
	if got.Result.GestureStatus != session.GestureMatch || !has(out, "matched") {
		t.Errorf("gesture_status %s; want MATCH: the recording's turn is real, only the loop gives it away", got.Result.GestureStatus)
	}
	if p := signal(t, got.Result, "parallax"); p.Score == nil || *p.Score < 50 {
		t.Errorf("parallax %+v; want the real turn's (≥ 50)", p)
	}
	var audited bool
	for _, e := range r.audit(s.ID) {
		audited = audited || (e.Event == "liveness_failed" && e.Outcome == "injection")
	}
	if !audited {
		t.Errorf("audit %+v; want a liveness_failed entry with injection", r.audit(s.ID))
	}
}

// A frozen frame (one picture sent again and again) never succeeds, and
// the stream's repeats or frozen run say why.
func TestFrozenFrameFails(t *testing.T) {
	r := modelRig(t)
	clip, _ := facegenClip(t, "neutral 1s; HEAD_LEFT 30deg 1.5s; neutral 1s", "still")
	s := r.session([]string{"HEAD_LEFT"}, 1)
	out := r.run(r.mustDial(s.ID), client.RunOptions{Clips: []*client.Clip{clip}})
	failedBy(t, r, s, out, "frozen", "unsure")
}

// A screen replay of a head turn never succeeds.
func TestScreenReplayFails(t *testing.T) {
	r := modelRig(t)
	clip, _ := facegenClip(t, "neutral 1s; HEAD_LEFT 30deg 1.5s; neutral 1s", "screen")
	s := r.session([]string{"HEAD_LEFT"}, 1)
	out := r.run(r.mustDial(s.ID), client.RunOptions{Clips: []*client.Clip{clip}})
	failedBy(t, r, s, out, "display", "presentation")
}

// A photo turned in front of the camera never succeeds. Its turn never
// matches (the challenge's planarity test), and on this clip the model
// itself scores the print as a spoof (real-probability ≈ 0.001: the paper
// margin and flat lighting of facegen's print are in the 4× crop).
func TestPhotoFailsAsPresentation(t *testing.T) {
	r := modelRig(t)
	clip, _ := facegenClip(t, "neutral 1s; HEAD_LEFT 30deg 1.5s; neutral 1s", "flat")
	s := r.session([]string{"HEAD_LEFT"}, 1)
	out := r.run(r.mustDial(s.ID), client.RunOptions{Clips: []*client.Clip{clip}})
	failedBy(t, r, s, out, "model", "presentation")
	if has(out, "matched") {
		t.Errorf("the photo's turn matched")
	}
}

// The camera label the page reports reaches the evidence: a virtual
// camera's label fails an otherwise bona fide session as injection, and an
// ordinary label changes nothing.
func TestVirtualCameraLabelFailsAsInjection(t *testing.T) {
	r := newRig(t, rigOptions{})
	for _, c := range []struct {
		label   string
		outcome string
	}{
		{"OBS Virtual Camera", "failed"},
		{"Integrated Camera (04f2:b6d9)", "success"},
	} {
		s := r.session([]string{"HEAD_OPEN_MOUTH"}, 1)
		ready, _ := json.Marshal(map[string]any{"v": 1, "type": "ready", "camera_label": c.label})
		out := r.run(r.mustDial(s.ID), client.RunOptions{Clips: []*client.Clip{blankClip(t)}, Ready: string(ready)})
		got := r.get(s.ID)
		t.Logf("%s: verdict %s", c.label, breakdown(got.Result))
		if out.Result != c.outcome || got.Result == nil || got.Result.Status != c.outcome {
			t.Fatalf("%s: outcome %q, stored %+v; want %s", c.label, out.Result, got.Result, c.outcome)
		}
		v := signal(t, got.Result, "virtual_camera")
		if c.outcome == "failed" {
			if v.Score == nil || *v.Score >= 50 || got.Result.AttackType == nil || *got.Result.AttackType != "injection" {
				t.Errorf("%s: virtual_camera %+v attack %v; want < 50 and injection", c.label, v, got.Result.AttackType)
			}
		} else if v.Score != nil {
			t.Errorf("%s: virtual_camera %+v; want no score", c.label, v)
		}
	}
}
