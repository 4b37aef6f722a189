package facegen

import (
	"math"
	"sort"
)

// delaunay triangulates pts with the Bowyer–Watson algorithm and returns
// counter-clockwise (in image coordinates, y down: clockwise on screen)
// triangles as index triples. The result depends only on the input order, so
// it is deterministic.
func delaunay(pts []Pt) [][3]int {
	n := len(pts)
	minX, minY, maxX, maxY := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	for _, p := range pts {
		minX, minY = math.Min(minX, p.X), math.Min(minY, p.Y)
		maxX, maxY = math.Max(maxX, p.X), math.Max(maxY, p.Y)
	}
	d := math.Max(maxX-minX, maxY-minY) * 20
	cx, cy := (minX+maxX)/2, (minY+maxY)/2
	all := append(append([]Pt{}, pts...), Pt{cx - d, cy - d}, Pt{cx + d, cy - d}, Pt{cx, cy + d})
	type tri struct {
		a, b, c int
		ox, oy  float64 // circumcentre
		r2      float64
		bad     bool
	}
	mk := func(a, b, c int) tri {
		A, B, C := all[a], all[b], all[c]
		dd := 2 * (A.X*(B.Y-C.Y) + B.X*(C.Y-A.Y) + C.X*(A.Y-B.Y))
		a2, b2, c2 := A.X*A.X+A.Y*A.Y, B.X*B.X+B.Y*B.Y, C.X*C.X+C.Y*C.Y
		ox := (a2*(B.Y-C.Y) + b2*(C.Y-A.Y) + c2*(A.Y-B.Y)) / dd
		oy := (a2*(C.X-B.X) + b2*(A.X-C.X) + c2*(B.X-A.X)) / dd
		return tri{a: a, b: b, c: c, ox: ox, oy: oy, r2: (A.X-ox)*(A.X-ox) + (A.Y-oy)*(A.Y-oy)}
	}
	tris := []tri{mk(n, n+1, n+2)}
	type edge struct{ a, b int }
	for i := 0; i < n; i++ {
		p := all[i]
		var poly []edge
		count := map[edge]int{}
		for k := range tris {
			t := &tris[k]
			dx, dy := p.X-t.ox, p.Y-t.oy
			if dx*dx+dy*dy < t.r2*(1+1e-12) {
				t.bad = true
				for _, e := range []edge{{t.a, t.b}, {t.b, t.c}, {t.c, t.a}} {
					key := e
					if key.a > key.b {
						key = edge{e.b, e.a}
					}
					count[key]++
					poly = append(poly, e)
				}
			}
		}
		kept := tris[:0]
		for _, t := range tris {
			if !t.bad {
				kept = append(kept, t)
			}
		}
		tris = kept
		for _, e := range poly {
			key := e
			if key.a > key.b {
				key = edge{e.b, e.a}
			}
			if count[key] == 1 {
				tris = append(tris, mk(e.a, e.b, i))
			}
		}
	}
	var out [][3]int
	for _, t := range tris {
		if t.a >= n || t.b >= n || t.c >= n {
			continue
		}
		A, B, C := all[t.a], all[t.b], all[t.c]
		if (B.X-A.X)*(C.Y-A.Y)-(B.Y-A.Y)*(C.X-A.X) < 0 {
			t.b, t.c = t.c, t.b
		}
		out = append(out, [3]int{t.a, t.b, t.c})
	}
	sort.Slice(out, func(i, j int) bool {
		for k := 0; k < 3; k++ {
			if out[i][k] != out[j][k] {
				return out[i][k] < out[j][k]
			}
		}
		return false
	})
	return out
}

// rgbImage is a packed 8-bit RGB picture.
type rgbImage struct {
	W, H int
	Pix  []uint8 // 3 bytes per pixel, rows of 3*W
}

func newRGB(w, h int) *rgbImage { return &rgbImage{W: w, H: h, Pix: make([]uint8, 3*w*h)} }

// sample returns the bilinear sample at (x, y), clamped to the edges.
func (im *rgbImage) sample(x, y float64) (r, g, b int32) {
	if x < 0 {
		x = 0
	}
	if y < 0 {
		y = 0
	}
	mx, my := float64(im.W-1), float64(im.H-1)
	if x > mx {
		x = mx
	}
	if y > my {
		y = my
	}
	ix, iy := int(x), int(y)
	fx, fy := int32((x-float64(ix))*256), int32((y-float64(iy))*256)
	dx, dy := 3, 3*im.W
	if ix >= im.W-1 {
		dx = 0
	}
	if iy >= im.H-1 {
		dy = 0
	}
	o := 3 * (iy*im.W + ix)
	p := im.Pix
	for c := 0; c < 3; c++ {
		a := int32(p[o+c])*(256-fx) + int32(p[o+dx+c])*fx
		bb := int32(p[o+dy+c])*(256-fx) + int32(p[o+dy+dx+c])*fx
		v := (a*(256-fy) + bb*fy + 1<<15) >> 16
		switch c {
		case 0:
			r = v
		case 1:
			g = v
		default:
			b = v
		}
	}
	return
}

// warpTriangle draws the destination triangle d (frame pixels) into dst,
// sampling src at the matching point of triangle s (affine map), with the
// brightness factors shade (1 = unchanged) interpolated across it. Pixels
// on shared edges are drawn by both neighbours, so meshes have no seams.
func warpTriangle(dst, src *rgbImage, d, s [3]Pt, shade [3]float64) {
	det := (d[1].X-d[0].X)*(d[2].Y-d[0].Y) - (d[1].Y-d[0].Y)*(d[2].X-d[0].X)
	if math.Abs(det) < 1e-9 {
		return
	}
	minX := int(math.Floor(math.Min(d[0].X, math.Min(d[1].X, d[2].X))))
	maxX := int(math.Ceil(math.Max(d[0].X, math.Max(d[1].X, d[2].X))))
	minY := int(math.Floor(math.Min(d[0].Y, math.Min(d[1].Y, d[2].Y))))
	maxY := int(math.Ceil(math.Max(d[0].Y, math.Max(d[1].Y, d[2].Y))))
	if minX < 0 {
		minX = 0
	}
	if minY < 0 {
		minY = 0
	}
	if maxX > dst.W-1 {
		maxX = dst.W - 1
	}
	if maxY > dst.H-1 {
		maxY = dst.H - 1
	}
	if minX > maxX || minY > maxY {
		return
	}
	// Barycentric coordinates as affine functions of (x, y).
	inv := 1 / det
	// l1 = ((x-x0)*(y2-y0) - (y-y0)*(x2-x0)) / det ; l2 = ((y-y0)*(x1-x0) - (x-x0)*(y1-y0)) / det
	a1x, a1y := (d[2].Y-d[0].Y)*inv, -(d[2].X-d[0].X)*inv
	a2x, a2y := -(d[1].Y-d[0].Y)*inv, (d[1].X-d[0].X)*inv
	const eps = -1e-6
	flat := shade[0] == 1 && shade[1] == 1 && shade[2] == 1
	for y := minY; y <= maxY; y++ {
		fy := float64(y) - d[0].Y
		fx0 := float64(minX) - d[0].X
		l1 := fx0*a1x + fy*a1y
		l2 := fx0*a2x + fy*a2y
		row := dst.Pix[3*(y*dst.W):]
		for x := minX; x <= maxX; x, l1, l2 = x+1, l1+a1x, l2+a2x {
			l0 := 1 - l1 - l2
			if l0 < eps || l1 < eps || l2 < eps {
				continue
			}
			sx := l0*s[0].X + l1*s[1].X + l2*s[2].X
			sy := l0*s[0].Y + l1*s[1].Y + l2*s[2].Y
			r, g, b := src.sample(sx, sy)
			if !flat {
				k := int32((l0*shade[0] + l1*shade[1] + l2*shade[2]) * 256)
				r, g, b = r*k>>8, g*k>>8, b*k>>8
			}
			o := 3 * x
			row[o], row[o+1], row[o+2] = clamp8(r), clamp8(g), clamp8(b)
		}
	}
}

func clamp8(v int32) uint8 {
	if v < 0 {
		return 0
	}
	if v > 255 {
		return 255
	}
	return uint8(v)
}

// fillPolygon calls fn for every pixel centre inside the polygon (even–odd
// rule), clipped to w×h.
func fillPolygon(poly []Pt, w, h int, fn func(x, y int)) {
	minY, maxY := math.Inf(1), math.Inf(-1)
	for _, p := range poly {
		minY, maxY = math.Min(minY, p.Y), math.Max(maxY, p.Y)
	}
	y0, y1 := int(math.Ceil(minY)), int(math.Floor(maxY))
	if y0 < 0 {
		y0 = 0
	}
	if y1 > h-1 {
		y1 = h - 1
	}
	xs := make([]float64, 0, 8)
	for y := y0; y <= y1; y++ {
		fy := float64(y)
		xs = xs[:0]
		for i := range poly {
			a, b := poly[i], poly[(i+1)%len(poly)]
			if (a.Y <= fy && b.Y > fy) || (b.Y <= fy && a.Y > fy) {
				xs = append(xs, a.X+(fy-a.Y)/(b.Y-a.Y)*(b.X-a.X))
			}
		}
		sort.Float64s(xs)
		for i := 0; i+1 < len(xs); i += 2 {
			xa, xb := int(math.Ceil(xs[i])), int(math.Floor(xs[i+1]))
			if xa < 0 {
				xa = 0
			}
			if xb > w-1 {
				xb = w - 1
			}
			for x := xa; x <= xb; x++ {
				fn(x, y)
			}
		}
	}
}
