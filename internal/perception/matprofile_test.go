//go:build matprofile

package perception_test

import (
	"bytes"
	"image"
	"path/filepath"
	"testing"

	"gocv.io/x/gocv"

	"github.com/livegate/livegate/internal/gesture"
	"github.com/livegate/livegate/internal/perception"
)

// TestNoMatLeak proves, with gocv's MatProfile (go test -tags matprofile), that Detect
// creates no Mats in steady state and that Close releases every Mat the detector made,
// including across frame-size changes and downscaling on and off.
func TestNoMatLeak(t *testing.T) {
	before := gocv.MatProfile.Count()
	d, err := perception.NewDetector(yunetModel)
	if err != nil {
		t.Fatal(err)
	}
	face := loadGray(t, filepath.Join("..", "..", "testdata", "faces", "grace-hopper-1984.jpg"))
	frames := []*image.Gray{
		face, fitWidth(face, 320), fitWidth(face, 200),
		image.NewGray(image.Rect(0, 0, 1280, 720)), image.NewGray(image.Rect(0, 0, 640, 480)),
		image.NewGray(image.Rect(0, 0, 40, 30)), // padded to YuNet's minimum
	}
	var faces []gesture.Face
	for _, f := range frames {
		if faces, err = d.DetectFaces(f, faces); err != nil {
			t.Fatal(err)
		}
	}
	steady := gocv.MatProfile.Count()
	for i := 0; i < 200; i++ {
		if faces, err = d.DetectFaces(frames[i%2], faces); err != nil {
			t.Fatal(err)
		}
	}
	if got := gocv.MatProfile.Count(); got != steady {
		t.Errorf("Mat count grew from %d to %d over 200 Detect calls", steady, got)
	}
	d.Close()
	if got := gocv.MatProfile.Count(); got != before {
		var b bytes.Buffer
		gocv.MatProfile.WriteTo(&b, 1)
		t.Errorf("%d Mats left after Close (%d before NewDetector):\n%s", got, before, b.String())
	}
}

// TestAntiSpoofNoMatLeak proves that Score creates no lasting Mat (each
// network output is closed) and that Close frees the models' blob.
func TestAntiSpoofNoMatLeak(t *testing.T) {
	before := gocv.MatProfile.Count()
	v2, v1se, err := perception.FindMiniFASNet("", "")
	if err != nil {
		t.Fatal(err)
	}
	a, err := perception.NewAntiSpoof(v2, v1se)
	if err != nil {
		t.Fatal(err)
	}
	img := image.NewRGBA(image.Rect(0, 0, 320, 240))
	faces := []gesture.Face{{Box: image.Rect(120, 80, 200, 180)}, {Box: image.Rect(0, 0, 40, 50)}, {Box: image.Rect(300, 200, 400, 300)}}
	if _, err := a.Score(img, faces[0]); err != nil {
		t.Fatal(err)
	}
	steady := gocv.MatProfile.Count()
	if steady <= before {
		t.Fatalf("MatProfile counts %d Mats with the models open (%d before): is it on?", steady, before)
	}
	for i := range 60 {
		if _, err := a.Score(img, faces[i%len(faces)]); err != nil {
			t.Fatal(err)
		}
	}
	if got := gocv.MatProfile.Count(); got != steady {
		t.Errorf("Mat count grew from %d to %d over 60 Score calls", steady, got)
	}
	a.Close()
	if got := gocv.MatProfile.Count(); got != before {
		var b bytes.Buffer
		gocv.MatProfile.WriteTo(&b, 1)
		t.Errorf("%d Mats left after Close (%d before NewAntiSpoof):\n%s", got, before, b.String())
	}
}
