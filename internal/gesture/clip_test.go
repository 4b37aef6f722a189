package gesture_test

import (
	"errors"
	"image"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/livegate/livegate/internal/facegen"
	"github.com/livegate/livegate/internal/gesture"
	"github.com/livegate/livegate/internal/perception"
	"github.com/livegate/livegate/internal/session"
)

// photoLandmarks finds a test photo's landmarks with the engine's models
// (through perception, so facegen stays free of OpenCV), loaded only when
// facegen's cache lacks them.
var photoLandmarks = facegen.EngineLandmarks(perception.LazyPhotoLandmarks(perception.FootageConfig()))

// playClip renders the clip p into dir and plays it through a real engine
// and a challenge asking the script's gestures. Tests render into their own
// directory: facegen's shared cache keeps each photo's landmarks from
// whichever version of the landmark code first found them, and a clip
// rendered from other landmarks is another clip.
func playClip(t *testing.T, dir string, p facegen.Params, ask []session.Gesture) gesture.Result {
	t.Helper()
	c, err := facegen.Cached(dir, p, photoLandmarks)
	if err != nil {
		t.Fatalf("facegen: %v; run `make test`", err)
	}
	f, err := os.Open(c.Video)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rd, err := facegen.NewY4MReader(f)
	if err != nil {
		t.Fatal(err)
	}
	e := realEngine(t)
	ch := gesture.NewChallenge(ask, gesture.ChallengeConfig{})
	img := &image.Gray{Stride: rd.Header.Width, Rect: image.Rect(0, 0, rd.Header.Width, rd.Header.Height)}
	var fr *facegen.YUVFrame
	for n := 0; !ch.Done(); n++ {
		if fr, err = rd.ReadFrame(fr); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		img.Pix = fr.Y
		ch.Observe(e.Process(img, time.Unix(0, 0).Add(time.Duration(n)*time.Second/15)))
	}
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
