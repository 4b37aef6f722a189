package perception_test

import (
	"image"
	"path/filepath"
	"testing"

	"gocv.io/x/gocv"

	"github.com/livegate/livegate/internal/gesture"
	"github.com/livegate/livegate/internal/gesture/landmarks"
	"github.com/livegate/livegate/internal/perception"
)

// frame returns a w×h grey frame with the Obama portrait scaled to the frame's height
// and centred, a webcam-like head-and-shoulders shot.
func frame(t testing.TB, w, h int) *image.Gray {
	src := loadGray(t, filepath.Join("..", "..", "testdata", "faces", "portrait-obama-2012.jpg"))
	photo := scaleGray(src, float64(h)/float64(src.Rect.Dy()))
	f := image.NewGray(image.Rect(0, 0, w, h))
	for i := range f.Pix {
		f.Pix[i] = 100
	}
	off := (w - photo.Rect.Dx()) / 2
	for y := 0; y < min(h, photo.Rect.Dy()); y++ {
		copy(f.Pix[y*f.Stride+off:], photo.Pix[y*photo.Stride:y*photo.Stride+photo.Rect.Dx()])
	}
	return f
}

func TestDetectFacesNoAllocs(t *testing.T) {
	d := newDetector(t)
	img := frame(t, 640, 480)
	faces, err := d.DetectFaces(img, nil)
	if err != nil || len(faces) != 1 {
		t.Fatalf("%d faces, err %v", len(faces), err)
	}
	if a := testing.AllocsPerRun(5, func() { faces, _ = d.DetectFaces(img, faces) }); a != 0 {
		t.Errorf("DetectFaces allocates %v times per call in steady state; want 0", a)
	}
}

func benchDetect(b *testing.B, w, h int, opts ...perception.Option) {
	d := newDetector(b, opts...)
	img := frame(b, w, h)
	faces, err := d.DetectFaces(img, nil)
	if err != nil || len(faces) != 1 {
		b.Fatalf("%d faces, err %v", len(faces), err)
	}
	b.ReportAllocs()
	for b.Loop() {
		faces, _ = d.DetectFaces(img, faces)
	}
}

func BenchmarkDetect640x480(b *testing.B)  { benchDetect(b, 640, 480) }
func BenchmarkDetect1280x720(b *testing.B) { benchDetect(b, 1280, 720) }

// BenchmarkDetect640x480Full detects without downscaling, for comparison.
func BenchmarkDetect640x480Full(b *testing.B) {
	benchDetect(b, 640, 480, perception.WithMaxInputWidth(640))
}

// BenchmarkDNNForward320x240 is the alternative to the FaceDetectorYN shim: gocv's dnn
// module running the same network on the same 320×240 input (blob, forward of the three
// output layers), before any decoding of priors and NMS, which would come on top in Go.
func BenchmarkDNNForward320x240(b *testing.B) {
	net := gocv.ReadNetFromONNX(yunetModel)
	if net.Empty() {
		b.Fatal("ReadNetFromONNX failed")
	}
	defer net.Close()
	g := frame(b, 320, 240)
	gray, err := gocv.NewMatFromBytes(240, 320, gocv.MatTypeCV8UC1, g.Pix)
	if err != nil {
		b.Fatal(err)
	}
	defer gray.Close()
	bgr := gocv.NewMat()
	defer bgr.Close()
	gocv.CvtColor(gray, &bgr, gocv.ColorGrayToBGR)
	names := []string{"loc", "conf", "iou"}
	b.ReportAllocs()
	for b.Loop() {
		// gocv's dnn API returns new Mats on every call (blob and outputs).
		blob := gocv.BlobFromImage(bgr, 1, image.Pt(320, 256), gocv.NewScalar(0, 0, 0, 0), false, false)
		net.SetInput(blob, "")
		outs := net.ForwardLayers(names)
		for i := range outs {
			outs[i].Close()
		}
		blob.Close()
	}
}

// BenchmarkDetectAndPredict640x480 is the engine's per-frame work when it detects on
// every frame: YuNet, the box mapping and the 68 landmarks.
func BenchmarkDetectAndPredict640x480(b *testing.B) {
	m := landmarkModel(b)
	d := newDetector(b)
	p := landmarks.NewPredictor(m)
	img := frame(b, 640, 480)
	out := make([]landmarks.Point, m.NumLandmarks())
	var faces []gesture.Face
	b.ReportAllocs()
	for b.Loop() {
		faces, _ = d.DetectFaces(img, faces)
		for _, f := range faces {
			p.Predict(img, landmarks.BoxFromDetection(f.Box, f.Keypoints), out)
		}
	}
}
