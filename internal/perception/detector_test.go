package perception_test

import (
	"errors"
	"image"
	"math"
	"path/filepath"
	"testing"

	"github.com/livegate/livegate/internal/gesture"
	"github.com/livegate/livegate/internal/gesture/landmarks"
	"github.com/livegate/livegate/internal/perception"
)

func dist(a, b image.Point) float64 {
	return math.Hypot(float64(a.X-b.X), float64(a.Y-b.Y))
}

// checkFace asserts the geometry every upright frontal face must have.
func checkFace(t *testing.T, name string, img *image.Gray, f gesture.Face) {
	t.Helper()
	if !f.Box.In(img.Rect) || f.Box.Empty() {
		t.Errorf("%s: box %v not inside image %v", name, f.Box, img.Rect)
	}
	if f.Score < 0.8 || f.Score > 1 {
		t.Errorf("%s: score %v", name, f.Score)
	}
	k := f.Keypoints
	for i, p := range k {
		if !p.In(f.Box.Inset(-f.Box.Dx() / 10)) {
			t.Errorf("%s: keypoint %d %v outside box %v", name, i, p, f.Box)
		}
	}
	// Right eye and right mouth corner on the image's left; eyes above nose above mouth.
	if k[gesture.RightEye].X >= k[gesture.LeftEye].X || k[gesture.RightMouth].X >= k[gesture.LeftMouth].X {
		t.Errorf("%s: right/left keypoints not mirrored as in a camera image: %v", name, k)
	}
	eyeY := (k[0].Y + k[1].Y) / 2
	mouthY := (k[3].Y + k[4].Y) / 2
	if !(eyeY < k[gesture.NoseTip].Y && k[gesture.NoseTip].Y < mouthY) {
		t.Errorf("%s: eyes, nose, mouth not top to bottom: %v", name, k)
	}
	iod := dist(k[0], k[1])
	if r := iod / float64(f.Box.Dx()); r < 0.25 || r > 0.6 {
		t.Errorf("%s: inter-ocular distance %.0f is %.2f of the box width", name, iod, r)
	}
}

func TestDetectPhotos(t *testing.T) {
	d := newDetector(t)
	for _, p := range photos(t) {
		name := filepath.Base(p)
		img := loadGray(t, p)
		faces, err := d.Detect(img)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(faces) != 1 {
			t.Errorf("%s (%v): %d faces, want 1: %+v", name, img.Rect.Size(), len(faces), faces)
			continue
		}
		checkFace(t, name, img, faces[0])
	}
}

// TestDetectScales finds the same face in the same place at several sizes of the frame
// and of the face within it, mapping boxes back to input pixels.
func TestDetectScales(t *testing.T) {
	d := newDetector(t)
	src := loadGray(t, filepath.Join("..", "..", "testdata", "faces", "portrait-obama-2012.jpg"))
	ref, err := d.Detect(fitWidth(src, 640))
	if err != nil || len(ref) != 1 {
		t.Fatalf("reference: %v faces, err %v", len(ref), err)
	}
	refW := float64(ref[0].Box.Dx()) / 640
	for _, c := range []struct {
		name  string
		width int // frame width
		inset int // face's frame: a canvas this many times the photo's width
	}{
		{"1280 wide", 1280, 1}, {"320 wide", 320, 1}, {"small face in 1280", 1280, 3},
		{"small face in 1920", 1920, 4}, {"tiny frame", 160, 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			photo := fitWidth(src, c.width/c.inset)
			if c.width > src.Rect.Dx() {
				photo = scaleUp(src, c.width/c.inset)
			}
			frame := image.NewGray(image.Rect(0, 0, c.width, c.width*9/16))
			for i := range frame.Pix {
				frame.Pix[i] = 128
			}
			off := image.Pt((c.width-photo.Rect.Dx())/2, 0)
			for y := 0; y < min(photo.Rect.Dy(), frame.Rect.Dy()); y++ {
				copy(frame.Pix[y*frame.Stride+off.X:], photo.Pix[y*photo.Stride:y*photo.Stride+photo.Rect.Dx()])
			}
			faces, err := d.Detect(frame)
			if err != nil {
				t.Fatal(err)
			}
			if len(faces) != 1 {
				t.Fatalf("%d faces, want 1", len(faces))
			}
			checkFace(t, c.name, frame, faces[0])
			// Same relative box width as the reference (within 15 %).
			want := refW * float64(photo.Rect.Dx())
			if got := float64(faces[0].Box.Dx()); math.Abs(got-want) > 0.15*want {
				t.Errorf("box width %.0f, want about %.0f", got, want)
			}
		})
	}
}

// scaleUp enlarges g to width w by pixel replication (nearest neighbour).
func scaleUp(g *image.Gray, w int) *image.Gray {
	W, H := g.Rect.Dx(), g.Rect.Dy()
	h := H * w / W
	out := image.NewGray(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			out.Pix[y*out.Stride+x] = g.Pix[(y*H/h)*g.Stride+x*W/w]
		}
	}
	return out
}

func TestDetectNoFace(t *testing.T) {
	d := newDetector(t)
	flat := image.NewGray(image.Rect(0, 0, 640, 480))
	for i := range flat.Pix {
		flat.Pix[i] = 90
	}
	// A smooth gradient with a few bars: structure, but no face.
	bars := image.NewGray(image.Rect(0, 0, 1280, 720))
	for y := 0; y < 720; y++ {
		for x := 0; x < 1280; x++ {
			v := x * 255 / 1280
			if (x/80)%3 == 0 {
				v = 255 - v
			}
			bars.Pix[y*bars.Stride+x] = uint8(v)
		}
	}
	for name, img := range map[string]*image.Gray{"flat": flat, "bars": bars} {
		faces, err := d.Detect(img)
		if err != nil {
			t.Fatal(err)
		}
		if len(faces) != 0 {
			t.Errorf("%s: %d faces, want none: %+v", name, len(faces), faces)
		}
	}
}

// TestDetectSubImage maps coordinates back for a sub-image whose Rect does not start at
// the origin and whose stride differs from its width.
func TestDetectSubImage(t *testing.T) {
	d := newDetector(t)
	img := fitWidth(loadGray(t, filepath.Join("..", "..", "testdata", "faces", "mazie-hirono.jpg")), 640)
	whole, err := d.Detect(img)
	if err != nil || len(whole) != 1 {
		t.Fatalf("whole image: %d faces, err %v", len(whole), err)
	}
	r := image.Rect(40, 30, img.Rect.Dx()-20, img.Rect.Dy()-10)
	sub := img.SubImage(r).(*image.Gray)
	part, err := d.Detect(sub)
	if err != nil || len(part) != 1 {
		t.Fatalf("sub-image: %d faces, err %v", len(part), err)
	}
	// Both results are in the same (original) coordinates; allow a few pixels of
	// difference from the different downscaling.
	iod := dist(whole[0].Keypoints[0], whole[0].Keypoints[1])
	for i := range whole[0].Keypoints {
		if e := dist(whole[0].Keypoints[i], part[0].Keypoints[i]); e > 0.1*iod {
			t.Errorf("keypoint %d: %v in the whole image, %v in the sub-image", i, whole[0].Keypoints[i], part[0].Keypoints[i])
		}
	}
}

func TestDetectorErrors(t *testing.T) {
	if _, err := perception.NewDetector("no/such/model.onnx"); err == nil {
		t.Error("NewDetector with a missing model: no error")
	}
	if _, err := perception.NewDetector(yunetModel, perception.WithScoreThreshold(2)); err == nil {
		t.Error("NewDetector with score threshold 2: no error")
	}
	d, err := perception.NewDetector(yunetModel)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Detect(image.NewGray(image.Rectangle{})); err == nil {
		t.Error("Detect on an empty image: no error")
	}
	for _, r := range []image.Rectangle{image.Rect(0, 0, 1, 1), image.Rect(0, 0, 3, 700), image.Rect(0, 0, 1920, 2)} {
		if faces, err := d.Detect(image.NewGray(r)); err != nil || len(faces) != 0 {
			t.Errorf("Detect on a blank %v image: %d faces, err %v; want none", r.Size(), len(faces), err)
		}
	}
	if _, err := d.Detect(image.NewGray(image.Rect(0, 0, 5000, 100))); err == nil {
		t.Error("Detect on a 5000-pixel-wide image: no error")
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	if err := d.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := d.Detect(image.NewGray(image.Rect(0, 0, 64, 64))); !errors.Is(err, perception.ErrClosed) {
		t.Errorf("Detect after Close: %v, want ErrClosed", err)
	}
}

func TestBoxFromYuNet(t *testing.T) {
	f := gesture.Face{
		Box:       image.Rect(90, 60, 290, 300),
		Keypoints: [5]image.Point{{159, 163}, {241, 163}, {200, 209}, {163, 250}, {237, 250}},
	}
	got := perception.BoxFromYuNet(f)
	if want := landmarks.BoxFromDetection(f.Box, f.Keypoints); got != want {
		t.Errorf("BoxFromYuNet = %v; landmarks.BoxFromDetection gives %v", got, want)
	}
	// Eyes 82 px apart, 87 px above the mouth: a square box about 200 px wide, centred
	// on the face horizontally.
	if got.Dx() != got.Dy() || got.Dx() < 180 || got.Dx() > 220 || abs(got.Min.X+got.Max.X-400) > 10 {
		t.Errorf("BoxFromYuNet = %v", got)
	}
}

func abs(x int) int { return max(x, -x) }
