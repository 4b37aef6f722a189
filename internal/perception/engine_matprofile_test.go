//go:build matprofile

package perception_test

import (
	"image"
	"os"
	"testing"
	"time"

	"gocv.io/x/gocv"

	"github.com/livegate/livegate/internal/facegen"
	"github.com/livegate/livegate/internal/perception"
)

// TestNoMatPerSession proves, with gocv's MatProfile (go test -tags
// matprofile ./internal/perception), that engines own no Mat: the
// Models' pooled detectors make them all, many sessions' engines add none, and
// Close frees every one.
func TestNoMatPerSession(t *testing.T) {
	before := gocv.MatProfile.Count()
	f, err := perception.Load(perception.Config{Detectors: 2})
	if err != nil {
		t.Fatal(err)
	}
	img := testFrame(t)
	e0, _ := f.NewEngine()
	e0.Process(img, time.Unix(0, 0)) // sizes the detectors' Mats
	steady := gocv.MatProfile.Count()
	if steady <= before {
		t.Fatalf("MatProfile counts %d Mats with two detectors open (%d before): is it on?", steady, before)
	}
	for i := range 50 {
		e, err := f.NewEngine()
		if err != nil {
			t.Fatal(err)
		}
		for k := range 3 {
			e.Process(img, time.Unix(int64(i), int64(k)*int64(time.Second)))
		}
	}
	if got := gocv.MatProfile.Count(); got != steady {
		t.Errorf("Mats went from %d to %d over 50 sessions' engines", steady, got)
	}
	f.Close()
	if got := gocv.MatProfile.Count(); got != before {
		t.Errorf("%d Mats left after Close (%d before)", got, before)
	}
}

func testFrame(t *testing.T) *image.Gray {
	t.Helper()
	face, err := facegen.TestFace("")
	if err != nil {
		t.Fatal(err)
	}
	cc, err := facegen.Cached("", facegen.Params{Face: face, Script: "neutral 0.2s", Width: 640, Height: 480, FPS: 15, NoBlinks: true}, facegen.EngineLandmarks(perception.LazyPhotoLandmarks(perception.FootageConfig())))
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(cc.Video)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rd, err := facegen.NewY4MReader(f)
	if err != nil {
		t.Fatal(err)
	}
	fr, err := rd.ReadFrame(nil)
	if err != nil {
		t.Fatal(err)
	}
	return fr.Gray()
}
