package gesture

import (
	"image"
	"math"
	"time"
)

// Face is a face found by a FaceDetector (perception's YuNet detector
// returns this type directly).
type Face struct {
	// Box is the detector's face box in the frame's pixels (clipped to the
	// frame).
	Box image.Rectangle
	// Score is the detector's confidence in [0, 1].
	Score float32
	// Keypoints are, in YuNet's order and as seen in the camera image: the
	// user's right eye, left eye, nose tip, right mouth corner, left mouth
	// corner. "Right" is the subject's right, which is on the image's left
	// for a frontal face.
	Keypoints [5]image.Point
}

// Keypoint indices into Face.Keypoints.
const (
	RightEye = iota
	LeftEye
	NoseTip
	RightMouth
	LeftMouth
)

// FaceDetector finds faces in a grey frame. DetectFaces appends them, best
// first, to dst[:0] and returns it, so a caller that reuses dst detects
// without allocating. A detector is expected to downscale the frame itself
// (perception.Detector detects at 320 pixels wide).
type FaceDetector interface {
	DetectFaces(img *image.Gray, dst []Face) ([]Face, error)
}

// FaceDetectorFunc adapts a function to FaceDetector.
type FaceDetectorFunc func(img *image.Gray, dst []Face) ([]Face, error)

// DetectFaces calls f.
func (f FaceDetectorFunc) DetectFaces(img *image.Gray, dst []Face) ([]Face, error) {
	return f(img, dst)
}

// LandmarkPredictor places the 68 iBUG landmarks of a face.
type LandmarkPredictor interface {
	// BoxFor maps a detected face to the box Predict expects (each model
	// has its own box convention).
	BoxFor(f Face) image.Rectangle
	// Predict writes the landmarks of the face in box into out.
	Predict(img *image.Gray, box image.Rectangle, out *Landmarks)
}

// EngineOption configures an Engine.
type EngineOption func(*Engine)

// WithDetectInterval sets how often the detector re-checks a tracked face
// (default 300 ms). Between checks the face is tracked from the previous
// landmarks.
func WithDetectInterval(d time.Duration) EngineOption {
	return func(e *Engine) { e.detectEvery = d }
}

// WithReacquire sets how long after losing a face a face found at the same
// place keeps its track id (default 1 s).
func WithReacquire(d time.Duration) EngineOption {
	return func(e *Engine) { e.reacquire = d }
}

// WithDenoise sets the standard deviation, in pixels, of the Gaussian that
// smooths the face region before the landmark model and the eye contrast
// read it (default 1; 0 turns it off), and the estimated noise, in grey
// levels, under which a frame is left as it is (default 5). On facegen
// clips the estimate reads 1–3.3 on clean, far and blurred faces and
// 8–8.6 with σ 8 noise; on the three real clips at most 1.3, so they are
// never smoothed.
func WithDenoise(sigma, minNoise float64) EngineOption {
	return func(e *Engine) { e.den = newDenoiser(sigma, minNoise) }
}

// Engine turns frames into observations for one session: it detects the face
// when it has none (and re-checks every detect interval), tracks it between
// detections from its previous landmarks, and measures pose, eyes, mouth and
// quality. It does not allocate per frame in steady state. Not safe for
// concurrent use.
type Engine struct {
	det FaceDetector
	lm  LandmarkPredictor

	detectEvery time.Duration
	reacquire   time.Duration

	faces      []Face
	err        error
	detections int

	tracking   bool
	track      int
	nextTrack  int
	nFaces     int
	lastDetect time.Time
	lastSeen   time.Time
	lastBounds image.Rectangle
	lms        Landmarks
	// lookRect and lookGrid are the region around the face in the last
	// frame that showed it, and its grid (see lookGrid); lookOK says they
	// are set.
	lookRect image.Rectangle
	lookGrid [16]float32
	lookOK   bool
	// rel is the predictor box relative to the landmarks' bounds at the last
	// detection (offsets of its edges in bound widths/heights), so tracking
	// boxes follow the model's own convention.
	rel [4]float64
	// den smooths the face region the landmark model and the eye contrast
	// read (see WithDenoise).
	den denoiser
}

// NewEngine returns an engine over a detector and a landmark predictor.
func NewEngine(det FaceDetector, lm LandmarkPredictor, opts ...EngineOption) *Engine {
	e := &Engine{
		det: det, lm: lm,
		detectEvery: 300 * time.Millisecond,
		reacquire:   time.Second,
		faces:       make([]Face, 0, 16),
		den:         newDenoiser(1, 5),
	}
	for _, o := range opts {
		o(e)
	}
	return e
}

// Err returns the last detector error, if any. A failing detection counts
// as a frame with no new detection.
func (e *Engine) Err() error { return e.err }

// Detections returns how many times the detector ran.
func (e *Engine) Detections() int { return e.detections }

// Reset forgets the tracked face.
func (e *Engine) Reset() { e.tracking, e.lookOK = false, false }

// Process measures one frame taken at t.
func (e *Engine) Process(img *image.Gray, t time.Time) Observation {
	frame := img.Rect
	o := Observation{T: t, Width: frame.Dx(), Height: frame.Dy()}
	cont := e.continuity(img, t)
	var box image.Rectangle
	detected := false
	if !e.tracking || t.Sub(e.lastDetect) >= e.detectEvery || t.Before(e.lastDetect) {
		faces, err := e.det.DetectFaces(img, e.faces[:0])
		e.faces = faces
		e.detections++
		e.lastDetect = t
		e.err = err
		if err == nil {
			e.nFaces = len(faces)
			if len(faces) == 0 {
				e.lose()
				return o
			}
			f := e.choose(t, cont)
			box = e.lm.BoxFor(f)
			detected = true
		} else if !e.tracking {
			return o
		}
	}
	if !detected {
		box = e.trackBox()
	}
	src := e.den.smooth(img, box)
	e.lm.Predict(src, box, &e.lms)
	x0, y0, x1, y1 := Bounds(&e.lms)
	bounds := image.Rect(int(math.Floor(float64(x0))), int(math.Floor(float64(y0))), int(math.Ceil(float64(x1))), int(math.Ceil(float64(y1))))
	// A shape that collapsed or left the frame is a lost track.
	if inter := bounds.Intersect(frame); bounds.Dx() < 8 || bounds.Dy() < 8 || InterOcular(&e.lms) < 3 ||
		inter.Dx()*inter.Dy()*2 < bounds.Dx()*bounds.Dy() {
		e.lose()
		return o
	}
	if detected {
		bw, bh := float64(bounds.Dx()), float64(bounds.Dy())
		e.rel = [4]float64{
			float64(box.Min.X-bounds.Min.X) / bw, float64(box.Min.Y-bounds.Min.Y) / bh,
			float64(box.Max.X-bounds.Max.X) / bw, float64(box.Max.Y-bounds.Max.Y) / bh,
		}
	}
	e.tracking = true
	e.lastSeen = t
	e.lastBounds = bounds

	o.Faces = max(e.nFaces, 1)
	o.Track = e.track
	o.Box = bounds
	o.Landmarks = e.lms
	o.Measure()
	o.EyeContrastLeft = eyeContrast(src, &e.lms, 42)
	o.EyeContrastRight = eyeContrast(src, &e.lms, 36)
	o.Quality = quality(img, bounds)
	o.Continuity = cont
	e.lookRect = lookRegion(frame, bounds)
	e.lookGrid = lookGrid(img, e.lookRect)
	e.lookOK = e.lookRect.Dx() >= 8 && e.lookRect.Dy() >= 8
	return o
}

func (e *Engine) lose() {
	e.tracking = false
	e.nFaces = 0
}

// choose picks the face to follow among e.faces and sets the track id: the
// face overlapping the tracked one keeps its id; otherwise the largest face
// starts a new track (unless it reappears where the last one was lost, or
// the picture stayed continuous, see below). cont is the frame's
// Observation.Continuity.
func (e *Engine) choose(t time.Time, cont float64) Face {
	best, bestIoU := -1, 0.0
	if e.tracking || t.Sub(e.lastSeen) <= e.reacquire {
		for i, f := range e.faces {
			if v := iou(f.Box, e.lastBounds); v > bestIoU {
				best, bestIoU = i, v
			}
		}
	}
	if best >= 0 && bestIoU >= 0.3 && e.track != 0 {
		return e.faces[best]
	}
	// Boxes of two conventions (the detector's, the landmarks') can overlap
	// little for the same face in a fast, blurred turn: a face whose box
	// holds the centre of the tracked landmarks is the same face.
	if e.track != 0 && (e.tracking || t.Sub(e.lastSeen) <= e.reacquire) {
		c := image.Pt((e.lastBounds.Min.X+e.lastBounds.Max.X)/2, (e.lastBounds.Min.Y+e.lastBounds.Max.Y)/2)
		for _, f := range e.faces {
			if c.In(f.Box) {
				return f
			}
		}
	}
	// The tracked landmarks can slide off a face in a fast turn, and the
	// re-detection then finds it away from them: when the picture around
	// the last face stayed continuous (no cut to another picture), a face
	// whose box's centre lies in that region is the same face.
	if e.track != 0 && cont >= sameFaceContinuity {
		best, bestD := -1, 0
		c := e.lookRect.Min.Add(e.lookRect.Max).Div(2)
		for i, f := range e.faces {
			fc := f.Box.Min.Add(f.Box.Max).Div(2)
			d := (fc.X-c.X)*(fc.X-c.X) + (fc.Y-c.Y)*(fc.Y-c.Y)
			if fc.In(e.lookRect) && (best < 0 || d < bestD) {
				best, bestD = i, d
			}
		}
		if best >= 0 {
			return e.faces[best]
		}
	}
	big := 0
	for i, f := range e.faces {
		if area(f.Box) > area(e.faces[big].Box) {
			big = i
		}
	}
	e.nextTrack++
	e.track = e.nextTrack
	return e.faces[big]
}

func (e *Engine) trackBox() image.Rectangle {
	b := e.lastBounds
	bw, bh := float64(b.Dx()), float64(b.Dy())
	return image.Rect(
		b.Min.X+int(math.Round(e.rel[0]*bw)), b.Min.Y+int(math.Round(e.rel[1]*bh)),
		b.Max.X+int(math.Round(e.rel[2]*bw)), b.Max.Y+int(math.Round(e.rel[3]*bh)),
	)
}

func area(r image.Rectangle) int { return r.Dx() * r.Dy() }

func iou(a, b image.Rectangle) float64 {
	i := area(a.Intersect(b))
	u := area(a) + area(b) - i
	if u <= 0 {
		return 0
	}
	return float64(i) / float64(u)
}

// quality samples at most about 48×48 points of the face box: brightness is
// their mean grey level, sharpness the mean absolute 4-neighbour Laplacian.
func quality(img *image.Gray, box image.Rectangle) Quality {
	frame := img.Rect
	q := Quality{
		FaceWidth: float64(box.Dx()) / float64(frame.Dx()),
		Outside:   !box.In(frame),
	}
	r := box.Intersect(frame.Inset(1))
	if r.Empty() {
		return q
	}
	step := max(1, max(r.Dx(), r.Dy())/48)
	var sum, lap float64
	n := 0
	for y := r.Min.Y; y < r.Max.Y; y += step {
		row := img.PixOffset(r.Min.X, y)
		for x := r.Min.X; x < r.Max.X; x += step {
			i := row + x - r.Min.X
			c := int(img.Pix[i])
			l := 4*c - int(img.Pix[i-1]) - int(img.Pix[i+1]) - int(img.Pix[i-img.Stride]) - int(img.Pix[i+img.Stride])
			if l < 0 {
				l = -l
			}
			sum += float64(c)
			lap += float64(l)
			n++
		}
	}
	q.Brightness = sum / float64(n)
	q.Sharpness = lap / float64(n)
	q.LineRatio = lineRatio(img, r)
	return q
}

// continuity is Observation.Continuity of the frame img at t: the grid of
// the region around the face in the last frame that showed it, in that
// frame and in img. 0 when unknown: no such frame, or one older than the
// reacquire time, or a flat picture.
func (e *Engine) continuity(img *image.Gray, t time.Time) float64 {
	if !e.lookOK || !e.lookRect.In(img.Rect) || t.Sub(e.lastSeen) > e.reacquire {
		return 0
	}
	now := lookGrid(img, e.lookRect)
	d := lookChange(&e.lookGrid, &now)
	switch {
	case d < 0:
		return 0
	case d == 1:
		return -1e-9 // known: only "unknown" reads 0
	}
	return 1 - d
}

// lookRegion is the face box grown to twice its size around its centre,
// clipped to the frame.
func lookRegion(frame, box image.Rectangle) image.Rectangle {
	c := box.Min.Add(box.Max).Div(2)
	return image.Rect(c.X-box.Dx(), c.Y-box.Dy(), c.X+box.Dx(), c.Y+box.Dy()).Intersect(frame)
}

// lookGrid cuts the region r of img into a 4×4 grid, row by row, and
// returns the mean grey level of each cell of the outer ring (lookRing),
// from at most about 12×12 samples a cell; the four middle cells, which
// lookChange does not use, stay 0.
func lookGrid(img *image.Gray, r image.Rectangle) [16]float32 {
	var g [16]float32
	if r.Dx() < 4 || r.Dy() < 4 {
		return g
	}
	step := max(1, max(r.Dx(), r.Dy())/48)
	for _, k := range lookRing {
		cx, cy := k%4, k/4
		x0, x1 := r.Min.X+cx*r.Dx()/4, r.Min.X+(cx+1)*r.Dx()/4
		y0, y1 := r.Min.Y+cy*r.Dy()/4, r.Min.Y+(cy+1)*r.Dy()/4
		var sum, n uint32
		for y := y0; y < y1; y += step {
			row := img.Pix[img.PixOffset(x0, y) : img.PixOffset(x0, y)+x1-x0]
			for x := 0; x < len(row); x += step {
				sum += uint32(row[x])
				n++
			}
		}
		if n > 0 {
			g[k] = float32(sum) / float32(n)
		}
	}
	return g
}

// sameFaceContinuity is the least Observation.Continuity at which the
// engine takes a face re-detected away from its tracked landmarks for the
// same face (ChallengeConfig.MinContinuity's default).
const sameFaceContinuity = 0.8

// lookRing are the cells of Observation.Look around the face: the outer
// ring of the grid (hair, neck, shoulders, background), which a head
// turning in place leaves nearly as it was.
var lookRing = [12]int{0, 1, 2, 3, 4, 7, 8, 11, 12, 13, 14, 15}

// lookChange measures how much the picture around the face changed
// between two frames' Look, on the ring's cells: one minus the correlation
// of their levels (0 for the same pattern, about 1 for unrelated ones, up
// to 2), plus the change of their mean level over the larger mean (a cut
// to a darker or brighter picture). It returns -1 when either grid is
// unknown (no picture) or flat.
func lookChange(a, b *[16]float32) float64 {
	var ma, mb float64
	for _, k := range lookRing {
		ma += float64(a[k])
		mb += float64(b[k])
	}
	ma /= float64(len(lookRing))
	mb /= float64(len(lookRing))
	var sab, saa, sbb float64
	for _, k := range lookRing {
		da, db := float64(a[k])-ma, float64(b[k])-mb
		sab += da * db
		saa += da * da
		sbb += db * db
	}
	if saa < 1e-6 || sbb < 1e-6 {
		return -1
	}
	return 1 - sab/math.Sqrt(saa*sbb) + math.Abs(ma-mb)/math.Max(ma, mb)
}

// lineRatio is Quality.LineRatio over r, summed over 24-pixel tiles so
// that lines a little off horizontal (a display held by hand) do not
// average out along a long row.
func lineRatio(img *image.Gray, r image.Rectangle) float64 {
	const tile = 24
	var rowsHF, colsHF float64
	for ty := r.Min.Y; ty+tile <= r.Max.Y; ty += tile {
		for tx := r.Min.X; tx+tile <= r.Max.X; tx += tile {
			// Integer sums: exact, as the float64 ones they replace were
			// (at most 24 × 255), without a float addition's latency on
			// every pixel.
			var rows, cols [tile]int32
			for y := range tile {
				off := img.PixOffset(tx, ty+y)
				var sum int32
				for x, v := range img.Pix[off : off+tile : off+tile] {
					sum += int32(v)
					cols[x] += int32(v)
				}
				rows[y] = sum
			}
			var rh, ch int32
			for i := 1; i+1 < tile; i++ {
				rh += abs32(rows[i+1] - 2*rows[i] + rows[i-1])
				ch += abs32(cols[i+1] - 2*cols[i] + cols[i-1])
			}
			rowsHF += float64(rh)
			colsHF += float64(ch)
		}
	}
	if colsHF < 1e-9 {
		return 0
	}
	return rowsHF / colsHF
}

func abs32(v int32) int32 {
	if v < 0 {
		return -v
	}
	return v
}

// eyeContrast is an appearance measure of one eye's openness, independent
// of where the landmark model put the lids (its shape prior moves both eyes
// together, so a wink barely changes the lid points). In a box around the
// eye's corners (0.8 × 0.44 eye widths) it combines two cues, as a geometric
// mean: the grey levels' variance over their squared mean, and the fraction
// of pixels darker than 0.55 of the box's 90th percentile. An open eye shows
// a dark iris and pupil against white sclera; a closed one shows lid skin
// and one lash line, so both drop. first is 36 (the user's right eye) or 42.
func eyeContrast(img *image.Gray, lm *Landmarks, first int) float64 {
	a, b := lm[first], lm[first+3]
	w := math.Abs(float64(b.X - a.X))
	cx, cy := float64(a.X+b.X)/2, float64(a.Y+b.Y)/2
	// The box is 0.44 eye widths tall: the landmark model moves the
	// corners of an open eye up or down by a few pixels when the other eye
	// closes (its shape prior), and a flatter box (0.3) then slid off the
	// iris and read an open eye as half closed.
	r := image.Rect(int(cx-0.4*w), int(cy-0.22*w), int(cx+0.4*w)+1, int(cy+0.22*w)+1).Intersect(img.Rect)
	if r.Dx() < 3 || r.Dy() < 2 {
		return 0
	}
	var hist [256]int32
	var s, s2 float64
	n := 0
	for y := r.Min.Y; y < r.Max.Y; y++ {
		row := img.Pix[img.PixOffset(r.Min.X, y):img.PixOffset(r.Max.X, y)]
		for _, v := range row {
			hist[v]++
			f := float64(v)
			s += f
			s2 += f * f
			n++
		}
	}
	m := s / float64(n)
	v := s2/float64(n) - m*m
	if m < 1 || v <= 0 {
		return 0
	}
	// 90th percentile, then the dark pixels under 0.55 of it.
	k, c, p90 := int32(0.9*float64(n)), int32(0), 255
	for i, h := range hist {
		if c += h; c > k {
			p90 = i
			break
		}
	}
	var dark int32
	for i := 0; i < int(0.55*float64(p90)); i++ {
		dark += hist[i]
	}
	// No pixel under the level is a measure, not an unknown: a closed
	// eye's lid in a dim, noisy picture (dark+noise, backlit+noise) often
	// has none, and a contrast of 0 would read "no picture" and leave the
	// eye to its noisy aspect ratio alone. Half a pixel, the count's
	// resolution, keeps it above 0.
	return math.Sqrt(v / (m * m) * max(float64(dark), 0.5) / float64(n))
}
