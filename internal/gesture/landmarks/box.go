package landmarks

import (
	"image"
	"math"
)

// Landmark indices of the 68-point scheme used to tie it to a 5-point detector.
const (
	RightEyeFirst, RightEyeLast = 36, 41 // subject's right eye (image left)
	LeftEyeFirst, LeftEyeLast   = 42, 47
	NoseTip                     = 30
	RightMouthCorner            = 48
	LeftMouthCorner             = 54
)

// meanKeypoints are the five points a YuNet-style detector reports (right eye centre,
// left eye centre, nose tip, right and left mouth corner), taken from the mean shape of
// dlib's shape_predictor_68_face_landmarks.dat in box-normalised units (eye centre =
// mean of the six eye points). TestMeanKeypoints checks them against the model file.
var meanKeypoints = [5][2]float64{
	{0.29453, 0.31523},
	{0.70551, 0.31523},
	{0.50001, 0.54703},
	{0.31711, 0.75112},
	{0.68292, 0.75112},
}

// Fallback mapping from a YuNet box to a dlib box, used only when the keypoints are
// degenerate. Measured on the seven test photos: the box that the 68-point model's own
// output implies (mean shape fitted to the predicted points) is 1.00–1.06 (mean 1.02)
// times YuNet's box width, centred 0.02–0.07 (mean 0.045) widths below YuNet's centre
// and within 0.03 widths of it horizontally.
const (
	yunetSide = 1.02
	yunetDX   = 0.0
	yunetDY   = 0.045
)

// BoxFromDetection maps a face found by a 5-point detector such as YuNet (box and
// keypoints in YuNet's order: right eye, left eye, nose tip, right mouth corner, left
// mouth corner) to the box dlib's 68-point model expects.
//
// The model was trained on boxes of dlib's HOG face detector: square, from the brows to
// just above the chin. YuNet's boxes are taller (they reach up the forehead) and their
// size varies with hair and pose. Rather than rescaling YuNet's box by fixed factors,
// the box is recovered from the keypoints: the least-squares similarity transform from the model's
// mean shape (its five corresponding points) onto the keypoints gives the face's scale
// and centre, which is where the model's training boxes sat relative to its mean shape.
// That makes the mapping independent of the detector's box conventions and of head
// roll. On the test photos the box that the model's own output implies (its mean shape
// fitted to the 68 predicted points) is 0.92–1.04 times this box's side (mean 0.999)
// and within 0.035 sides of its centre: the mapping is unbiased. When the keypoints are
// degenerate (eyes coincide), the detector box is scaled by fixed factors instead.
func BoxFromDetection(box image.Rectangle, keypoints [5]image.Point) image.Rectangle {
	var k [5][2]float64
	for i, p := range keypoints {
		k[i] = [2]float64{float64(p.X), float64(p.Y)}
	}
	return boxFromKeypoints(box, k, &meanKeypoints)
}

// BoxFromKeypoints is BoxFromDetection with sub-pixel keypoints and with the five
// reference points taken from m's own mean shape, for models other than dlib's
// 68-point one (m must use the 68-point scheme).
func (m *Model) BoxFromKeypoints(box image.Rectangle, keypoints [5][2]float64) image.Rectangle {
	ref := meanKeypoints
	if m.NumLandmarks() == 68 {
		ref = m.keypoints()
	}
	return boxFromKeypoints(box, keypoints, &ref)
}

// keypoints returns the five detector points of the model's mean shape.
func (m *Model) keypoints() [5][2]float64 {
	mean := func(a, b int) [2]float64 {
		var x, y float64
		for i := a; i <= b; i++ {
			x += float64(m.mean[2*i])
			y += float64(m.mean[2*i+1])
		}
		n := float64(b - a + 1)
		return [2]float64{x / n, y / n}
	}
	return [5][2]float64{
		mean(RightEyeFirst, RightEyeLast),
		mean(LeftEyeFirst, LeftEyeLast),
		mean(NoseTip, NoseTip),
		mean(RightMouthCorner, RightMouthCorner),
		mean(LeftMouthCorner, LeftMouthCorner),
	}
}

// BoxFromShape returns the box in which the model's mean shape best fits pts (a full
// prediction, len(pts) == NumLandmarks()): the box to predict from in the next video
// frame, so that a tracked face needs no new detection while it moves smoothly. On a
// face predicted from box b it returns about b (see BoxFromDetection's calibration).
func (m *Model) BoxFromShape(pts []Point) image.Rectangle {
	n := len(m.mean) / 2
	if len(pts) != n {
		panic("landmarks: BoxFromShape: len(pts) != NumLandmarks()")
	}
	var mx, my, px, py float64
	for i, p := range pts {
		mx += float64(m.mean[2*i])
		my += float64(m.mean[2*i+1])
		px += float64(p.X)
		py += float64(p.Y)
	}
	mx, my, px, py = mx/float64(n), my/float64(n), px/float64(n), py/float64(n)
	var ss, sa, sb float64
	for i, p := range pts {
		ax, ay := float64(m.mean[2*i])-mx, float64(m.mean[2*i+1])-my
		bx, by := float64(p.X)-px, float64(p.Y)-py
		ss += ax*ax + ay*ay
		sa += ax*bx + ay*by
		sb += ax*by - ay*bx
	}
	a, b := sa/ss, sb/ss
	ux, uy := 0.5-mx, 0.5-my
	return squareBox(px+a*ux-b*uy, py+b*ux+a*uy, math.Hypot(a, b))
}

// squareBox returns the square box of dlib's convention (side pixels from the first to
// the last pixel) centred on (cx, cy).
func squareBox(cx, cy, side float64) image.Rectangle {
	x0 := int(math.Round(cx - side/2))
	y0 := int(math.Round(cy - side/2))
	n := int(math.Round(side)) + 1
	return image.Rect(x0, y0, x0+n, y0+n)
}

func boxFromKeypoints(box image.Rectangle, k [5][2]float64, ref *[5][2]float64) image.Rectangle {
	var kc, rc [2]float64
	for i := range k {
		kc[0] += k[i][0] / 5
		kc[1] += k[i][1] / 5
		rc[0] += ref[i][0] / 5
		rc[1] += ref[i][1] / 5
	}
	var ss, sa, sb float64
	for i := range k {
		px, py := ref[i][0]-rc[0], ref[i][1]-rc[1]
		qx, qy := k[i][0]-kc[0], k[i][1]-kc[1]
		ss += px*px + py*py
		sa += px*qx + py*qy
		sb += px*qy - py*qx
	}
	a, b := sa/ss, sb/ss // scale·cos, scale·sin
	side := math.Hypot(a, b)
	eyes := math.Hypot(k[1][0]-k[0][0], k[1][1]-k[0][1])
	var cx, cy float64
	if eyes < 2 || side < 4 {
		if box.Empty() {
			return box
		}
		w := float64(box.Dx())
		side = yunetSide * w
		cx = float64(box.Min.X+box.Max.X)/2 + yunetDX*w
		cy = float64(box.Min.Y+box.Max.Y)/2 + yunetDY*w
	} else {
		// Centre of the unit box, (0.5, 0.5), carried by the fitted transform.
		ux, uy := 0.5-rc[0], 0.5-rc[1]
		cx = kc[0] + a*ux - b*uy
		cy = kc[1] + b*ux + a*uy
	}
	return squareBox(cx, cy, side)
}
