package faceid

import (
	"image"
	"math"
)

// Quality grades a reference photo for recognition (Azure's quality_for_recognition).
type Quality string

// The grades.
const (
	QualityHigh   Quality = "high"
	QualityMedium Quality = "medium"
	QualityLow    Quality = "low"
)

// FaceMeasures are what a reference photo's usefulness is judged on.
type FaceMeasures struct {
	// Width is the face's width in the photo's pixels (jaw to jaw, landmarks 0 and 16).
	Width float64
	// Yaw is the nose's offset between the jaw's sides, -1..1 (0 frontal; ±0.5 is a head
	// turned roughly 35–40°).
	Yaw float64
	// Roll is the eye line's angle from horizontal in degrees.
	Roll float64
	// Sharpness is the variance of the Laplacian of the aligned chip's luma.
	Sharpness float64
}

// Measure computes a face's FaceMeasures from its 68 landmarks and its aligned chip.
func Measure(lm []Point, chip *image.RGBA) FaceMeasures {
	var m FaceMeasures
	if len(lm) == 68 {
		m.Width = math.Hypot(lm[16].X-lm[0].X, lm[16].Y-lm[0].Y)
		dl := math.Hypot(lm[30].X-lm[0].X, lm[30].Y-lm[0].Y)
		dr := math.Hypot(lm[30].X-lm[16].X, lm[30].Y-lm[16].Y)
		if dl+dr > 0 {
			m.Yaw = (dl - dr) / (dl + dr)
		}
		// Eye centres: the means of 36–41 and 42–47.
		var l, r Point
		for i := 0; i < 6; i++ {
			l.X += lm[36+i].X / 6
			l.Y += lm[36+i].Y / 6
			r.X += lm[42+i].X / 6
			r.Y += lm[42+i].Y / 6
		}
		m.Roll = math.Atan2(r.Y-l.Y, r.X-l.X) * 180 / math.Pi
	}
	if chip != nil {
		m.Sharpness = laplacianVariance(chip)
	}
	return m
}

// laplacianVariance is the variance of the 4-neighbour Laplacian of the chip's luma
// (BT.601), over its inner pixels: low for a blurred face.
func laplacianVariance(chip *image.RGBA) float64 {
	w, h := chip.Rect.Dx(), chip.Rect.Dy()
	if w < 3 || h < 3 {
		return 0
	}
	y := make([]float64, w*h)
	for j := 0; j < h; j++ {
		for i := 0; i < w; i++ {
			p := chip.Pix[j*chip.Stride+4*i:]
			y[j*w+i] = 0.299*float64(p[0]) + 0.587*float64(p[1]) + 0.114*float64(p[2])
		}
	}
	var sum, sum2 float64
	n := 0
	for j := 1; j < h-1; j++ {
		for i := 1; i < w-1; i++ {
			c := j*w + i
			l := y[c-1] + y[c+1] + y[c-w] + y[c+w] - 4*y[c]
			sum += l
			sum2 += l * l
			n++
		}
	}
	mean := sum / float64(n)
	return sum2/float64(n) - mean*mean
}

// Limits of a usable reference, and of the high and medium grades. See the README's
// "Face matching" for the measurements they rest on.
const (
	MinRefWidth     = 60.0 // pixels; below, the 150-pixel chip is mostly interpolation
	MaxRefYaw       = 0.5
	MaxRefRoll      = 30.0
	MinRefSharpness = 15.0

	highWidth, highYaw, highRoll, highSharpness = 120.0, 0.15, 10.0, 60.0
	medWidth, medYaw, medRoll, medSharpness     = 80.0, 0.3, 20.0, 30.0
)

// Grade judges a reference face: problem is "" and q its grade when it is usable, else
// problem says why it is refused, in words for the API's 400.
func Grade(m FaceMeasures) (q Quality, problem string) {
	switch {
	case m.Width < MinRefWidth:
		return QualityLow, "the face is too small: at least 60 pixels wide is needed"
	case math.Abs(m.Yaw) > MaxRefYaw:
		return QualityLow, "the face is turned too far to the side: a frontal photo is needed"
	case math.Abs(m.Roll) > MaxRefRoll:
		return QualityLow, "the face is tilted too far: an upright photo is needed"
	case m.Sharpness < MinRefSharpness:
		return QualityLow, "the face is too blurred"
	}
	switch {
	case m.Width >= highWidth && math.Abs(m.Yaw) <= highYaw && math.Abs(m.Roll) <= highRoll && m.Sharpness >= highSharpness:
		return QualityHigh, ""
	case m.Width >= medWidth && math.Abs(m.Yaw) <= medYaw && math.Abs(m.Roll) <= medRoll && m.Sharpness >= medSharpness:
		return QualityMedium, ""
	}
	return QualityLow, ""
}

// Reference is the verdict on a reference photo (a session's verify_image): its number
// of faces and, with one face, its measures, grade, why it is refused ("" when usable)
// and its embedding (only when usable).
type Reference struct {
	Faces     int
	Measures  FaceMeasures
	Quality   Quality
	Problem   string
	Embedding Embedding
}
