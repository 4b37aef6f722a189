package perception

import (
	"context"
	"image"
	"image/draw"
	"runtime"
	"sync"

	"github.com/livegate/livegate/internal/faceid"
	"github.com/livegate/livegate/internal/gesture/landmarks"
)

// FaceEmbedder finds the faces of a colour photo and computes the embedding of its one
// face: YuNet on the photo's luma (at up to 640 pixels wide, as PhotoLandmarker), dlib's
// 68 landmarks, faceid's alignment and network on the colour pixels. Safe for concurrent
// use: detection and landmarks are serialised, the network is not.
type FaceEmbedder struct {
	mu    sync.Mutex
	det   *Detector
	lm    *landmarks.Model
	pts   []landmarks.Point
	model *faceid.Model
	// nets bounds the networks running at once to the cores: a burst of matches
	// queues here instead of growing memory and starving the live engines further.
	nets chan struct{}
}

// minFaceShare: a detection narrower than this share of the widest face's width does not
// count as a second face (a face in a poster behind the person, a false detection in a
// patterned background); a second person near the camera does.
const minFaceShare = 0.5

// NewFaceEmbedder loads the detector and landmark models of cfg (cfg.Detectors is
// ignored) and the face-recognition model m.
func NewFaceEmbedder(cfg Config, m *faceid.Model) (*FaceEmbedder, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	det, err := NewDetector(cfg.YuNet, WithMaxInputWidth(640))
	if err != nil {
		return nil, err
	}
	lm, err := loadLandmarks(cfg.Landmarks)
	if err != nil {
		det.Close()
		return nil, err
	}
	return &FaceEmbedder{det: det, lm: lm, pts: make([]landmarks.Point, 68), model: m, nets: make(chan struct{}, runtime.GOMAXPROCS(0))}, nil
}

// Close frees the detector.
func (e *FaceEmbedder) Close() error { return e.det.Close() }

// Chip finds img's faces and returns their number and, when there is exactly one, its
// aligned chip (nil otherwise).
func (e *FaceEmbedder) Chip(img image.Image) (int, *image.RGBA, error) {
	n, rgba, lm, err := e.landmarks(img)
	if err != nil || n != 1 {
		return n, nil, err
	}
	chip, err := faceid.Align(rgba, lm)
	if err != nil {
		return 1, nil, err
	}
	return 1, chip, nil
}

// landmarks finds img's faces and, when there is exactly one, its 68 landmarks, in the
// coordinates of the returned copy of img.
func (e *FaceEmbedder) landmarks(img image.Image) (int, *image.RGBA, []faceid.Point, error) {
	rgba := rebasedRGBA(img)
	gray := image.NewGray(rgba.Rect)
	for i := range gray.Pix {
		// color.GrayModel's luma exactly (its 16-bit arithmetic and rounding), without its
		// per-pixel interface calls: the landmark model's splits are sensitive to ±1.
		p := rgba.Pix[4*i : 4*i+3 : 4*i+3]
		gray.Pix[i] = uint8((19595*uint32(p[0])*0x101 + 38470*uint32(p[1])*0x101 + 7471*uint32(p[2])*0x101 + 1<<15) >> 24)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	faces, err := e.det.Detect(gray)
	if err != nil {
		return 0, nil, nil, err
	}
	widest := 0
	for _, f := range faces {
		widest = max(widest, f.Box.Dx())
	}
	n, best := 0, -1
	for i, f := range faces {
		if float64(f.Box.Dx()) >= minFaceShare*float64(widest) {
			n++
			if best < 0 || f.Box.Dx() > faces[best].Box.Dx() {
				best = i
			}
		}
	}
	if n != 1 {
		return n, nil, nil, nil
	}
	e.lm.Predict(gray, BoxFromYuNet(faces[best]), e.pts)
	lm := make([]faceid.Point, len(e.pts))
	for i, p := range e.pts {
		lm[i] = faceid.Point{X: float64(p.X), Y: float64(p.Y)}
	}
	return 1, rgba, lm, nil
}

// CheckReference judges a reference photo for later matching (a session's
// verify_image): its number of faces and, when there is one, its measures, grade, the
// reason it is unusable ("" when usable) and its embedding (computed only when usable).
// It makes a FaceEmbedder the API's reference checker.
func (e *FaceEmbedder) CheckReference(ctx context.Context, img image.Image) (faceid.Reference, error) {
	n, rgba, lm, err := e.landmarks(img)
	if err != nil || n != 1 {
		return faceid.Reference{Faces: n}, err
	}
	chip, err := faceid.Align(rgba, lm)
	if err != nil {
		return faceid.Reference{Faces: 1}, err
	}
	r := faceid.Reference{Faces: 1, Measures: faceid.Measure(lm, chip)}
	r.Quality, r.Problem = faceid.Grade(r.Measures)
	if r.Problem != "" {
		return r, nil
	}
	r.Embedding, err = e.embed(ctx, chip)
	return r, err
}

// EmbedFace returns the number of img's faces and, when there is exactly one, its
// embedding. It makes a FaceEmbedder the face matcher of POST /face/v1/match.
func (e *FaceEmbedder) EmbedFace(ctx context.Context, img image.Image) (int, faceid.Embedding, error) {
	n, chip, err := e.Chip(img)
	if err != nil || chip == nil {
		return n, faceid.Embedding{}, err
	}
	emb, err := e.embed(ctx, chip)
	return n, emb, err
}

// embed runs the network on chip when a core is free, or gives up with ctx.
func (e *FaceEmbedder) embed(ctx context.Context, chip *image.RGBA) (faceid.Embedding, error) {
	if err := ctx.Err(); err != nil {
		return faceid.Embedding{}, err
	}
	select {
	case e.nets <- struct{}{}:
	case <-ctx.Done():
		return faceid.Embedding{}, ctx.Err()
	}
	defer func() { <-e.nets }()
	return e.model.Embed(chip)
}

// rebasedRGBA copies img into an RGBA image whose bounds start at (0, 0), the frame of
// the detector's coordinates.
func rebasedRGBA(img image.Image) *image.RGBA {
	b := img.Bounds()
	out := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(out, out.Rect, img, b.Min, draw.Src)
	return out
}
