package perception

import (
	"context"
	"fmt"
	"image"
	"image/draw"
	"sync"

	"github.com/livegate/livegate/internal/gesture"
)

// PassiveConfig names the model files of a Passive checker; an empty path
// means the repository's copy (FindYuNet, FindMiniFASNet).
type PassiveConfig struct {
	YuNet, MiniFASNetV2, MiniFASNetV1SE string
}

// passiveMinFaceRatio is gesture's still-image rule for counting faces:
// faces narrower than this fraction of the largest are background (a
// poster, a passer-by far behind) and do not make "too many faces".
var passiveMinFaceRatio = gesture.DefaultStillThresholds().MinFaceRatio

// Passive judges one still image for POST /face/v1/passive-liveness: YuNet
// finds the faces on the image's luma, and when there is exactly one,
// MiniFASNet scores it on the colour image. YuNet runs at 320 pixels wide,
// as the live engine runs it (so the boxes the model is calibrated on are
// the same), and only when that finds no face again at 640 (a photo's face
// may be small): at 640 it costs about ten times as much. It loads its models at the first check, so
// a server starts at once; a failed load fails every check. It is safe for
// concurrent use (the detector and the model each serialise their calls).
type Passive struct {
	cfg  PassiveConfig
	once sync.Once
	det  *Detector // at 320 wide
	wide *Detector // at 640 wide, when det finds nothing
	as   *AntiSpoof
	err  error
}

// NewPassive returns a checker of cfg's models, loaded on first use.
func NewPassive(cfg PassiveConfig) *Passive { return &Passive{cfg: cfg} }

func (p *Passive) load() error {
	p.once.Do(func() {
		yn, err := FindYuNet(p.cfg.YuNet)
		if err != nil {
			p.err = err
			return
		}
		v2, v1se, err := FindMiniFASNet(p.cfg.MiniFASNetV2, p.cfg.MiniFASNetV1SE)
		if err != nil {
			p.err = err
			return
		}
		det, err := NewDetector(yn)
		if err != nil {
			p.err = err
			return
		}
		wide, err := NewDetector(yn, WithMaxInputWidth(640))
		if err != nil {
			det.Close()
			p.err = err
			return
		}
		as, err := NewAntiSpoof(v2, v1se)
		if err != nil {
			det.Close()
			wide.Close()
			p.err = err
			return
		}
		p.det, p.wide, p.as = det, wide, as
	})
	return p.err
}

// CheckPassive counts the faces of img and, when there is exactly one,
// returns the model's probability (0–1) that it is a real face rather than
// a presentation attack; real is 0 otherwise. A grey image is scored as a
// colour one with no chroma (the model reads a lack of colour as a cue,
// like a black-and-white print).
func (p *Passive) CheckPassive(ctx context.Context, img image.Image) (faces int, real float64, err error) {
	if err := p.load(); err != nil {
		return 0, 0, fmt.Errorf("perception: passive models: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return 0, 0, err
	}
	r, err := p.Check(img)
	return r.Faces, r.Real, err
}

// PassiveResult is what Check found in one image.
type PassiveResult struct {
	// Faces counts the faces (see passiveMinFaceRatio).
	Faces int
	// Face is the largest face, in img's coordinates; zero without faces.
	Face gesture.Face
	// Real is MiniFASNet's real-probability of Face when Faces is 1.
	Real float64
}

// Check is CheckPassive with the face it scored. It loads the models if
// they are not loaded yet.
func (p *Passive) Check(img image.Image) (PassiveResult, error) {
	if err := p.load(); err != nil {
		return PassiveResult{}, fmt.Errorf("perception: passive models: %w", err)
	}
	gray := gesture.ToGray(img)
	faces, err := p.det.Detect(gray)
	if err == nil && len(faces) == 0 && gray.Rect.Dx() > 320 {
		faces, err = p.wide.Detect(gray)
	}
	if err != nil {
		return PassiveResult{}, err
	}
	var r PassiveResult
	if len(faces) == 0 {
		return r, nil
	}
	big := faces[0]
	for _, f := range faces[1:] {
		if f.Box.Dx() > big.Box.Dx() {
			big = f
		}
	}
	for _, f := range faces {
		if float64(f.Box.Dx()) >= passiveMinFaceRatio*float64(big.Box.Dx()) {
			r.Faces++
		}
	}
	// Detect's boxes are relative to gray, which starts at (0, 0).
	off := img.Bounds().Min
	big.Box = big.Box.Add(off)
	for i := range big.Keypoints {
		big.Keypoints[i] = big.Keypoints[i].Add(off)
	}
	r.Face = big
	if r.Faces != 1 {
		return r, nil
	}
	switch img.(type) {
	case *image.Gray, *image.Gray16:
		rgba := image.NewRGBA(img.Bounds())
		draw.Draw(rgba, rgba.Rect, img, img.Bounds().Min, draw.Src)
		img = rgba
	}
	if r.Real, err = p.as.Score(img, big); err != nil {
		return PassiveResult{}, err
	}
	return r, nil
}

// Close frees the models, if they were loaded.
func (p *Passive) Close() error {
	p.once.Do(func() { p.err = ErrClosed }) // never load after Close
	if p.det != nil {
		p.det.Close()
		p.wide.Close()
		p.as.Close()
	}
	return nil
}
