package gesture

import (
	"math"
	"math/rand/v2"
)

// This file makes synthetic landmarks: a 3D face (MeanFace, perturbed per
// subject) with a known pose and expression, projected through a pinhole
// camera, with pixel noise. It is the ground truth the geometry and the
// challenge tests are checked against.

// face is one synthetic subject: the mean face scaled and perturbed, so the
// solver never sees its own model exactly.
type face struct {
	pts [NumLandmarks]Vec3
}

func newFace(seed uint64, jitter float64) *face {
	r := rand.New(rand.NewPCG(seed, 77))
	s := 0.92 + 0.16*r.Float64()
	f := &face{}
	for i, p := range MeanFace {
		f.pts[i] = Vec3{
			p.X*s + jitter*r.NormFloat64(),
			p.Y*s + jitter*r.NormFloat64(),
			p.Z*s + jitter*r.NormFloat64(),
		}
	}
	// Keep the face left–right symmetric in its rigid parts so a mirrored
	// sequence is the same subject turning the other way.
	for i, j := range MirrorIndex {
		if i < j {
			a, b := f.pts[i], f.pts[j]
			f.pts[i] = Vec3{(a.X - b.X) / 2, (a.Y + b.Y) / 2, (a.Z + b.Z) / 2}
			f.pts[j] = Vec3{-(a.X - b.X) / 2, (a.Y + b.Y) / 2, (a.Z + b.Z) / 2}
		} else if i == j {
			f.pts[i].X = 0
		}
	}
	return f
}

// state is what the synthetic user does in one frame.
type state struct {
	yaw, pitch, roll float64 // degrees, Pose's convention
	closeL, closeR   float64 // 0 open … 1 closed, the user's own left/right eye
	mouth            float64 // lip gap added, mm
	dist             float64 // camera distance, mm (0: 600)
	dx, dy           float64 // face offset in mm from the optical axis
	dimL, dimR       float64 // drop of the eyes' picture contrast, 0..1
}

// expressed returns the face's 3D points with the state's expression.
func (f *face) expressed(s state) [NumLandmarks]Vec3 {
	p := f.pts
	lid := func(eye int, c float64) {
		// Upper lids 1,2 and lower lids 4,5 close toward the corner line.
		k := 1 - 0.85*c
		ymid := (p[eye].Y + p[eye+3].Y) / 2
		for _, j := range [...]int{1, 2, 4, 5} {
			p[eye+j].Y = ymid + (p[eye+j].Y-ymid)*k
		}
	}
	lid(36, s.closeR)
	lid(42, s.closeL)
	if s.mouth > 0 {
		for _, j := range [...]int{55, 56, 57, 58, 59, 65, 66, 67} {
			p[j].Y -= s.mouth
		}
		// The jaw drops with the lower lip, less toward the ears.
		for j := 3; j <= 13; j++ {
			w := 1 - math.Abs(float64(j-8))/6
			p[j].Y -= s.mouth * w
		}
	}
	return p
}

// render projects the state through cam with Gaussian pixel noise sigma.
func (f *face) render(cam Camera, s state, sigma float64, r *rand.Rand) Landmarks {
	d := s.dist
	if d == 0 {
		d = 600
	}
	pose := Pose{Yaw: s.yaw, Pitch: s.pitch, Roll: s.roll, T: Vec3{s.dx, s.dy, d}}
	pts := f.expressed(s)
	var lm Landmarks
	for i, v := range pts {
		p := Project(cam, pose, v)
		if sigma > 0 && r != nil {
			p.X += float32(sigma * r.NormFloat64())
			p.Y += float32(sigma * r.NormFloat64())
		}
		lm[i] = p
	}
	return lm
}

// mirror flips landmarks left–right in a frame of width w and relabels them,
// as a landmark detector would see a mirrored picture.
func mirror(lm *Landmarks, w int) Landmarks {
	var out Landmarks
	for i, j := range MirrorIndex {
		out[i] = Point{X: float32(w) - lm[j].X, Y: lm[j].Y}
	}
	return out
}

// planarFake is the flat-photo attack that imitates a real pose as well as
// any flat picture can: the neutral picture moved by the homography that
// best fits the real head's landmarks in that pose.
func planarFake(neutral, real *Landmarks) Landmarks {
	all := make([]int, NumLandmarks)
	for i := range all {
		all[i] = i
	}
	h := FitHomography(neutral, real, all)
	var out Landmarks
	for i := range neutral {
		out[i] = h.Apply(neutral[i])
	}
	return out
}

// photoTurn is a flat photo of the neutral face turned by yaw degrees (and
// tilted by pitch) about its own vertical (horizontal) axis in front of the
// camera: every point lies on one plane.
func photoTurn(cam Camera, neutral *Landmarks, yaw, pitch, d float64) Landmarks {
	// Back-project the neutral picture onto the plane z = d, then rotate it.
	r := faceRotation(yaw, pitch, 0)
	rc := faceToCam.mul(&r)
	rc = rc.mul(&faceToCam)
	var out Landmarks
	for i, p := range neutral {
		x := (float64(p.X) - cam.Cx) / cam.F * d
		y := (float64(p.Y) - cam.Cy) / cam.F * d
		q := rc.apply(Vec3{x, y, 0})
		z := q.Z + d
		out[i] = Point{X: float32(cam.F*q.X/z + cam.Cx), Y: float32(cam.F*q.Y/z + cam.Cy)}
	}
	return out
}
