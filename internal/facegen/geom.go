package facegen

import "math"

// Vec3 is a point in camera space, in millimetres: X to the image's right,
// Y down, Z away from the camera (the subject faces -Z).
type Vec3 struct{ X, Y, Z float64 }

// Add returns a+b.
func (a Vec3) Add(b Vec3) Vec3 { return Vec3{a.X + b.X, a.Y + b.Y, a.Z + b.Z} }

// Sub returns a-b.
func (a Vec3) Sub(b Vec3) Vec3 { return Vec3{a.X - b.X, a.Y - b.Y, a.Z - b.Z} }

// Pt is a point in the image, in pixels (x right, y down).
type Pt struct{ X, Y float64 }

// Mat3 is a 3×3 rotation matrix, row major.
type Mat3 [9]float64

// Apply returns m·v.
func (m Mat3) Apply(v Vec3) Vec3 {
	return Vec3{
		m[0]*v.X + m[1]*v.Y + m[2]*v.Z,
		m[3]*v.X + m[4]*v.Y + m[5]*v.Z,
		m[6]*v.X + m[7]*v.Y + m[8]*v.Z,
	}
}

// Mul returns m·n.
func (m Mat3) Mul(n Mat3) Mat3 {
	var r Mat3
	for i := 0; i < 3; i++ {
		for j := 0; j < 3; j++ {
			r[i*3+j] = m[i*3]*n[j] + m[i*3+1]*n[3+j] + m[i*3+2]*n[6+j]
		}
	}
	return r
}

// HeadRotation returns the rotation of a head by yaw, pitch and roll in
// degrees, with the package's sign conventions (see the package comment):
// pitch is applied first, then yaw, then roll.
//
// With the camera frame (X right, Y down, Z away) and the nose pointing to -Z:
//   - yaw θ about the vertical axis: X' = X cosθ − Z sinθ, so the nose
//     (0, 0, −d) moves to X' = d sinθ, toward the image's right for θ > 0
//     (the user's own left);
//   - pitch φ about the horizontal axis: Y' = Y cosφ + Z sinφ, so the nose
//     moves up (Y' = −d sinφ) for φ > 0;
//   - roll ψ in the image plane: X' = X cosψ − Y sinψ, so the top of the
//     head (0, −h, 0) moves right for ψ > 0.
func HeadRotation(yawDeg, pitchDeg, rollDeg float64) Mat3 {
	y, p, r := yawDeg*math.Pi/180, pitchDeg*math.Pi/180, rollDeg*math.Pi/180
	cy, sy := math.Cos(y), math.Sin(y)
	cp, sp := math.Cos(p), math.Sin(p)
	cr, sr := math.Cos(r), math.Sin(r)
	yaw := Mat3{cy, 0, -sy, 0, 1, 0, sy, 0, cy}
	pitch := Mat3{1, 0, 0, 0, cp, sp, 0, -sp, cp}
	roll := Mat3{cr, -sr, 0, sr, cr, 0, 0, 0, 1}
	return roll.Mul(yaw.Mul(pitch))
}

// Camera is a pinhole camera with square pixels and no distortion.
type Camera struct {
	F      float64 // focal length in pixels
	Cx, Cy float64 // principal point
}

// Project maps a camera-space point to the image.
func (c Camera) Project(v Vec3) Pt {
	return Pt{c.Cx + c.F*v.X/v.Z, c.Cy + c.F*v.Y/v.Z}
}

// Unproject returns the camera-space point that projects to p at depth z.
func (c Camera) Unproject(p Pt, z float64) Vec3 {
	return Vec3{(p.X - c.Cx) * z / c.F, (p.Y - c.Cy) * z / c.F, z}
}

// RotateAbout rotates v by m about the pivot.
func RotateAbout(m Mat3, pivot, v Vec3) Vec3 {
	return m.Apply(v.Sub(pivot)).Add(pivot)
}

// Generic face model. Depths are in millimetres toward the camera relative
// to the nose tip (so all are ≤ 0), for an adult face whose jaw width between
// iBUG landmarks 0 and 16 is ModelFaceWidth. They were written for this
// package from the usual proportions of an adult head: the outer eye corners
// lie about 5 cm behind the nose tip, the mouth corners about 4 cm; the
// centre of the head, about which it turns, about 9.5 cm. The jaw line and
// temples (really 8–10 cm) are put a little forward, at 6–8.5 cm: a mesh
// this coarse folds into straight-edged cuts where a real cheek would hide
// the ear with a smooth contour.
const (
	ModelFaceWidth  = 135.0 // mm between landmarks 0 and 16
	ModelPivotDepth = -95.0 // mm, the head's centre of rotation
)

// landmarkDepth holds the depth of each of the 68 iBUG landmarks (index as in
// the iBUG 300-W annotation: 0–16 jaw, 17–26 brows, 27–35 nose, 36–47 eyes,
// 48–67 mouth).
var landmarkDepth = [68]float64{
	// jaw 0..16: from the right ear line (image left) round the chin
	-84, -80, -75, -68, -60, -50, -40, -31, -27, -31, -40, -50, -60, -68, -75, -80, -84,
	// right brow 17..21, left brow 22..26
	-56, -45, -38, -33, -31, -31, -33, -38, -45, -56,
	// nose bridge 27..30 (30 = tip), nostrils 31..35
	-30, -21, -11, 0, -21, -14, -11, -14, -21,
	// right eye 36..41 (36 outer corner, 39 inner)
	-52, -40, -38, -37, -39, -42,
	// left eye 42..47 (42 inner corner, 45 outer)
	-37, -38, -40, -52, -42, -39,
	// outer lips 48..59 (48, 54 corners)
	-40, -31, -25, -23, -25, -31, -40, -32, -27, -26, -27, -32,
	// inner lips 60..67
	-38, -27, -25, -27, -38, -28, -27, -28,
}

// LandmarkDepth is the model depth (mm, ≤ 0) of iBUG landmark i.
func LandmarkDepth(i int) float64 { return landmarkDepth[i] }

// faceAxes returns the face's unit x axis (toward the user's left, image
// right) and y axis (down the face).
func faceAxes(L Landmarks) (ex, ey Pt) {
	ex = unit2(sub(L[16], L[0]))
	ey = Pt{-ex.Y, ex.X}
	return
}

func add(a, b Pt) Pt           { return Pt{a.X + b.X, a.Y + b.Y} }
func sub(a, b Pt) Pt           { return Pt{a.X - b.X, a.Y - b.Y} }
func scale(a Pt, k float64) Pt { return Pt{a.X * k, a.Y * k} }
func mid(a, b Pt) Pt           { return Pt{(a.X + b.X) / 2, (a.Y + b.Y) / 2} }
func dist(a, b Pt) float64     { return math.Hypot(a.X-b.X, a.Y-b.Y) }
func unit2(a Pt) Pt            { return scale(a, 1/math.Hypot(a.X, a.Y)) }
func dot(a, b Vec3) float64    { return a.X*b.X + a.Y*b.Y + a.Z*b.Z }
func cross(a, b Vec3) Vec3     { return Vec3{a.Y*b.Z - a.Z*b.Y, a.Z*b.X - a.X*b.Z, a.X*b.Y - a.Y*b.X} }
func unit(a Vec3) Vec3 {
	l := math.Sqrt(dot(a, a))
	if l == 0 {
		return Vec3{0, 0, -1}
	}
	return Vec3{a.X / l, a.Y / l, a.Z / l}
}
