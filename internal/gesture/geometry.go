package gesture

import "math"

// Point is one landmark in image pixels (x to the right, y down).
type Point struct{ X, Y float32 }

// NumLandmarks is the number of points of the iBUG 300-W markup.
const NumLandmarks = 68

// Landmarks is one face's 68 points in iBUG order. Indices 36–41 are the
// user's RIGHT eye, which appears on the image's LEFT in a non-mirrored
// camera picture; 42–47 are the user's left eye; 60–67 the inner lips.
type Landmarks [NumLandmarks]Point

// Vec3 is a point of the 3D face model, in millimetres.
type Vec3 struct{ X, Y, Z float64 }

// MeanFace is livegate's generic 3D face for the 68 iBUG points, in
// millimetres, in the FACE frame: X toward the image's right when the face
// looks straight at the camera (that is, toward the user's own LEFT), Y up,
// Z out of the face toward the camera; the origin lies between the eyes.
// The values are a hand-built average adult face (outer eye corners 90 mm
// apart, nose tip 28 mm in front of the eye corners, chin 93 mm below the
// eyes); only the rigid points listed in poseIdx are used by the pose solver.
var MeanFace = [NumLandmarks]Vec3{
	// Jaw line 0–16, from the user's right ear (image left) round the chin.
	{-70, 0, -65}, {-69, -15, -60}, {-66, -30, -55}, {-62, -45, -48},
	{-56, -60, -38}, {-47, -73, -26}, {-36, -83, -14}, {-20, -90, -5},
	{0, -93, 0},
	{20, -90, -5}, {36, -83, -14}, {47, -73, -26}, {56, -60, -38},
	{62, -45, -48}, {66, -30, -55}, {69, -15, -60}, {70, 0, -65},
	// Brows 17–21 (user's right, outer to inner), 22–26 (left, inner to outer).
	{-58, 14, -10}, {-48, 20, -3}, {-36, 22, 0}, {-24, 21, 1}, {-12, 18, 0},
	{12, 18, 0}, {24, 21, 1}, {36, 22, 0}, {48, 20, -3}, {58, 14, -10},
	// Nose bridge 27–30 and nostrils 31–35.
	{0, 0, 3}, {0, -10, 10}, {0, -20, 18}, {0, -30, 28},
	{-14, -38, 10}, {-7, -40, 14}, {0, -42, 17}, {7, -40, 14}, {14, -38, 10},
	// User's right eye 36–41: outer corner, two upper lid, inner corner, two lower lid.
	{-45, 0, -12}, {-37, 4, -6}, {-23, 4, -5}, {-15, 0, -6}, {-23, -4, -5}, {-37, -4, -6},
	// User's left eye 42–47: inner corner, two upper lid, outer corner, two lower lid.
	{15, 0, -6}, {23, 4, -5}, {37, 4, -6}, {45, 0, -12}, {37, -4, -6}, {23, -4, -5},
	// Outer lips 48–59, from the user's right corner over the upper lip.
	{-25, -62, 2}, {-15, -56, 10}, {-6, -54, 13}, {0, -55, 14}, {6, -54, 13}, {15, -56, 10},
	{25, -62, 2}, {15, -70, 8}, {6, -73, 11}, {0, -74, 12}, {-6, -73, 11}, {-15, -70, 8},
	// Inner lips 60–67.
	{-20, -62, 4}, {-6, -61, 10}, {0, -61, 11}, {6, -61, 10},
	{20, -62, 4}, {6, -63, 10}, {0, -63, 11}, {-6, -63, 10},
}

// MirrorIndex maps each iBUG index to the index of the same anatomical point
// on the other side of the face. Flipping an image left–right and relabelling
// with it gives the landmarks a detector finds on the flipped image.
var MirrorIndex = [NumLandmarks]int{
	16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0,
	26, 25, 24, 23, 22, 21, 20, 19, 18, 17,
	27, 28, 29, 30, 35, 34, 33, 32, 31,
	45, 44, 43, 42, 47, 46, 39, 38, 37, 36, 41, 40,
	54, 53, 52, 51, 50, 49, 48, 59, 58, 57, 56, 55,
	64, 63, 62, 61, 60, 67, 66, 65,
}

// poseIdx are the points that move little with expressions: nose, eye
// corners and mouth corners. Lids, brows, lips and chin move with the very
// gestures we measure, so they would bias the pose.
var poseIdx = [...]int{27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 39, 42, 45, 48, 54}

// planarIdx are the points of the homography (planarity) fit: the rigid
// points plus the jaw line and the brows, which a real head shows in
// parallax and a photo does not.
var planarIdx = [...]int{

	17, 18, 19, 20, 21, 22, 23, 24, 25, 26,
	27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 39, 42, 45, 48, 54,
}

const numPose = float64(len(poseIdx))

// Pose is a head pose in degrees and the camera-frame translation in
// millimetres.
//
// Sign convention (non-mirrored camera image, the picture the server gets):
//   - Yaw > 0: the user turned to their OWN LEFT; the nose moves toward
//     increasing image x. HEAD_LEFT is a positive yaw, HEAD_RIGHT negative.
//   - Pitch > 0: the user looks UP; the nose moves toward decreasing image y.
//   - Roll > 0: the face turns clockwise in the image, i.e. the user tilts
//     their head toward their own left shoulder.
type Pose struct {
	Yaw, Pitch, Roll float64
	// T is the face origin in camera coordinates (x right, y down, z ahead), mm.
	T Vec3
	// RMS is the reprojection error in pixels of the fitted pose.
	RMS float64
}

// Camera is a pinhole camera with square pixels and no distortion.
type Camera struct{ F, Cx, Cy float64 }

// GuessCamera guesses the intrinsics of a webcam from the frame size: focal
// length about the frame width (a field of view near 53°), principal point
// at the centre.
func GuessCamera(w, h int) Camera {
	return Camera{F: float64(w), Cx: float64(w) / 2, Cy: float64(h) / 2}
}

type mat3 [3][3]float64

func (a *mat3) mul(b *mat3) mat3 {
	var c mat3
	for i := 0; i < 3; i++ {
		for j := 0; j < 3; j++ {
			c[i][j] = a[i][0]*b[0][j] + a[i][1]*b[1][j] + a[i][2]*b[2][j]
		}
	}
	return c
}

func (a *mat3) apply(v Vec3) Vec3 {
	return Vec3{
		a[0][0]*v.X + a[0][1]*v.Y + a[0][2]*v.Z,
		a[1][0]*v.X + a[1][1]*v.Y + a[1][2]*v.Z,
		a[2][0]*v.X + a[2][1]*v.Y + a[2][2]*v.Z,
	}
}

// faceToCam turns the face frame (Y up, Z toward the camera) into the camera
// frame (y down, z away from the camera): a half turn about x.
var faceToCam = mat3{{1, 0, 0}, {0, -1, 0}, {0, 0, -1}}

const deg = math.Pi / 180

// faceRotation is the rotation, in the face frame, of a head with the given
// angles in degrees: R = Rroll · Ryaw · Rpitch.
func faceRotation(yaw, pitch, roll float64) mat3 {
	sy, cy := math.Sincos(yaw * deg)
	sp, cp := math.Sincos(pitch * deg)
	sr, cr := math.Sincos(roll * deg)
	ry := mat3{{cy, 0, sy}, {0, 1, 0}, {-sy, 0, cy}}
	rp := mat3{{1, 0, 0}, {0, cp, sp}, {0, -sp, cp}}
	rr := mat3{{cr, sr, 0}, {-sr, cr, 0}, {0, 0, 1}}
	m := ry.mul(&rp)
	return rr.mul(&m)
}

// eulerFromFace is the inverse of faceRotation.
func eulerFromFace(r *mat3) (yaw, pitch, roll float64) {
	yaw = math.Atan2(-r[2][0], math.Hypot(r[2][1], r[2][2])) / deg
	pitch = math.Atan2(-r[2][1], r[2][2]) / deg
	roll = math.Atan2(-r[1][0], r[0][0]) / deg
	return
}

// Project places the model point v of a head with pose p in the image of cam.
// It is the forward model the solver inverts; tests use it to make
// synthetic landmarks.
func Project(cam Camera, p Pose, v Vec3) Point {
	rf := faceRotation(p.Yaw, p.Pitch, p.Roll)
	rc := faceToCam.mul(&rf)
	q := rc.apply(v)
	x, y, z := q.X+p.T.X, q.Y+p.T.Y, q.Z+p.T.Z
	return Point{X: float32(cam.F*x/z + cam.Cx), Y: float32(cam.F*y/z + cam.Cy)}
}

// poseModel holds the centred rigid model points and the inverse of their
// scatter matrix, computed once, for the weak-perspective start.
var poseModel = func() (m struct {
	pts  [len(poseIdx)]Vec3
	mean Vec3
	inv  mat3
}) {
	for i, k := range poseIdx {
		m.pts[i] = MeanFace[k]
		m.mean.X += MeanFace[k].X / numPose
		m.mean.Y += MeanFace[k].Y / numPose
		m.mean.Z += MeanFace[k].Z / numPose
	}
	var s mat3
	for _, p := range m.pts {
		d := [3]float64{p.X - m.mean.X, p.Y - m.mean.Y, p.Z - m.mean.Z}
		for i := 0; i < 3; i++ {
			for j := 0; j < 3; j++ {
				s[i][j] += d[i] * d[j]
			}
		}
	}
	m.inv = inverse3(&s)
	return m
}()

func inverse3(a *mat3) mat3 {
	c00 := a[1][1]*a[2][2] - a[1][2]*a[2][1]
	c01 := a[1][2]*a[2][0] - a[1][0]*a[2][2]
	c02 := a[1][0]*a[2][1] - a[1][1]*a[2][0]
	det := a[0][0]*c00 + a[0][1]*c01 + a[0][2]*c02
	inv := 1 / det
	return mat3{
		{c00 * inv, (a[0][2]*a[2][1] - a[0][1]*a[2][2]) * inv, (a[0][1]*a[1][2] - a[0][2]*a[1][1]) * inv},
		{c01 * inv, (a[0][0]*a[2][2] - a[0][2]*a[2][0]) * inv, (a[0][2]*a[1][0] - a[0][0]*a[1][2]) * inv},
		{c02 * inv, (a[0][1]*a[2][0] - a[0][0]*a[2][1]) * inv, (a[0][0]*a[1][1] - a[0][1]*a[1][0]) * inv},
	}
}

func cross(a, b Vec3) Vec3 {
	return Vec3{a.Y*b.Z - a.Z*b.Y, a.Z*b.X - a.X*b.Z, a.X*b.Y - a.Y*b.X}
}

func norm(a Vec3) float64 { return math.Sqrt(a.X*a.X + a.Y*a.Y + a.Z*a.Z) }

func scale(a Vec3, s float64) Vec3 { return Vec3{a.X * s, a.Y * s, a.Z * s} }

// rodrigues is the rotation exp([w]x).
func rodrigues(w Vec3) mat3 {
	th := norm(w)
	if th < 1e-12 {
		return mat3{{1, -w.Z, w.Y}, {w.Z, 1, -w.X}, {-w.Y, w.X, 1}}
	}
	k := scale(w, 1/th)
	s, c := math.Sincos(th)
	v := 1 - c
	return mat3{
		{c + k.X*k.X*v, k.X*k.Y*v - k.Z*s, k.X*k.Z*v + k.Y*s},
		{k.Y*k.X*v + k.Z*s, c + k.Y*k.Y*v, k.Y*k.Z*v - k.X*s},
		{k.Z*k.X*v - k.Y*s, k.Z*k.Y*v + k.X*s, c + k.Z*k.Z*v},
	}
}

// SolvePose estimates the head pose from the landmarks with the generic
// model MeanFace: a weak-perspective (scaled orthographic, POSIT's first
// step) start refined by Levenberg–Marquardt on the reprojection error of
// the rigid points. It does not allocate.
func SolvePose(cam Camera, lm *Landmarks) Pose {
	// Weak perspective: u − ū = s·R₂·(X − X̄), solved by least squares.
	var ub, vb float64
	for _, k := range poseIdx {
		ub += float64(lm[k].X)
		vb += float64(lm[k].Y)
	}
	ub /= numPose
	vb /= numPose
	var b [2][3]float64
	for i, k := range poseIdx {
		d := poseModel.pts[i]
		dx, dy, dz := d.X-poseModel.mean.X, d.Y-poseModel.mean.Y, d.Z-poseModel.mean.Z
		u, v := float64(lm[k].X)-ub, float64(lm[k].Y)-vb
		b[0][0] += u * dx
		b[0][1] += u * dy
		b[0][2] += u * dz
		b[1][0] += v * dx
		b[1][1] += v * dy
		b[1][2] += v * dz
	}
	var m [2]Vec3
	for r := 0; r < 2; r++ {
		var row [3]float64
		for j := 0; j < 3; j++ {
			row[j] = b[r][0]*poseModel.inv[0][j] + b[r][1]*poseModel.inv[1][j] + b[r][2]*poseModel.inv[2][j]
		}
		m[r] = Vec3{row[0], row[1], row[2]}
	}
	s1, s2 := norm(m[0]), norm(m[1])
	if !(s1 > 1e-9 && s2 > 1e-9) || math.IsNaN(s1+s2) {
		return Pose{RMS: math.Inf(1)}
	}
	r1, r2 := scale(m[0], 1/s1), scale(m[1], 1/s2)
	// Symmetric Gram–Schmidt: split the error of r1·r2 between both rows.
	e := r1.X*r2.X + r1.Y*r2.Y + r1.Z*r2.Z
	r1, r2 = Vec3{r1.X - e/2*r2.X, r1.Y - e/2*r2.Y, r1.Z - e/2*r2.Z}, Vec3{r2.X - e/2*r1.X, r2.Y - e/2*r1.Y, r2.Z - e/2*r1.Z}
	r1, r2 = scale(r1, 1/norm(r1)), scale(r2, 1/norm(r2))
	r3 := cross(r1, r2)
	rc := mat3{{r1.X, r1.Y, r1.Z}, {r2.X, r2.Y, r2.Z}, {r3.X, r3.Y, r3.Z}}
	sc := (s1 + s2) / 2
	tz := cam.F / sc
	cm := rc.apply(poseModel.mean)
	t := Vec3{(ub-cam.Cx)/cam.F*tz - cm.X, (vb-cam.Cy)/cam.F*tz - cm.Y, tz - cm.Z}

	// Levenberg–Marquardt with a left-multiplied rotation increment.
	cost := reprojCost(cam, lm, &rc, t)
	lambda := 1e-3
	for it := 0; it < 20; it++ {
		var jtj [6][6]float64
		var jtr [6]float64
		for i, k := range poseIdx {
			q := rc.apply(poseModel.pts[i])
			x, y, z := q.X+t.X, q.Y+t.Y, q.Z+t.Z
			if z <= 1e-6 {
				return Pose{RMS: math.Inf(1)}
			}
			iz := 1 / z
			ru := cam.F*x*iz + cam.Cx - float64(lm[k].X)
			rv := cam.F*y*iz + cam.Cy - float64(lm[k].Y)
			// d(u,v)/dp
			du := Vec3{cam.F * iz, 0, -cam.F * x * iz * iz}
			dv := Vec3{0, cam.F * iz, -cam.F * y * iz * iz}
			// dp/dw = -[q]x ; dp/dt = I
			var ju, jv [6]float64
			ju[0] = du.Y*(-q.Z) + du.Z*q.Y
			ju[1] = du.X*q.Z + du.Z*(-q.X)
			ju[2] = du.X*(-q.Y) + du.Y*q.X
			jv[0] = dv.Y*(-q.Z) + dv.Z*q.Y
			jv[1] = dv.X*q.Z + dv.Z*(-q.X)
			jv[2] = dv.X*(-q.Y) + dv.Y*q.X
			ju[3], ju[4], ju[5] = du.X, du.Y, du.Z
			jv[3], jv[4], jv[5] = dv.X, dv.Y, dv.Z
			for a := 0; a < 6; a++ {
				jtr[a] += ju[a]*ru + jv[a]*rv
				for c := a; c < 6; c++ {
					jtj[a][c] += ju[a]*ju[c] + jv[a]*jv[c]
				}
			}
		}
		for a := 0; a < 6; a++ {
			for c := 0; c < a; c++ {
				jtj[a][c] = jtj[c][a]
			}
		}
		improved := false
		for try := 0; try < 8; try++ {
			var a [6][6]float64
			var rhs [6]float64
			for i := 0; i < 6; i++ {
				a[i] = jtj[i]
				a[i][i] += lambda * (jtj[i][i] + 1e-9)
				rhs[i] = -jtr[i]
			}
			d, ok := solve6(&a, &rhs)
			if !ok {
				lambda *= 10
				continue
			}
			dr := rodrigues(Vec3{d[0], d[1], d[2]})
			nr := dr.mul(&rc)
			nt := Vec3{t.X + d[3], t.Y + d[4], t.Z + d[5]}
			nc := reprojCost(cam, lm, &nr, nt)
			if nc < cost {
				step := math.Abs(d[0]) + math.Abs(d[1]) + math.Abs(d[2])
				rc, t = nr, nt
				rel := (cost - nc) / (cost + 1e-12)
				cost = nc
				lambda = math.Max(lambda/10, 1e-9)
				improved = true
				if step < 1e-7 || rel < 1e-9 {
					it = 1 << 30
				}
				break
			}
			lambda *= 10
		}
		if !improved {
			break
		}
	}
	rf := faceToCam.mul(&rc) // faceToCam is its own inverse
	p := Pose{T: t, RMS: math.Sqrt(cost / numPose)}
	p.Yaw, p.Pitch, p.Roll = eulerFromFace(&rf)
	return p
}

func reprojCost(cam Camera, lm *Landmarks, r *mat3, t Vec3) float64 {
	var c float64
	for i, k := range poseIdx {
		q := r.apply(poseModel.pts[i])
		z := q.Z + t.Z
		if z <= 1e-6 {
			return math.Inf(1)
		}
		du := cam.F*(q.X+t.X)/z + cam.Cx - float64(lm[k].X)
		dv := cam.F*(q.Y+t.Y)/z + cam.Cy - float64(lm[k].Y)
		c += du*du + dv*dv
	}
	return c
}

// solve6 solves a·x = b by Gaussian elimination with partial pivoting.
func solve6(a *[6][6]float64, b *[6]float64) ([6]float64, bool) {
	const n = 6
	for c := 0; c < n; c++ {
		p := c
		for r := c + 1; r < n; r++ {
			if math.Abs(a[r][c]) > math.Abs(a[p][c]) {
				p = r
			}
		}
		if math.Abs(a[p][c]) < 1e-300 {
			return [6]float64{}, false
		}
		a[c], a[p] = a[p], a[c]
		b[c], b[p] = b[p], b[c]
		for r := c + 1; r < n; r++ {
			f := a[r][c] / a[c][c]
			for k := c; k < n; k++ {
				a[r][k] -= f * a[c][k]
			}
			b[r] -= f * b[c]
		}
	}
	var x [6]float64
	for r := n - 1; r >= 0; r-- {
		s := b[r]
		for k := r + 1; k < n; k++ {
			s -= a[r][k] * x[k]
		}
		x[r] = s / a[r][r]
	}
	return x, true
}

func dist(a, b Point) float64 {
	return math.Hypot(float64(a.X-b.X), float64(a.Y-b.Y))
}

// eyeAspect is the eye aspect ratio (Soukupová & Čech): the mean lid
// opening over the corner-to-corner width. About 0.25–0.3 open, under 0.1
// closed.
func eyeAspect(lm *Landmarks, i int) float64 {
	w := dist(lm[i], lm[i+3])
	if w < 1e-6 {
		return 0
	}
	return (dist(lm[i+1], lm[i+5]) + dist(lm[i+2], lm[i+4])) / (2 * w)
}

// EyeOpenness returns the eye aspect ratios of the user's own left eye
// (points 42–47, on the image's right) and right eye (36–41).
func EyeOpenness(lm *Landmarks) (left, right float64) {
	return eyeAspect(lm, 42), eyeAspect(lm, 36)
}

// MouthOpenness is the mean inner-lip gap (61–67, 62–66, 63–65) over the
// inner mouth width (60–64): about 0.05 closed, over 0.3 wide open.
func MouthOpenness(lm *Landmarks) float64 {
	w := dist(lm[60], lm[64])
	if w < 1e-6 {
		return 0
	}
	return (dist(lm[61], lm[67]) + dist(lm[62], lm[66]) + dist(lm[63], lm[65])) / (3 * w)
}

// InterOcular is the distance between the two eye centres (mean of the
// corners), the face's natural unit of length.
func InterOcular(lm *Landmarks) float64 {
	rx := (lm[36].X + lm[39].X) / 2
	ry := (lm[36].Y + lm[39].Y) / 2
	lx := (lm[42].X + lm[45].X) / 2
	ly := (lm[42].Y + lm[45].Y) / 2
	return math.Hypot(float64(lx-rx), float64(ly-ry))
}

// Bounds is the smallest rectangle, as floats, that holds all 68 points.
func Bounds(lm *Landmarks) (x0, y0, x1, y1 float32) {
	x0, y0, x1, y1 = lm[0].X, lm[0].Y, lm[0].X, lm[0].Y
	for _, p := range lm[1:] {
		x0, x1 = min(x0, p.X), max(x1, p.X)
		y0, y1 = min(y0, p.Y), max(y1, p.Y)
	}
	return
}
