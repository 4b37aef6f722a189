package main

import (
	"context"
	"errors"
	"fmt"
	"image"
	"image/draw"
	"image/gif"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	_ "image/jpeg" // bona fide and attack photos
	_ "image/png"

	xdraw "golang.org/x/image/draw"

	"github.com/livegate/livegate/internal/facegen"
	"github.com/livegate/livegate/internal/perception"
)

// modelScorer scores media with the server's own passive check
// (perception.Passive: YuNet on the luma, MiniFASNet on the one face, in
// colour): an image is scored once; a clip (y4m, or an animated GIF) on
// frames evenly spaced over its length, and its score is the median of its
// frames' (the median, as the live fusion takes it, so one odd frame does
// not decide). Frames with no face or with several are not scored; a
// medium with no scored frame scores 0, a failure to acquire, which counts
// against a bona fide medium and never for an attack.
type modelScorer struct {
	p      *perception.Passive
	frames int // frames sampled per clip
	// unscored lists the media that had no frame with exactly one face.
	unscored []string
}

// simulation is a recapture simulated on every frame of a bona fide medium
// (facegen.SimulateRecapture) seen at webcam size (fitCamera), reported as
// its own attack species.
type simulation struct {
	species string
	// cell is the screen pixel in image pixels; faceDiv, when set, makes it
	// the face's width divided by faceDiv instead (a phone held close).
	cell, faceDiv int
}

// simulations are the two screens of perception's recapture test: a fine
// one (2 px cells) and a coarse one whose cells are a 20th of the face.
var simulations = []simulation{
	{species: "simulated-screen-fine", cell: 2},
	{species: "simulated-screen-coarse", faceDiv: 20},
}

func newModelScorer(cfg perception.PassiveConfig, frames int) *modelScorer {
	return &modelScorer{p: perception.NewPassive(cfg), frames: max(1, frames)}
}

// Score scores the medium at path as it is.
func (m *modelScorer) Score(ctx context.Context, path string) (float64, error) {
	return m.score(ctx, path, nil)
}

// ScoreSimulated scores the medium at path after simulating sim's
// recapture on each of its frames.
func (m *modelScorer) ScoreSimulated(ctx context.Context, path string, sim simulation) (float64, error) {
	return m.score(ctx, path, &sim)
}

func (m *modelScorer) score(ctx context.Context, path string, sim *simulation) (float64, error) {
	frames, err := m.sample(path)
	if err != nil {
		return 0, err
	}
	var scores []float64
	for _, f := range frames {
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		if sim != nil {
			// A recapture is filmed by a camera: the picture on the screen
			// is seen at webcam size, whatever the photo's own size.
			f = fitCamera(f)
			cell := sim.cell
			if sim.faceDiv > 0 {
				r, err := m.p.Check(f)
				if err != nil {
					return 0, err
				}
				if r.Faces != 1 {
					continue
				}
				cell = max(2, r.Face.Box.Dx()/sim.faceDiv)
			}
			f = facegen.SimulateRecapture(f, cell)
		}
		r, err := m.p.Check(f)
		if err != nil {
			return 0, err
		}
		if r.Faces == 1 {
			scores = append(scores, r.Real)
		}
	}
	if len(scores) == 0 {
		name := path
		if sim != nil {
			name += " (" + sim.species + ")"
		}
		m.unscored = append(m.unscored, name)
		return 0, nil
	}
	slices.Sort(scores)
	n := len(scores)
	if n%2 == 1 {
		return scores[n/2], nil
	}
	return (scores[n/2-1] + scores[n/2]) / 2, nil
}

// cameraSize is the frame a simulated recapture is filmed at: the live
// capture's 640×480.
var cameraSize = image.Pt(640, 480)

// fitCamera scales img down (bilinear) to fit cameraSize, keeping its
// aspect; smaller images are returned as they are.
func fitCamera(img image.Image) image.Image {
	b := img.Bounds()
	f := min(float64(cameraSize.X)/float64(b.Dx()), float64(cameraSize.Y)/float64(b.Dy()))
	if f >= 1 {
		return img
	}
	out := image.NewRGBA(image.Rect(0, 0, max(1, int(float64(b.Dx())*f)), max(1, int(float64(b.Dy())*f))))
	xdraw.BiLinear.Scale(out, out.Rect, img, b, xdraw.Src, nil)
	return out
}

// errConvert says how to bring a video the command cannot read into a form
// it can.
var errConvert = errors.New(`convert it to y4m first, e.g. ffmpeg -i CLIP -vf "scale=640:480:force_original_aspect_ratio=decrease,pad=640:480:(ow-iw)/2:(oh-ih)/2,fps=15" -pix_fmt yuv420p -f yuv4mpegpipe clip.y4m`)

// sample returns the frames to score of the medium at path: the image
// itself, or up to m.frames frames evenly spaced over a clip.
func (m *modelScorer) sample(path string) ([]image.Image, error) {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".png", ".jpg", ".jpeg":
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		img, _, err := image.Decode(f)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		return []image.Image{img}, nil
	case ".gif":
		return m.sampleGIF(path)
	case ".y4m":
		return m.sampleY4M(path)
	}
	return nil, fmt.Errorf("%s: the model scorer reads PNG, JPEG, GIF and y4m; %w", path, errConvert)
}

// pick returns up to k indices evenly spaced over n frames, centred in
// their stretches (so neither the first nor the last frame, often a
// transition, is favoured).
func pick(n, k int) []int {
	k = min(k, n)
	out := make([]int, k)
	for i := range out {
		out[i] = (2*i + 1) * n / (2 * k)
	}
	return out
}

func (m *modelScorer) sampleY4M(path string) ([]image.Image, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	// A first pass counts the frames, so the sample spans the whole clip
	// without holding it in memory.
	count := func() (int, error) {
		rd, err := facegen.NewY4MReader(f)
		if err != nil {
			return 0, err
		}
		var fr *facegen.YUVFrame
		for n := 0; ; n++ {
			if fr, err = rd.ReadFrame(fr); errors.Is(err, io.EOF) {
				return n, nil
			} else if err != nil {
				return 0, err
			}
		}
	}
	n, err := count()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	rd, err := facegen.NewY4MReader(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	want := pick(n, m.frames)
	var out []image.Image
	for i := 0; len(want) > 0; i++ {
		fr, err := rd.ReadFrame(nil) // a fresh frame: kept ones must not be overwritten
		if err != nil {
			return nil, fmt.Errorf("%s frame %d: %w", path, i, err)
		}
		if i == want[0] {
			// y4m is studio range, as video is: converted as a player
			// (and upstream's cv2) converts it, not as At reads a JPEG's.
			out = append(out, perception.VideoRGBA(fr.YCbCr()))
			want = want[1:]
		}
	}
	return out, nil
}

// sampleGIF composes the GIF's frames over each other, as a viewer shows
// them, and keeps the sampled ones.
func (m *modelScorer) sampleGIF(path string) ([]image.Image, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	g, err := gif.DecodeAll(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(g.Image) == 0 {
		return nil, fmt.Errorf("%s: no frames", path)
	}
	canvas := image.NewRGBA(image.Rect(0, 0, g.Config.Width, g.Config.Height))
	want := pick(len(g.Image), m.frames)
	var out []image.Image
	for i, fr := range g.Image {
		draw.Draw(canvas, fr.Bounds(), fr, fr.Bounds().Min, draw.Over)
		if len(want) > 0 && i == want[0] {
			c := image.NewRGBA(canvas.Rect)
			copy(c.Pix, canvas.Pix)
			out = append(out, c)
			want = want[1:]
		}
	}
	return out, nil
}

// Close frees the models.
func (m *modelScorer) Close() error { return m.p.Close() }
