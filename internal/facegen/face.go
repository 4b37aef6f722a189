package facegen

import (
	"errors"
	"fmt"
	"image"
	"math"
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
