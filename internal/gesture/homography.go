package gesture

import "math"

// Homography is a 3×3 projective map of the image plane, row major.
type Homography [9]float64

// Apply maps p through h.
func (h *Homography) Apply(p Point) Point {
	x, y := float64(p.X), float64(p.Y)
	w := h[6]*x + h[7]*y + h[8]
	return Point{X: float32((h[0]*x + h[1]*y + h[2]) / w), Y: float32((h[3]*x + h[4]*y + h[5]) / w)}
}

// normalizer is Hartley's conditioning: centroid to the origin, mean
// distance √2.
type normalizer struct{ cx, cy, s float64 }

func newNormalizer(lm *Landmarks, idx []int) normalizer {
	var n normalizer
	for _, k := range idx {
		n.cx += float64(lm[k].X)
		n.cy += float64(lm[k].Y)
	}
	n.cx /= float64(len(idx))
	n.cy /= float64(len(idx))
	var d float64
	for _, k := range idx {
		d += math.Hypot(float64(lm[k].X)-n.cx, float64(lm[k].Y)-n.cy)
	}
	d /= float64(len(idx))
	if d < 1e-9 {
		d = 1
	}
	n.s = math.Sqrt2 / d
	return n
}

// FitHomography fits, by the normalised direct linear transform (algebraic
// least squares over all points), the homography that maps the points idx
// of src onto those of dst. It does not allocate.
func FitHomography(src, dst *Landmarks, idx []int) Homography {
	ns, nd := newNormalizer(src, idx), newNormalizer(dst, idx)
	var ata [9][9]float64
	for _, k := range idx {
		x := (float64(src[k].X) - ns.cx) * ns.s
		y := (float64(src[k].Y) - ns.cy) * ns.s
		u := (float64(dst[k].X) - nd.cx) * nd.s
		v := (float64(dst[k].Y) - nd.cy) * nd.s
		r1 := [9]float64{-x, -y, -1, 0, 0, 0, u * x, u * y, u}
		r2 := [9]float64{0, 0, 0, -x, -y, -1, v * x, v * y, v}
		for i := 0; i < 9; i++ {
			for j := i; j < 9; j++ {
				ata[i][j] += r1[i]*r1[j] + r2[i]*r2[j]
			}
		}
	}
	for i := 0; i < 9; i++ {
		for j := 0; j < i; j++ {
			ata[i][j] = ata[j][i]
		}
	}
	hn := smallestEigenvector(&ata)
	// H = Td⁻¹ · Hn · Ts
	ts := mat3{{ns.s, 0, -ns.s * ns.cx}, {0, ns.s, -ns.s * ns.cy}, {0, 0, 1}}
	tdi := mat3{{1 / nd.s, 0, nd.cx}, {0, 1 / nd.s, nd.cy}, {0, 0, 1}}
	hm := mat3{{hn[0], hn[1], hn[2]}, {hn[3], hn[4], hn[5]}, {hn[6], hn[7], hn[8]}}
	a := hm.mul(&ts)
	h := tdi.mul(&a)
	var out Homography
	s := h[2][2]
	if math.Abs(s) < 1e-12 {
		s = 1
	}
	for i := 0; i < 3; i++ {
		for j := 0; j < 3; j++ {
			out[i*3+j] = h[i][j] / s
		}
	}
	return out
}

// smallestEigenvector returns the unit eigenvector of the symmetric matrix a
// with the smallest eigenvalue, by cyclic Jacobi rotations.
func smallestEigenvector(a *[9][9]float64) [9]float64 {
	const n = 9
	m := *a
	var v [9][9]float64
	for i := 0; i < n; i++ {
		v[i][i] = 1
	}
	for sweep := 0; sweep < 50; sweep++ {
		var off float64
		for p := 0; p < n; p++ {
			for q := p + 1; q < n; q++ {
				off += m[p][q] * m[p][q]
			}
		}
		if off < 1e-22 {
			break
		}
		for p := 0; p < n; p++ {
			for q := p + 1; q < n; q++ {
				if math.Abs(m[p][q]) < 1e-300 {
					continue
				}
				theta := (m[q][q] - m[p][p]) / (2 * m[p][q])
				t := 1 / (math.Abs(theta) + math.Sqrt(theta*theta+1))
				if theta < 0 {
					t = -t
				}
				c := 1 / math.Sqrt(t*t+1)
				s := t * c
				for k := 0; k < n; k++ {
					mkp, mkq := m[k][p], m[k][q]
					m[k][p] = c*mkp - s*mkq
					m[k][q] = s*mkp + c*mkq
				}
				for k := 0; k < n; k++ {
					mpk, mqk := m[p][k], m[q][k]
					m[p][k] = c*mpk - s*mqk
					m[q][k] = s*mpk + c*mqk
				}
				for k := 0; k < n; k++ {
					vkp, vkq := v[k][p], v[k][q]
					v[k][p] = c*vkp - s*vkq
					v[k][q] = s*vkp + c*vkq
				}
			}
		}
	}
	best := 0
	for i := 1; i < n; i++ {
		if m[i][i] < m[best][best] {
			best = i
		}
	}
	var e [9]float64
	for k := 0; k < n; k++ {
		e[k] = v[k][best]
	}
	return e
}

// PlanarResidual fits a homography from the neutral landmarks to the moved
// ones and returns the RMS transfer error over the fitted points divided by
// the moved face's inter-ocular distance. A flat picture turned or tilted in
// front of the camera moves exactly by a homography (residual ≈ landmark
// noise); a real head turning shows parallax between the nose, the eyes and
// the cheeks, which no homography explains (residual clearly larger).
func PlanarResidual(neutral, moved *Landmarks) float64 {
	idx := planarIdx[:]
	h := FitHomography(neutral, moved, idx)
	var s float64
	for _, k := range idx {
		p := h.Apply(neutral[k])
		dx, dy := float64(p.X-moved[k].X), float64(p.Y-moved[k].Y)
		s += dx*dx + dy*dy
	}
	iod := InterOcular(moved)
	if iod < 1e-6 || math.IsNaN(s) {
		return 0
	}
	return math.Sqrt(s/float64(len(idx))) / iod
}

// parallaxFit are the points the parallax homography is fitted on: brows,
// eye corners and mouth corners, roughly one plane across the face. The jaw
// line is left out: landmark models slide it along the silhouette.
var parallaxFit = [...]int{17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 36, 39, 42, 45, 48, 54}

// parallaxNose are the protruding nose points whose parallax is measured.
var parallaxNose = [...]int{29, 30, 32, 33, 34}

// NoseParallax fits a homography from the neutral landmarks to the moved
// ones on the face's outer points (brows, eye corners, mouth corners) and
// returns where the nose went relative to that plane, in inter-ocular
// distances, along the face's own axes: x along the eye line toward the
// image-right eye (point 45), y perpendicular, toward the chin. A head
// turning to the user's left pushes its nose toward +x, looking up toward
// −y; a flat picture leaves only landmark noise, in no particular direction.
func NoseParallax(neutral, moved *Landmarks) (x, y float64) {
	h := FitHomography(neutral, moved, parallaxFit[:])
	var dx, dy float64
	for _, k := range parallaxNose {
		p := h.Apply(neutral[k])
		dx += float64(moved[k].X - p.X)
		dy += float64(moved[k].Y - p.Y)
	}
	n := float64(len(parallaxNose))
	dx, dy = dx/n, dy/n
	ex, ey := float64(moved[45].X-moved[36].X), float64(moved[45].Y-moved[36].Y)
	l := math.Hypot(ex, ey)
	iod := InterOcular(moved)
	if l < 1e-6 || iod < 1e-6 {
		return 0, 0
	}
	ex, ey = ex/l, ey/l
	return (dx*ex + dy*ey) / iod, (-dx*ey + dy*ex) / iod
}
