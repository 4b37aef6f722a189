package faceid

import (
	"fmt"
	"image"
	"image/draw"
	"math"
)

// Point is a landmark position in image pixels.
type Point struct{ X, Y float64 }

// chipPadding is the margin dlib's face-recognition model was trained with: the mean
// face spans the middle 1/(1+2*0.25) of the 150-pixel chip.
const chipPadding = 0.25

// meanFaceX and meanFaceY are dlib's mean positions of the iBUG 68-point landmarks 17–67
// (brows, nose, eyes, mouth; not the jaw) in a unit square, the template its
// get_face_chip_details fits a face to. These are data from dlib (Boost Software
// Licence 1.0), see models/README.md.
var meanFaceX = [51]float64{
	0.000213256, 0.0752622, 0.18113, 0.29077, 0.393397, 0.586856, 0.689483, 0.799124,
	0.904991, 0.98004, 0.490127, 0.490127, 0.490127, 0.490127, 0.36688, 0.426036,
	0.490127, 0.554217, 0.613373, 0.121737, 0.187122, 0.265825, 0.334606, 0.260918,
	0.182743, 0.645647, 0.714428, 0.793132, 0.858516, 0.79751, 0.719335, 0.254149,
	0.340985, 0.428858, 0.490127, 0.551395, 0.639268, 0.726104, 0.642159, 0.556721,
	0.490127, 0.423532, 0.338094, 0.290379, 0.428096, 0.490127, 0.552157, 0.689874,
	0.553364, 0.490127, 0.42689,
}

var meanFaceY = [51]float64{
	0.106454, 0.038915, 0.0187482, 0.0344891, 0.0773906, 0.0773906, 0.0344891,
	0.0187482, 0.038915, 0.106454, 0.203352, 0.307009, 0.409805, 0.515625, 0.587326,
	0.609345, 0.628106, 0.609345, 0.587326, 0.216423, 0.178758, 0.179852, 0.231733,
	0.245099, 0.244077, 0.231733, 0.179852, 0.178758, 0.216423, 0.244077, 0.245099,
	0.780233, 0.745405, 0.727388, 0.742578, 0.727388, 0.745405, 0.780233, 0.864805,
	0.902192, 0.909281, 0.902192, 0.864805, 0.784792, 0.778746, 0.785343, 0.778746,
	0.784792, 0.824182, 0.831803, 0.824182,
}

// similarity maps p to (a*p + t) with a complex a = scale·e^{iθ}: rotation, uniform
// scale and translation, no reflection.
type similarity struct{ ar, ai, tx, ty float64 }

func (s similarity) apply(p Point) Point {
	return Point{s.ar*p.X - s.ai*p.Y + s.tx, s.ai*p.X + s.ar*p.Y + s.ty}
}

func (s similarity) inverse() similarity {
	n := s.ar*s.ar + s.ai*s.ai
	ir, ii := s.ar/n, -s.ai/n
	return similarity{ir, ii, -(ir*s.tx - ii*s.ty), -(ii*s.tx + ir*s.ty)}
}

// fitSimilarity is the least-squares similarity taking from[i] to to[i]; in the plane
// it has a closed form: a = Σ conj(p̃)·q̃ / Σ |p̃|² over the centred points.
func fitSimilarity(from, to []Point) (similarity, error) {
	var mf, mt Point
	for i := range from {
		mf.X += from[i].X
		mf.Y += from[i].Y
		mt.X += to[i].X
		mt.Y += to[i].Y
	}
	n := float64(len(from))
	mf.X, mf.Y, mt.X, mt.Y = mf.X/n, mf.Y/n, mt.X/n, mt.Y/n
	var num, numI, den float64
	for i := range from {
		px, py := from[i].X-mf.X, from[i].Y-mf.Y
		qx, qy := to[i].X-mt.X, to[i].Y-mt.Y
		num += px*qx + py*qy
		numI += px*qy - py*qx
		den += px*px + py*py
	}
	if den < 1e-9 {
		return similarity{}, fmt.Errorf("faceid: landmarks are degenerate")
	}
	s := similarity{ar: num / den, ai: numI / den}
	s.tx = mt.X - (s.ar*mf.X - s.ai*mf.Y)
	s.ty = mt.Y - (s.ai*mf.X + s.ar*mf.Y)
	return s, nil
}

// Align cuts the InputSize×InputSize face chip the network expects out of img, given
// the face's 68 landmarks (iBUG order, img's coordinates): landmarks 17–67 are fitted to
// dlib's mean face by a similarity transform, and the chip is sampled bilinearly, several
// samples per chip pixel when the face is larger than the chip (dlib downsamples with an
// image pyramid instead; the difference is within the model's noise).
func Align(img image.Image, lm []Point) (*image.RGBA, error) {
	if len(lm) != 68 {
		return nil, fmt.Errorf("faceid: %d landmarks, want 68", len(lm))
	}
	to := make([]Point, len(meanFaceX))
	for i := range to {
		to[i].X, to[i].Y = TemplatePoint(17 + i)
	}
	fwd, err := fitSimilarity(lm[17:], to)
	if err != nil {
		return nil, err
	}
	inv := fwd.inverse()
	src := toRGBA(img)
	b := src.Rect
	// Source pixels per chip pixel.
	scale := math.Hypot(inv.ar, inv.ai)
	ns := max(1, int(math.Ceil(scale)))
	chip := image.NewRGBA(image.Rect(0, 0, InputSize, InputSize))
	for y := 0; y < InputSize; y++ {
		for x := 0; x < InputSize; x++ {
			var acc [3]float64
			for sy := 0; sy < ns; sy++ {
				for sx := 0; sx < ns; sx++ {
					// Sample points spread evenly over the chip pixel, centred on it.
					cx := float64(x) + (float64(sx)+0.5)/float64(ns) - 0.5
					cy := float64(y) + (float64(sy)+0.5)/float64(ns) - 0.5
					p := inv.apply(Point{cx, cy})
					c := bilinear(src, b, p.X, p.Y)
					acc[0] += c[0]
					acc[1] += c[1]
					acc[2] += c[2]
				}
			}
			o := chip.Pix[y*chip.Stride+4*x:]
			k := float64(ns * ns)
			o[0] = uint8(math.Round(acc[0] / k))
			o[1] = uint8(math.Round(acc[1] / k))
			o[2] = uint8(math.Round(acc[2] / k))
			o[3] = 255
		}
	}
	return chip, nil
}

// bilinear samples src at (x, y); outside the image it is black, as in dlib's chips.
func bilinear(src *image.RGBA, b image.Rectangle, x, y float64) [3]float64 {
	x0, y0 := math.Floor(x), math.Floor(y)
	fx, fy := x-x0, y-y0
	ix, iy := int(x0), int(y0)
	var out [3]float64
	for dy := 0; dy < 2; dy++ {
		for dx := 0; dx < 2; dx++ {
			px, py := ix+dx, iy+dy
			if px < b.Min.X || px >= b.Max.X || py < b.Min.Y || py >= b.Max.Y {
				continue
			}
			w := (1 - fx) * (1 - fy)
			switch {
			case dx == 1 && dy == 0:
				w = fx * (1 - fy)
			case dx == 0 && dy == 1:
				w = (1 - fx) * fy
			case dx == 1 && dy == 1:
				w = fx * fy
			}
			p := src.Pix[src.PixOffset(px, py):]
			out[0] += w * float64(p[0])
			out[1] += w * float64(p[1])
			out[2] += w * float64(p[2])
		}
	}
	return out
}

func toRGBA(img image.Image) *image.RGBA {
	if r, ok := img.(*image.RGBA); ok {
		return r
	}
	r := image.NewRGBA(img.Bounds())
	draw.Draw(r, r.Rect, img, r.Rect.Min, draw.Src)
	return r
}

// TemplatePoint is where landmark i (17–67) lands in the chip; for the jaw (0–16), which
// alignment does not use, it is the template's centre.
func TemplatePoint(i int) (x, y float64) {
	if i < 17 || i > 67 {
		return InputSize / 2, InputSize / 2
	}
	return (chipPadding + meanFaceX[i-17]) / (2*chipPadding + 1) * InputSize,
		(chipPadding + meanFaceY[i-17]) / (2*chipPadding + 1) * InputSize
}
