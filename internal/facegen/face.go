package facegen

import (
	"errors"
	"fmt"
	"image"
	"image/draw"
	"math"
	"sort"
)

// Landmarks are the 68 iBUG 300-W points of a face, in pixels of its photo.
type Landmarks [68]Pt

type vertKind uint8

const (
	vHead    vertKind = iota // moves with the head
	vNeck                    // follows the head partly
	vFixed                   // background: never moves
	vOutline                 // the head's outline: like a sphere's, it stays put as the head turns, but follows roll and sway
)

type vertex struct {
	p0    Pt       // neutral position in the frame
	z     float64  // model depth, mm toward the camera from the nose tip (≤ 0)
	kind  vertKind //
	eye   int      // 1: user's right eye, 2: user's left eye (lid and crease points)
	lid   float64  // share of the lid's closing movement this point makes
	close Pt       // displacement at full closure (frame pixels)
	mouth Pt       // displacement at full mouth opening (frame pixels)
	up    Pt       // upper lid: where the lid's skin is sampled from at full closure, relative to p0
	n     Vec3     // unit normal at neutral, facing the camera
}

const (
	triFace  = iota
	triEye   // inside an eye opening: drawn open, under the lids
	triMouth // inside the lips: painted as the mouth's interior
)

// Face is a photo prepared for rendering: its texture placed in the frame,
// the mesh and the 3D model. It is read-only once built, so one Face can
// render frames from several goroutines.
type Face struct {
	W, H    int
	cam     Camera
	tex     *rgbImage // the photo placed in the frame, with a margin around it
	off     float64   // frame (x, y) is tex (x+off, y+off)
	bg      *rgbImage // the neutral frame
	lm      Landmarks // landmarks in the frame
	wf      float64   // face width in the frame, px (landmarks 0–16)
	z0      float64   // distance of the nose tip, mm
	pivot   Vec3
	verts   []vertex
	tris    [][3]int
	triKind []uint8
	hair    []int // vertex indices of the hairline, for the face box
}

// minNoseDistance is the closest the camera comes to the nose tip, mm.
const minNoseDistance = 170

// FaceOptions place a photo in the frame.
type FaceOptions struct {
	Width, Height int     // frame size
	Scale         float64 // face width (landmarks 0–16) as a fraction of the frame width
}

// NewFace prepares photo, whose landmarks are lm, for rendering.
func NewFace(photo image.Image, lm Landmarks, o FaceOptions) (*Face, error) {
	if o.Width <= 0 || o.Height <= 0 {
		return nil, errors.New("facegen: bad frame size")
	}
	wfPhoto := dist(lm[0], lm[16])
	if wfPhoto < 20 {
		return nil, fmt.Errorf("facegen: face too small in the photo (%.0f px between landmarks 0 and 16)", wfPhoto)
	}
	f := &Face{W: o.Width, H: o.Height}
	f.wf = o.Scale * float64(o.Width)
	k := f.wf / wfPhoto
	_, ey := faceAxes(lm)
	brow := mid(lm[19], lm[24])
	top := add(brow, scale(ey, -0.35*wfPhoto))
	fc := mid(top, lm[8])
	center := Pt{float64(o.Width) / 2, float64(o.Height) / 2}
	toFrame := func(p Pt) Pt { return Pt{(p.X-fc.X)*k + center.X, (p.Y-fc.Y)*k + center.Y} }
	for i := range lm {
		f.lm[i] = toFrame(lm[i])
	}

	// Texture: the photo resampled into the frame plus a margin.
	margin := o.Width / 4
	f.off = float64(margin)
	f.tex = resample(photo, o.Width+2*margin, o.Height+2*margin, func(x, y float64) Pt {
		return Pt{(x-f.off-center.X)/k + fc.X, (y-f.off-center.Y)/k + fc.Y}
	}, 1/k)
	f.bg = newRGB(o.Width, o.Height)
	for y := 0; y < o.Height; y++ {
		copy(f.bg.Pix[3*y*o.Width:3*(y+1)*o.Width], f.tex.Pix[3*((y+margin)*f.tex.W+margin):])
	}

	// Camera: a 53° horizontal field of view, like a laptop webcam and like
	// the engine's own guess (gesture.GuessCamera). The distance follows
	// from the face's size: landmarks 0 and 16 are ModelFaceWidth apart.
	f.cam = Camera{F: float64(o.Width), Cx: center.X, Cy: center.Y}
	f.z0 = f.cam.F*ModelFaceWidth/f.wf + landmarkDepth[0]
	if f.z0 < minNoseDistance {
		// Closer than this, a photo taken from afar cannot stand in for
		// the near view: zoom in instead.
		f.z0 = minNoseDistance
		f.cam.F = (f.z0 - landmarkDepth[0]) * f.wf / ModelFaceWidth
	}
	f.buildMesh()
	return f, nil
}

// Landmarks returns the neutral landmarks in frame coordinates.
func (f *Face) Landmarks() Landmarks { return f.lm }

// Background returns the neutral frame as an RGBA image.
func (f *Face) Background() *image.RGBA { return f.bg.toRGBA() }

func (f *Face) addVert(v vertex) int {
	f.verts = append(f.verts, v)
	return len(f.verts) - 1
}

// buildMesh adds the points the 68 landmarks do not cover (forehead, skull,
// cheeks, lid creases, under the chin, neck, a fixed ring round the head and
// the frame's border), triangulates them and sets each point's movements.
func (f *Face) buildMesh() {
	L := f.lm
	wf := f.wf
	ex, ey := faceAxes(L)
	at := func(o Pt, a, b float64) Pt { return add(o, add(scale(ex, a*wf), scale(ey, b*wf))) }
	hc := mid(L[0], L[16])
	for i := 0; i < 68; i++ {
		f.addVert(vertex{p0: L[i], z: landmarkDepth[i]})
	}
	// Lids: the upper lid comes down onto the lower one.
	lids := [][3]int{{37, 41, 1}, {38, 40, 1}, {43, 47, 2}, {44, 46, 2}}
	for _, l := range lids {
		v := &f.verts[l[0]]
		v.eye, v.lid = l[2], 1
		v.close = scale(sub(L[l[1]], L[l[0]]), 1.12)
		// The lid's skin is sampled from above the lid's edge, so that a
		// predictor that put the edge a little low does not drag the
		// iris down with the lid.
		v.up = scale(sub(L[l[1]], L[l[0]]), -0.45)
	}
	// Lid creases, between lid and brow: they follow the lid a little so the
	// stretched skin stays smooth.
	creases := [][3]int{{37, 19, 1}, {38, 20, 1}, {43, 23, 2}, {44, 24, 2}, {36, 18, 1}, {39, 21, 1}, {42, 22, 2}, {45, 25, 2}}
	for _, c := range creases {
		p := add(L[c[0]], scale(sub(L[c[1]], L[c[0]]), 0.45))
		lid := 0.25
		var cl Pt
		switch c[0] {
		case 37, 38, 43, 44:
			cl = scale(f.verts[c[0]].close, lid)
		default:
			cl = scale(f.verts[37].close, 0.08)
		}
		f.addVert(vertex{p0: p, z: landmarkDepth[c[0]] + 3, eye: c[2], lid: lid, close: cl})
	}
	// Forehead just above the brows, then the hairline.
	for _, i := range []int{17, 19, 21, 22, 24, 26} {
		f.addVert(vertex{p0: add(L[i], scale(ey, -0.14*wf)), z: landmarkDepth[i] - 3})
	}
	brow := mid(L[19], L[24])
	var hair []int
	for _, a := range []float64{-0.44, -0.22, 0, 0.22, 0.44} {
		b := -0.34 + 0.14*(a/0.44)*(a/0.44)
		z := -40 - 24*(a/0.44)*(a/0.44)
		hair = append(hair, f.addVert(vertex{p0: at(brow, a, b), z: z}))
	}
	f.hair = hair
	// Skull outline (the head's silhouette) and crown.
	for _, deg := range []float64{0, 25, 50, 75, 90, 105, 130, 155, 180} {
		r := deg * math.Pi / 180
		f.addVert(vertex{p0: at(hc, 0.57*math.Cos(r), -0.98*math.Sin(r)), z: -95, kind: vOutline})
	}
	for _, deg := range []float64{40, 90, 140} {
		r := deg * math.Pi / 180
		f.addVert(vertex{p0: at(hc, 0.42*math.Cos(r), -0.72*math.Sin(r)), z: -68})
	}
	// Behind the jaw: ear lobes and the sides of the neck.
	for _, s := range []float64{-1, 1} {
		f.addVert(vertex{p0: at(hc, 0.57*s, 0.22), z: -95, kind: vOutline})
		f.addVert(vertex{p0: at(hc, 0.50*s, 0.50), z: -92, kind: vNeck})
	}
	// Cheeks.
	mw := dist(L[48], L[54])
	gap := 0.38 * mw
	for _, c := range [][3]int{{2, 31, 0}, {14, 35, 0}, {4, 48, 1}, {12, 54, 1}, {1, 41, 0}, {15, 46, 0}} {
		p := mid(L[c[0]], L[c[1]])
		v := vertex{p0: p, z: (landmarkDepth[c[0]]+landmarkDepth[c[1]])/2 - 6}
		if c[2] == 1 {
			v.mouth = scale(ey, 0.3*gap)
		}
		f.addVert(v)
	}
	// Under the chin (moves with the head) and the neck (follows partly).
	f.addVert(vertex{p0: add(L[8], scale(ey, 0.12*wf)), z: -50, mouth: scale(ey, 0.65*gap)})
	f.addVert(vertex{p0: add(L[6], scale(ey, 0.10*wf)), z: -60, mouth: scale(ey, 0.45*gap)})
	f.addVert(vertex{p0: add(L[10], scale(ey, 0.10*wf)), z: -60, mouth: scale(ey, 0.45*gap)})
	for _, a := range []float64{-0.5, -0.25, 0, 0.25, 0.5} {
		f.addVert(vertex{p0: at(L[8], a, 0.36), z: -80, kind: vNeck, mouth: scale(ey, 0.15*gap)})
	}
	// Fixed ring round the head, then the frame's border (with the margin).
	for i := 0; i < 20; i++ {
		r := float64(i) * 2 * math.Pi / 20
		f.addVert(vertex{p0: at(hc, 0.88*math.Cos(r), 0.2+1.35*math.Sin(r)), kind: vFixed})
	}
	m := f.off
	W, H := float64(f.W), float64(f.H)
	for i := 0; i < 8; i++ {
		t := float64(i) / 8
		f.addVert(vertex{p0: Pt{-m + t*(W+2*m), -m}, kind: vFixed})
		f.addVert(vertex{p0: Pt{W + m, -m + t*(H+2*m)}, kind: vFixed})
		f.addVert(vertex{p0: Pt{W + m - t*(W+2*m), H + m}, kind: vFixed})
		f.addVert(vertex{p0: Pt{-m, H + m - t*(H+2*m)}, kind: vFixed})
	}

	// The mouth opens: lower lip, chin and jaw move down, the corners in.
	mouthW := map[int]float64{
		65: 1, 66: 1, 67: 1, 56: 1, 57: 1, 58: 1, 55: 0.85, 59: 0.85,
		60: 0.45, 64: 0.45, 48: 0.35, 54: 0.35,
		61: -0.04, 62: -0.04, 63: -0.04, 50: -0.03, 51: -0.03, 52: -0.03,
		8: 0.8, 7: 0.75, 9: 0.75, 6: 0.6, 10: 0.6, 5: 0.42, 11: 0.42, 4: 0.22, 12: 0.22, 3: 0.08, 13: 0.08,
	}
	for i, w := range mouthW {
		f.verts[i].mouth = scale(ey, w*gap)
	}
	f.verts[48].mouth = add(f.verts[48].mouth, scale(ex, 0.07*mw))
	f.verts[54].mouth = add(f.verts[54].mouth, scale(ex, -0.07*mw))
	f.verts[60].mouth = add(f.verts[60].mouth, scale(ex, 0.05*mw))
	f.verts[64].mouth = add(f.verts[64].mouth, scale(ex, -0.05*mw))
	// Lower lids rise a little when the eyes close.
	for _, l := range [][3]int{{41, 37, 1}, {40, 38, 1}, {47, 43, 2}, {46, 44, 2}} {
		v := &f.verts[l[0]]
		v.eye, v.lid = l[2], 1
		v.close = scale(sub(L[l[1]], L[l[0]]), 0.04)
	}

	// Triangulate with the mouth open and the eyes open, so the mesh follows
	// the lips' and lids' edges.
	pts := make([]Pt, len(f.verts))
	for i, v := range f.verts {
		pts[i] = add(v.p0, v.mouth)
	}
	f.tris = delaunay(pts)
	f.triKind = make([]uint8, len(f.tris))
	inSet := func(t [3]int, lo, hi int) bool {
		return t[0] >= lo && t[0] <= hi && t[1] >= lo && t[1] <= hi && t[2] >= lo && t[2] <= hi
	}
	for i, t := range f.tris {
		switch {
		case inSet(t, 36, 41) || inSet(t, 42, 47):
			f.triKind[i] = triEye
		case inSet(t, 60, 67):
			f.triKind[i] = triMouth
		}
	}

	// Camera-space model and normals.
	f.pivot = f.cam.Unproject(add(hc, scale(ey, 0.1*wf)), f.z0-ModelPivotDepth)
	v3 := make([]Vec3, len(f.verts))
	for i, v := range f.verts {
		v3[i] = f.cam.Unproject(v.p0, f.z0-v.z)
	}
	for _, t := range f.tris {
		a, b, c := v3[t[0]], v3[t[1]], v3[t[2]]
		n := cross(b.Sub(a), c.Sub(a))
		if n.Z > 0 {
			n = Vec3{-n.X, -n.Y, -n.Z}
		}
		for _, i := range t {
			f.verts[i].n = f.verts[i].n.Add(n)
		}
	}
	for i := range f.verts {
		f.verts[i].n = unit(f.verts[i].n)
	}
}

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

// holeColor fills the canvas before drawing when renderer.holes is set: a
// test then finds any pixel the mesh left uncovered.
var holeColor = [3]uint8{255, 0, 255}

// renderer holds per-goroutine scratch buffers.
type renderer struct {
	holes bool // test mode: start from holeColor and draw every triangle
	ps    pose
	folds []int // triangles culled in the last frame: where the surface folds
	soft  []uint8
	order []int
	keys  []float64
}

// render draws the face in state s into dst (W×H).
func (f *Face) render(r *renderer, s State, dst *rgbImage) {
	if r.holes {
		for i := 0; i < len(dst.Pix); i += 3 {
			dst.Pix[i], dst.Pix[i+1], dst.Pix[i+2] = holeColor[0], holeColor[1], holeColor[2]
		}
	} else {
		copy(dst.Pix, f.bg.Pix)
	}
	f.pose(s, &r.ps)
	ps := &r.ps
	r.order = r.order[:0]
	r.keys = r.keys[:0]
	for i, t := range f.tris {
		if !r.holes && !ps.moved[t[0]] && !ps.moved[t[1]] && !ps.moved[t[2]] && ps.shade[t[0]] == 1 && ps.shade[t[1]] == 1 && ps.shade[t[2]] == 1 {
			continue
		}
		// Background first, then the band round the head (it holds the
		// outline, which stays put and so has no depth of its own), then
		// the head from far to near.
		d := (ps.depth[t[0]] + ps.depth[t[1]] + ps.depth[t[2]]) / 3
		kinds := [3]vertKind{f.verts[t[0]].kind, f.verts[t[1]].kind, f.verts[t[2]].kind}
		switch {
		case kinds[0] == vFixed || kinds[1] == vFixed || kinds[2] == vFixed:
			d = 1e9
		case kinds[0] == vOutline || kinds[1] == vOutline || kinds[2] == vOutline:
			d = 1e8
		}
		if f.triKind[i] == triEye {
			d += 8
		}
		r.order = append(r.order, i)
		r.keys = append(r.keys, d)
	}
	r.folds = r.folds[:0]
	idx := make([]int, len(r.order))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return r.keys[idx[a]] > r.keys[idx[b]] })
	for _, k := range idx {
		ti := r.order[k]
		t := f.tris[ti]
		src := [3]Pt{}
		d := [3]Pt{}
		sh := [3]float64{}
		if f.triKind[ti] != triEye && facingAway(ps.dst[t[0]], ps.dst[t[1]], ps.dst[t[2]]) {
			// Turned away from the camera: hidden behind the parts in
			// front of it, which cover its place.
			r.folds = append(r.folds, ti)
			continue
		}
		for j, vi := range t {
			if f.triKind[ti] == triEye {
				d[j] = ps.open[vi]
				src[j] = Pt{f.verts[vi].p0.X + f.off, f.verts[vi].p0.Y + f.off}
			} else {
				d[j] = ps.dst[vi]
				src[j] = Pt{ps.src[vi].X + f.off, ps.src[vi].Y + f.off}
			}
			sh[j] = ps.shade[vi]
		}
		warpTriangle(dst, f.tex, d, src, sh)
	}
	f.softenFolds(r, dst)
	if s.Mouth > 0.01 {
		f.paintMouth(ps, dst)
	}
	// Lashes along a closing lid.
	for k, open := range [2]float64{s.RightEye, s.LeftEye} {
		if open > 0.6 {
			continue
		}
		a := math.Min(1, (0.6-open)/0.4) * 0.55
		e := 36 + 6*k
		lid := []Pt{ps.dst[e], ps.dst[e+1], ps.dst[e+2], ps.dst[e+3]}
		th := math.Max(1, 0.006*f.wf)
		for j := 0; j+1 < len(lid); j++ {
			drawLine(dst, lid[j], lid[j+1], th, [3]float64{45, 32, 30}, a)
		}
	}
}

// softenFolds blurs a narrow strip along the edges where the surface folds
// away from the camera (a far cheek, the side of the nose): there the photo's
// texture ends against texture from elsewhere, and a real contour is seen
// slightly soft.
func (f *Face) softenFolds(r *renderer, dst *rgbImage) {
	if len(r.folds) == 0 {
		return
	}
	if len(r.soft) != len(dst.Pix) {
		r.soft = make([]uint8, len(dst.Pix))
	}
	copy(r.soft, dst.Pix)
	ps := &r.ps
	rad := math.Max(1.2, 0.006*f.wf)
	for _, ti := range r.folds {
		t := f.tris[ti]
		for j := 0; j < 3; j++ {
			a, b := ps.dst[t[j]], ps.dst[t[(j+1)%3]]
			x0, x1 := int(math.Floor(math.Min(a.X, b.X)-rad)), int(math.Ceil(math.Max(a.X, b.X)+rad))
			y0, y1 := int(math.Floor(math.Min(a.Y, b.Y)-rad)), int(math.Ceil(math.Max(a.Y, b.Y)+rad))
			dx, dy := b.X-a.X, b.Y-a.Y
			l2 := dx*dx + dy*dy
			for y := max(y0, 2); y <= min(y1, dst.H-3); y++ {
				for x := max(x0, 2); x <= min(x1, dst.W-3); x++ {
					px, py := float64(x)-a.X, float64(y)-a.Y
					u := 0.0
					if l2 > 0 {
						u = math.Max(0, math.Min(1, (px*dx+py*dy)/l2))
					}
					if math.Hypot(px-u*dx, py-u*dy) > rad {
						continue
					}
					for c := 0; c < 3; c++ {
						sum := 0
						for yy := -2; yy <= 2; yy++ {
							o := 3*((y+yy)*dst.W+x-2) + c
							sum += int(r.soft[o]) + int(r.soft[o+3]) + int(r.soft[o+6]) + int(r.soft[o+9]) + int(r.soft[o+12])
						}
						dst.Pix[3*(y*dst.W+x)+c] = uint8((sum + 12) / 25)
					}
				}
			}
		}
	}
}

// facingAway reports whether a triangle, counter-clockwise (in image
// coordinates) at rest, has turned its back to the camera.
func facingAway(a, b, c Pt) bool {
	return (b.X-a.X)*(c.Y-a.Y)-(b.Y-a.Y)*(c.X-a.X) < 0
}

// paintMouth fills the opening between the inner lips: dark throat, a band of
// upper teeth and the tongue's tip at the bottom.
func (f *Face) paintMouth(ps *pose, dst *rgbImage) {
	poly := make([]Pt, 8)
	for i := 0; i < 8; i++ {
		poly[i] = ps.dst[60+i]
	}
	upper := []Pt{ps.dst[60], ps.dst[61], ps.dst[62], ps.dst[63], ps.dst[64]}
	lower := []Pt{ps.dst[60], ps.dst[67], ps.dst[66], ps.dst[65], ps.dst[64]}
	x0, x1 := ps.dst[60].X, ps.dst[64].X
	if x1 < x0 {
		x0, x1 = x1, x0
	}
	mw := dist(ps.dst[48], ps.dst[54])
	teeth := 0.11 * mw * math.Min(1, ps.mouthO*2.5)
	shade := (ps.shade[62] + ps.shade[66]) / 2
	fillPolygon(poly, dst.W, dst.H, func(x, y int) {
		fx, fy := float64(x), float64(y)
		yu, yl := polyY(upper, fx), polyY(lower, fx)
		h := math.Max(yl-yu, 1)
		u := (fx - x0) / math.Max(x1-x0, 1) // 0..1 across
		edge := math.Min(u, 1-u)
		v := (fy - yu) / h // 0 at the upper lip, 1 at the lower
		// Throat: dark red, darkest at the back (the middle).
		r2 := ((u-0.5)/0.5)*((u-0.5)/0.5) + ((v-0.45)/0.6)*((v-0.45)/0.6)
		k := 0.35 + 0.65*math.Min(1, r2)
		c := [3]float64{70 * k, 22 * k, 26 * k}
		// Tongue: a rounded hump rising from the lower lip.
		tx, ty := (u-0.5)/0.36, (v-1.05)/0.42
		if d := tx*tx + ty*ty; d < 1 {
			t := 0.55 + 0.45*(1-d)
			c = [3]float64{150 * t, 62 * t, 68 * t}
		}
		// Upper teeth, only where the opening is wide enough, fading
		// toward the corners.
		th := teeth * ease((edge-0.18)/0.2)
		if fy-yu < th && h > 1.5*th {
			gapk := 0.9 + 0.1*math.Abs(math.Cos(math.Pi*u*7))
			tip := 1 - 0.3*ease(((fy-yu)/th-0.55)/0.45)
			k := (0.7 + 0.3*ease((edge-0.18)/0.3)) * gapk * tip
			c = [3]float64{212 * k, 203 * k, 188 * k}
		}
		o := 3 * (y*dst.W + x)
		for j := 0; j < 3; j++ {
			dst.Pix[o+j] = uint8(math.Max(0, math.Min(255, c[j]*shade)))
		}
	})
}

// polyY interpolates the y of a polyline at x.
func polyY(pl []Pt, x float64) float64 {
	if pl[0].X > pl[len(pl)-1].X {
		r := make([]Pt, len(pl))
		for i := range pl {
			r[i] = pl[len(pl)-1-i]
		}
		pl = r
	}
	if x <= pl[0].X {
		return pl[0].Y
	}
	for i := 1; i < len(pl); i++ {
		if x <= pl[i].X {
			a, b := pl[i-1], pl[i]
			if b.X-a.X < 1e-9 {
				return b.Y
			}
			return a.Y + (x-a.X)/(b.X-a.X)*(b.Y-a.Y)
		}
	}
	return pl[len(pl)-1].Y
}

// resample draws the photo into a w×h RGB image; at maps an output pixel to
// a photo position. When the photo is shrunk by more than 1.5, it is first
// box-filtered so that fine detail does not alias.
func resample(photo image.Image, w, h int, at func(x, y float64) Pt, shrink float64) *rgbImage {
	b := photo.Bounds()
	src := toRGB(photo)
	n := 1
	if shrink > 1.5 {
		n = int(shrink)
		src = boxDown(src, n)
	}
	out := newRGB(w, h)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			p := at(float64(x), float64(y))
			sx := (p.X-float64(b.Min.X)+0.5)/float64(n) - 0.5
			sy := (p.Y-float64(b.Min.Y)+0.5)/float64(n) - 0.5
			r, g, bb := src.sample(sx, sy)
			o := 3 * (y*w + x)
			out.Pix[o], out.Pix[o+1], out.Pix[o+2] = clamp8(r), clamp8(g), clamp8(bb)
		}
	}
	return out
}

func toRGB(img image.Image) *rgbImage {
	b := img.Bounds()
	rgba := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(rgba, rgba.Bounds(), img, b.Min, draw.Src)
	out := newRGB(b.Dx(), b.Dy())
	for i := 0; i < b.Dx()*b.Dy(); i++ {
		copy(out.Pix[3*i:3*i+3], rgba.Pix[4*i:4*i+3])
	}
	return out
}

func boxDown(src *rgbImage, n int) *rgbImage {
	w, h := src.W/n, src.H/n
	out := newRGB(w, h)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			var s [3]int
			for yy := 0; yy < n; yy++ {
				o := 3 * ((y*n+yy)*src.W + x*n)
				for xx := 0; xx < n; xx++ {
					s[0] += int(src.Pix[o])
					s[1] += int(src.Pix[o+1])
					s[2] += int(src.Pix[o+2])
					o += 3
				}
			}
			o := 3 * (y*w + x)
			for c := 0; c < 3; c++ {
				out.Pix[o+c] = uint8(s[c] / (n * n))
			}
		}
	}
	return out
}

func (im *rgbImage) toRGBA() *image.RGBA {
	out := image.NewRGBA(image.Rect(0, 0, im.W, im.H))
	for i := 0; i < im.W*im.H; i++ {
		copy(out.Pix[4*i:4*i+3], im.Pix[3*i:3*i+3])
		out.Pix[4*i+3] = 255
	}
	return out
}

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
