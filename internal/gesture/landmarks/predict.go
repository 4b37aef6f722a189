package landmarks

import (
	"image"
)

// Predictor holds the scratch memory of one prediction, so that Predict does not
// allocate. A Predictor is not safe for concurrent use: use one per goroutine (they
// share the immutable Model).
type Predictor struct {
	m     *Model
	shape []float32 // current shape, box-normalised
	feat  []float32 // feature pixel intensities of the current level
	leaf  []int     // per tree of the current level: offset of its leaf
}

// NewPredictor returns a Predictor for m.
func NewPredictor(m *Model) *Predictor {
	return &Predictor{
		m:     m,
		shape: make([]float32, len(m.mean)),
		feat:  make([]float32, m.nFeat),
		leaf:  make([]int, m.maxTrees),
	}
}

// Predict is a convenience for one-off predictions: it allocates scratch memory on each
// call. Use a Predictor in a loop.
func (m *Model) Predict(img *image.Gray, box image.Rectangle, out []Point) {
	NewPredictor(m).Predict(img, box, out)
}

// Model returns the predictor's model.
func (p *Predictor) Model() *Model { return p.m }

// Predict writes the landmarks of the face in box into out, in img's coordinates.
// box is the face box as dlib's frontal face detector would draw it (see
// BoxFromDetection); Min is its top-left pixel, Max is exclusive. Pixels outside img
// read as black, as in dlib. len(out) must be NumLandmarks(); Predict panics otherwise.
func (p *Predictor) Predict(img *image.Gray, box image.Rectangle, out []Point) {
	p.PredictGain(img, box, out, 1)
}

// PredictGain is Predict on the picture's contrast multiplied by gain: the
// trees compare differences of two pixels with thresholds learnt on
// well-exposed faces, so a dim, low-contrast face (a dark room) reads
// better with its differences scaled up. Gain 1 is Predict, bit for bit.
func (p *Predictor) PredictGain(img *image.Gray, box image.Rectangle, out []Point, gain float32) {
	m := p.m
	n := len(m.mean) / 2
	if len(out) != n {
		panic("landmarks: Predict: len(out) != NumLandmarks()")
	}
	shape := p.shape
	copy(shape, m.mean)

	// The shape lives in box-normalised units; dlib maps (0,0) to the top-left pixel and
	// (1,1) to the bottom-right pixel (inclusive) of its rectangle.
	left, top := float32(box.Min.X), float32(box.Min.Y)
	bw, bh := float32(box.Dx()-1), float32(box.Dy()-1)
	// dlib maps shape units to pixels in float64 and rounds half up.
	left64, top64 := float64(box.Min.X)+0.5, float64(box.Min.Y)+0.5
	bw64, bh64 := float64(bw), float64(bh)
	r := img.Rect
	nLeaf := m.nSplits + 1
	sl := len(shape)

	for li := range m.levels {
		lv := &m.levels[li]
		// Similarity transform (rotation and scale only) from the mean shape to the
		// current one: feature pixels move with the face.
		a, b := similarity(m.mean, shape)
		feat := p.feat[:len(lv.anchor)]
		for i, anc := range lv.anchor {
			dx, dy := lv.delta[2*i], lv.delta[2*i+1]
			u := a*dx - b*dy + shape[2*anc]
			v := b*dx + a*dy + shape[2*anc+1]
			x := floor(left64 + float64(u)*bw64)
			y := floor(top64 + float64(v)*bh64)
			if x >= r.Min.X && x < r.Max.X && y >= r.Min.Y && y < r.Max.Y {
				feat[i] = float32(img.Pix[(y-r.Min.Y)*img.Stride+(x-r.Min.X)]) * gain
			} else {
				feat[i] = 0
			}
		}
		// The trees of a level all read the same features: walk them all first, then
		// add their leaves in tree order (dlib's order, so the float32 sums are
		// dlib's). The additions then stream through memory without waiting on the
		// branches (see sumLeaves).
		ns := m.nSplits
		leaf := p.leaf[:lv.nTrees]
		for t := range leaf {
			sp := lv.splits[t*ns : t*ns+ns]
			i := 0
			for i < ns {
				s := sp[i]
				if feat[s.i1]-feat[s.i2] > s.thresh {
					i = 2*i + 1
				} else {
					i = 2*i + 2
				}
			}
			leaf[t] = (t*nLeaf + i - ns) * sl
		}
		sumLeaves(shape, lv.leaves, leaf)
	}

	for i := range out {
		out[i] = Point{left + shape[2*i]*bw, top + shape[2*i+1]*bh}
	}
}

// floor rounds down to an int (math.Floor is a function call on amd64 v1). Values
// beyond int's range do not occur: they would be pixels far outside any image.
func floor(f float64) int {
	i := int(f)
	if float64(i) > f {
		i--
	}
	return i
}

// similarity returns the linear part [[a, -b], [b, a]] of the least-squares similarity
// transform that maps shape from onto shape to (both x0, y0, x1, y1, ...). Translation
// is irrelevant here: feature pixels are offsets from landmarks.
func similarity(from, to []float32) (a, b float32) {
	n := len(from) / 2
	var fx, fy, tx, ty float64
	for i := 0; i < n; i++ {
		fx += float64(from[2*i])
		fy += float64(from[2*i+1])
		tx += float64(to[2*i])
		ty += float64(to[2*i+1])
	}
	fx /= float64(n)
	fy /= float64(n)
	tx /= float64(n)
	ty /= float64(n)
	var ss, sa, sb float64
	for i := 0; i < n; i++ {
		px, py := float64(from[2*i])-fx, float64(from[2*i+1])-fy
		qx, qy := float64(to[2*i])-tx, float64(to[2*i+1])-ty
		ss += px*px + py*py
		sa += px*qx + py*qy
		sb += px*qy - py*qx
	}
	if ss == 0 {
		return 1, 0
	}
	return float32(sa / ss), float32(sb / ss)
}
