package gesture_test

import (
	"image"
	"path/filepath"
	"testing"
	"time"

	"github.com/livegate/livegate/internal/facegen"
	"github.com/livegate/livegate/internal/gesture"
	"github.com/livegate/livegate/internal/perception/footage"
	"github.com/livegate/livegate/internal/session"
)

// playClip renders the clip p into dir and plays it through a real engine
// and a challenge asking the script's gestures. Tests render into their own
// directory: facegen's shared cache keeps each photo's landmarks from
// whichever version of the landmark code first found them, and a clip
// rendered from other landmarks is another clip.
func playClip(t *testing.T, dir string, p facegen.Params, ask []session.Gesture) gesture.Result {
	t.Helper()
	c := footage.Render(t, dir, p)
	e := realEngine(t)
	ch := gesture.NewChallenge(ask, gesture.ChallengeConfig{Unpaced: true})
	footage.Play(t, c.Video, func(n int, img *image.Gray) bool {
		ch.Observe(e.Process(img, time.Unix(0, 0).Add(time.Duration(n)*time.Second/15)))
		return !ch.Done()
	})
	return ch.Result()
}

// TestEyeGesturesOnEveryFace: each eye alone, both, open again, then the
// mouth, on every test face, clean. The landmark model's shape prior hides
// winks from the lids' points and shifts the open eye's corners when the
// other one closes; the eyes' picture contrast must still tell them apart.
func TestEyeGesturesOnEveryFace(t *testing.T) {
	ask := []session.Gesture{session.HeadRightClose, session.HeadLeftClose, session.HeadEyesClosed, session.HeadEyesOpen, session.HeadOpenMouth, session.HeadCloseMouth}
	script := "neutral 1s; HEAD_01 0.6s; neutral 1s; HEAD_10 0.6s; neutral 1s; HEAD_00 0.5s; neutral 0.2s; HEAD_11 0.5s; HEAD_OPEN_MOUTH 1s; HEAD_CLOSE_MOUTH 1s"
	dir := t.TempDir()
	for _, p := range photos(t) {
		if filepath.Base(p) == "face.jpg" {
			continue
		}
		t.Run(filepath.Base(p), func(t *testing.T) {
			r := playClip(t, dir, facegen.Params{Face: p, Script: script, Seed: 1}, ask)
			if r.Status != session.GestureMatch {
				t.Errorf("status %q (detected %s); want MATCH; gestures %+v", r.Status, r.Detected, r.Gestures)
			}
		})
	}
}
