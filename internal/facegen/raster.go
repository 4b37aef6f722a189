package facegen

import (
	"math"
	"sort"
)

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
