package perception_test

// Tests of the engine's per-frame pipeline on real photos: YuNet finds the face, the
// 68-point model places its landmarks. They live here rather than in package landmarks,
// which must stay free of cgo; this package may depend on landmarks, not the reverse.

import (
	"fmt"
	"image"
	"math"
	"path/filepath"
	"testing"

	"github.com/livegate/livegate/internal/gesture"
	"github.com/livegate/livegate/internal/gesture/landmarks"
)

type fpt struct{ x, y float64 }

func (p fpt) dist(q fpt) float64 { return math.Hypot(p.x-q.x, p.y-q.y) }

func fromImage(p image.Point) fpt { return fpt{float64(p.X), float64(p.Y)} }

// fivePoints reduces 68 landmarks to YuNet's five: eye centres (means of the six eye
// contour points), nose tip and mouth corners.
func fivePoints(pts []landmarks.Point) [5]fpt {
	mean := func(a, b int) fpt {
		var s fpt
		for i := a; i <= b; i++ {
			s.x += float64(pts[i].X)
			s.y += float64(pts[i].Y)
		}
		n := float64(b - a + 1)
		return fpt{s.x / n, s.y / n}
	}
	at := func(i int) fpt { return fpt{float64(pts[i].X), float64(pts[i].Y)} }
	return [5]fpt{
		mean(landmarks.RightEyeFirst, landmarks.RightEyeLast),
		mean(landmarks.LeftEyeFirst, landmarks.LeftEyeLast),
		at(landmarks.NoseTip),
		at(landmarks.RightMouthCorner),
		at(landmarks.LeftMouthCorner),
	}
}

var keypointNames = [5]string{"right eye", "left eye", "nose tip", "right mouth corner", "left mouth corner"}

// agreement returns, for each of the five points, the distance between the landmark
// model's point and YuNet's keypoint in units of YuNet's inter-ocular distance.
func agreement(f gesture.Face, pts []landmarks.Point) [5]float64 {
	five := fivePoints(pts)
	iod := fromImage(f.Keypoints[0]).dist(fromImage(f.Keypoints[1]))
	var e [5]float64
	for i := range e {
		e[i] = five[i].dist(fromImage(f.Keypoints[i])) / iod
	}
	return e
}

// keypointTolerance is the largest distance allowed between a landmark-derived point and
// YuNet's keypoint, as a fraction of YuNet's inter-ocular distance (IOD), per keypoint;
// meanKeypointError bounds their mean.
//
// Why these figures: the two are independent models with their own annotation
// conventions (YuNet's "eye" is the pupil, dlib's eye centre is the mean of the six lid
// points; the 300-W mouth corner is the outer lip corner, which on a wide smile sits
// outward of WIDER FACE's), and YuNet's keypoints are not more precise than this
// anyway: on the same photos they move by up to 12.7 % IOD (eyes) and 14.9 % IOD (mouth
// corners) when only YuNet's input width changes from 320 to 640. Measured agreement at
// the default width is at most 9.9 % IOD for eyes and nose, 21.8 % for mouth corners,
// 11.3 % on average over the five points (OpenCV 4.6, seven photos). A model or box gone
// wrong misses by a large part of the IOD.
var keypointTolerance = [5]float64{0.15, 0.15, 0.15, 0.25, 0.25}

const meanKeypointError = 0.14

func TestLandmarksAgreeWithYuNet(t *testing.T) {
	m := landmarkModel(t)
	d := newDetector(t)
	p := landmarks.NewPredictor(m)
	out := make([]landmarks.Point, m.NumLandmarks())
	for _, path := range photos(t) {
		name := filepath.Base(path)
		img := loadGray(t, path)
		faces, err := d.Detect(img)
		if err != nil || len(faces) != 1 {
			t.Errorf("%s: %d faces, err %v", name, len(faces), err)
			continue
		}
		f := faces[0]
		p.Predict(img, landmarks.BoxFromDetection(f.Box, f.Keypoints), out)
		e := agreement(f, out)
		var sum float64
		for i, v := range e {
			sum += v
			if v > keypointTolerance[i] {
				t.Errorf("%s: %s %.1f %% IOD from YuNet's, want <= %.0f %%", name, keypointNames[i], 100*v, 100*keypointTolerance[i])
			}
		}
		if sum/5 > meanKeypointError {
			t.Errorf("%s: mean error %.1f %% IOD, want <= %.0f %%", name, 100*sum/5, 100*meanKeypointError)
		}
		t.Logf("%-24s error %% IOD: %s", name, fmtErr(e))
	}
}

func fmtErr(e [5]float64) string {
	return fmt.Sprintf("eyes %.1f %.1f nose %.1f mouth %.1f %.1f", 100*e[0], 100*e[1], 100*e[2], 100*e[3], 100*e[4])
}

// impliedBox fits the model's mean shape onto predicted points (least-squares similarity)
// and returns where that puts the model's unit box: its side and centre in pixels.
func impliedBox(mean, pts []landmarks.Point) (side float64, c fpt) {
	n := float64(len(pts))
	var mc, pc fpt
	for i := range pts {
		mc.x += float64(mean[i].X) / n
		mc.y += float64(mean[i].Y) / n
		pc.x += float64(pts[i].X) / n
		pc.y += float64(pts[i].Y) / n
	}
	var ss, sa, sb float64
	for i := range pts {
		ax, ay := float64(mean[i].X)-mc.x, float64(mean[i].Y)-mc.y
		bx, by := float64(pts[i].X)-pc.x, float64(pts[i].Y)-pc.y
		ss += ax*ax + ay*ay
		sa += ax*bx + ay*by
		sb += ax*by - ay*bx
	}
	a, b := sa/ss, sb/ss
	ux, uy := 0.5-mc.x, 0.5-mc.y
	return math.Hypot(a, b), fpt{pc.x + a*ux - b*uy, pc.y + b*ux + a*uy}
}

// TestBoxFromDetectionCalibrated checks the YuNet-to-dlib box mapping against the model
// itself: the model was trained to put its mean shape, in the box, onto the face; so on
// a well-placed box the box implied by its output matches the box it was given. A box
// 10 % too large or too small, or off-centre by 10 % of its side, shows here.
func TestBoxFromDetectionCalibrated(t *testing.T) {
	m := landmarkModel(t)
	d := newDetector(t)
	p := landmarks.NewPredictor(m)
	out := make([]landmarks.Point, m.NumLandmarks())
	mean := m.MeanShape()
	var sumRatio float64
	ps := photos(t)
	for _, path := range ps {
		name := filepath.Base(path)
		img := loadGray(t, path)
		faces, err := d.Detect(img)
		if err != nil || len(faces) != 1 {
			t.Fatalf("%s: %d faces, err %v", name, len(faces), err)
		}
		box := landmarks.BoxFromDetection(faces[0].Box, faces[0].Keypoints)
		if box.Dx() != box.Dy() {
			t.Errorf("%s: box %v not square", name, box)
		}
		p.Predict(img, box, out)
		side, c := impliedBox(mean, out)
		if got := m.BoxFromShape(out); !nearBox(got, c, side) {
			t.Errorf("%s: BoxFromShape = %v; want side %.1f centred on (%.1f, %.1f)", name, got, side, c.x, c.y)
		}
		bs := float64(box.Dx() - 1)
		bc := fpt{float64(box.Min.X) + bs/2, float64(box.Min.Y) + bs/2}
		ratio := side / bs
		sumRatio += ratio
		off := c.dist(bc) / bs
		t.Logf("%-24s implied/given side %.3f, centre off by %.3f sides", name, ratio, off)
		if ratio < 0.88 || ratio > 1.12 || off > 0.07 {
			t.Errorf("%s: the model's output implies a box of %.2f times the side, %.3f sides off centre", name, ratio, off)
		}
	}
	if r := sumRatio / float64(len(ps)); r < 0.96 || r > 1.04 {
		t.Errorf("mean implied/given side ratio %.3f: the mapping's scale is biased", r)
	}
}

// TestLandmarksStableUnderJitter moves the box by 4 % of its side and scales it by ±4 %,
// as a tracker's box wanders between frames, and requires the landmarks to follow the
// face, not the box: their mean movement must stay under 5 % of the inter-ocular
// distance (IOD). Moving rigidly with a shifted box would move them by about 10 % IOD.
// For the shifts it also requires them to move less than 60 % of the box's way.
func TestLandmarksStableUnderJitter(t *testing.T) {
	m := landmarkModel(t)
	d := newDetector(t)
	p := landmarks.NewPredictor(m)
	base := make([]landmarks.Point, m.NumLandmarks())
	out := make([]landmarks.Point, m.NumLandmarks())
	for _, path := range photos(t) {
		name := filepath.Base(path)
		img := loadGray(t, path)
		faces, err := d.Detect(img)
		if err != nil || len(faces) != 1 {
			t.Fatalf("%s: %d faces, err %v", name, len(faces), err)
		}
		box := landmarks.BoxFromDetection(faces[0].Box, faces[0].Keypoints)
		p.Predict(img, box, base)
		five := fivePoints(base)
		iod := five[0].dist(five[1])
		j := max(1, box.Dx()*4/100)
		var worst, worstShift float64
		for k, b := range []image.Rectangle{
			box.Add(image.Pt(j, 0)), box.Add(image.Pt(-j, 0)),
			box.Add(image.Pt(0, j)), box.Add(image.Pt(0, -j)),
			box.Inset(j / 2), box.Inset(-j / 2),
		} {
			p.Predict(img, b, out)
			var moved float64
			for i := range out {
				moved += math.Hypot(float64(out[i].X-base[i].X), float64(out[i].Y-base[i].Y))
			}
			moved /= float64(len(out))
			worst = math.Max(worst, moved/iod)
			if moved/iod > 0.05 {
				t.Errorf("%s: box %v (base %v): landmarks moved %.1f %% IOD on average, want <= 5 %%", name, b, box, 100*moved/iod)
			}
			if k < 4 {
				worstShift = math.Max(worstShift, moved/float64(j))
				if moved > 0.6*float64(j) {
					t.Errorf("%s: box shifted by %d px: landmarks moved %.1f px on average", name, j, moved)
				}
			}
		}
		t.Logf("%-24s box jitter ±%d px: mean movement at most %.1f %% IOD; %.0f %% of a shift", name, j, 100*worst, 100*worstShift)
	}
}

// nearBox reports whether r is the square box of the given side (dlib convention: side
// pixels from first to last) centred on c, to rounding.
func nearBox(r image.Rectangle, c fpt, side float64) bool {
	rs := float64(r.Dx() - 1)
	rc := fpt{float64(r.Min.X) + rs/2, float64(r.Min.Y) + rs/2}
	return r.Dx() == r.Dy() && math.Abs(rs-side) <= 0.5 && rc.dist(c) <= 1
}

// TestTrackWithBoxFromShape follows a face across frames without detecting again: the
// photo moves 3 % of the face box per frame, and each frame's box comes from the
// previous frame's landmarks. After 10 frames the landmarks must still agree with a
// fresh detection as well as a detected box's do.
func TestTrackWithBoxFromShape(t *testing.T) {
	m := landmarkModel(t)
	d := newDetector(t)
	p := landmarks.NewPredictor(m)
	out := make([]landmarks.Point, m.NumLandmarks())
	src := fitWidth(loadGray(t, filepath.Join("..", "..", "testdata", "faces", "mazie-hirono.jpg")), 480)
	shift := func(dx, dy int) *image.Gray {
		g := image.NewGray(image.Rect(0, 0, 640, 640))
		for y := 0; y < src.Rect.Dy(); y++ {
			if yy := y + dy; yy >= 0 && yy < 640 {
				copy(g.Pix[yy*g.Stride+max(0, dx):], src.Pix[y*src.Stride+max(0, -dx):(y+1)*src.Stride])
			}
		}
		return g
	}
	img := shift(40, 20)
	faces, err := d.Detect(img)
	if err != nil || len(faces) != 1 {
		t.Fatalf("%d faces, err %v", len(faces), err)
	}
	box := landmarks.BoxFromDetection(faces[0].Box, faces[0].Keypoints)
	step := max(1, box.Dx()*3/100)
	for i := 1; i <= 10; i++ {
		p.Predict(img, box, out)
		box = m.BoxFromShape(out)
		img = shift(40+i*step, 20+i*step/2)
	}
	p.Predict(img, box, out)
	faces, err = d.Detect(img)
	if err != nil || len(faces) != 1 {
		t.Fatalf("last frame: %d faces, err %v", len(faces), err)
	}
	e := agreement(faces[0], out)
	var sum float64
	for i, v := range e {
		sum += v
		if v > keypointTolerance[i] {
			t.Errorf("after tracking: %s %.1f %% IOD from YuNet's", keypointNames[i], 100*v)
		}
	}
	if sum/5 > meanKeypointError {
		t.Errorf("after tracking: mean error %.1f %% IOD", 100*sum/5)
	}
	t.Logf("after 10 tracked frames: error %% IOD: %s", fmtErr(e))
}
