package facegen

import (
	"math"
)

// State is what the head does in one frame.
type State struct {
	Yaw, Pitch, Roll  float64 // degrees, see the package comment
	TX, TY            float64 // head translation, mm (sway)
	LeftEye, RightEye float64 // openness of the user's left and right eye, 0..1
	Mouth             float64 // mouth opening, 0..1
}

// Neutral is the rest state: facing the camera, eyes open, mouth closed.
var Neutral = State{LeftEye: 1, RightEye: 1}

// light comes from the camera and a little above.
var light = unit(Vec3{0, -0.35, -1})

// pose holds the projected mesh of one frame.
type pose struct {
	dst    []Pt
	src    []Pt // where each vertex samples the photo (frame px)
	open   []Pt // with the eyes open, for the eye openings
	depth  []float64
	shade  []float64
	moved  []bool
	neckR  Mat3
	headR  Mat3
	rollR  Mat3
	headT  Vec3
	neckT  Vec3
	mouthO float64
}

func (f *Face) place(p Pt, z float64, kind vertKind, ps *pose) (Pt, float64) {
	if kind == vFixed {
		return p, math.Inf(1)
	}
	v := f.cam.Unproject(p, f.z0-z)
	R, T := ps.headR, ps.headT
	switch kind {
	case vNeck:
		R, T = ps.neckR, ps.neckT
	case vOutline:
		R = ps.rollR
	}
	w := RotateAbout(R, f.pivot, v).Add(T)
	return f.cam.Project(w), w.Z
}

func (f *Face) pose(s State, ps *pose) {
	n := len(f.verts)
	if len(ps.dst) != n {
		ps.dst, ps.open, ps.src = make([]Pt, n), make([]Pt, n), make([]Pt, n)
		ps.depth, ps.shade, ps.moved = make([]float64, n), make([]float64, n), make([]bool, n)
	}
	ps.headR = HeadRotation(s.Yaw, s.Pitch, s.Roll)
	ps.rollR = HeadRotation(0, 0, s.Roll)
	ps.neckR = HeadRotation(0.3*s.Yaw, 0.3*s.Pitch, 0.3*s.Roll)
	ps.headT = Vec3{s.TX, s.TY, 0}
	ps.neckT = ps.headT
	ps.mouthO = s.Mouth
	for i, v := range f.verts {
		p := add(v.p0, scale(v.mouth, s.Mouth))
		open := p
		ps.src[i] = v.p0
		switch v.eye {
		case 1:
			p = add(p, scale(v.close, 1-s.RightEye))
			ps.src[i] = add(v.p0, scale(v.up, 1-s.RightEye))
		case 2:
			p = add(p, scale(v.close, 1-s.LeftEye))
			ps.src[i] = add(v.p0, scale(v.up, 1-s.LeftEye))
		}
		ps.dst[i], ps.depth[i] = f.place(p, v.z, v.kind, ps)
		ps.open[i] = ps.dst[i]
		if v.eye != 0 {
			ps.open[i], _ = f.place(open, v.z, v.kind, ps)
		}
		ps.moved[i] = math.Abs(ps.dst[i].X-v.p0.X) > 1e-4 || math.Abs(ps.dst[i].Y-v.p0.Y) > 1e-4
		ps.shade[i] = 1
		if v.kind != vFixed && v.kind != vOutline {
			R := ps.headR
			if v.kind == vNeck {
				R = ps.neckR
			}
			n0 := -dot(v.n, light)
			n1 := -dot(R.Apply(v.n), light)
			if n0 > 0.15 {
				r := n1 / n0
				r = 1 + 0.75*(r-1)
				ps.shade[i] = math.Max(0.55, math.Min(1.2, r))
			}
		}
	}
}
