// Command spoofprobe prints how MiniFASNet (perception.AntiSpoof) scores
// each test face as the live path sees it, the figures of the README's
// "Why two test faces' renders fail the model" (issue 16):
//
//   - each photo through the passive check (YuNet, then the model);
//   - facegen's live render of it as livegate-client -react makes it
//     (640×480, noise 1.5): a few seconds neutral, then eased turns of 30°
//     and 20°, each frame run through the engine and scored with the
//     engine's box as the live sampler hands it, directly and after a VP8
//     round trip at the client's bitrate: read as video (studio range,
//     AntiSpoof.ScoreVideo, what the server does) and as a JPEG's full range
//     (Score, what it did before), and with YuNet's box;
//   - the framing: the photo downscaled whole so that its face box is as
//     wide as in the render, the same pixels cut to 640×480 around the
//     face, and facegen's frame before any warp at several face scales;
//   - with -footage, every frame of the real clips there, as RGBA and after
//     a studio-range I420 conversion and the same VP8 round trip.
//
// Everything but the footage and the photos is synthetic.
//
//	go run ./cmd/spoofprobe [-faces DIR] [-footage DIR] [-only NAME] [-secs 3] [-kbps 1000]
package main

import (
	"errors"
	"flag"
	"fmt"
	"image"
	"image/draw"
	_ "image/jpeg" // the test photos
	_ "image/png"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	xdraw "golang.org/x/image/draw"

	"github.com/livegate/livegate/internal/codec/vpx"
	"github.com/livegate/livegate/internal/facegen"
	"github.com/livegate/livegate/internal/gesture"
	"github.com/livegate/livegate/internal/perception"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "spoofprobe:", err)
		os.Exit(1)
	}
}

const frameW, frameH = 640, 480

type probe struct {
	as   *perception.AntiSpoof
	det  *perception.Detector // 320 wide, as the live engine detects
	wide *perception.Detector // 640 wide, for the framing figures
	mod  *perception.Models
	rnd  *facegen.Renderer
	pass *perception.Passive
	kbps int
	out  io.Writer
}

func run(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("spoofprobe", flag.ContinueOnError)
	faces := fs.String("faces", "testdata/faces", "folder of face photos (JPEG, PNG)")
	footage := fs.String("footage", "", "folder of real clips (anything OpenCV reads), scored frame by frame")
	only := fs.String("only", "", "only the photos and clips whose name contains this")
	secs := fs.Float64("secs", 3, "seconds of neutral render")
	kbps := fs.Int("kbps", 1000, "VP8 bitrate (the test client's default)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	p := &probe{kbps: *kbps, out: out, pass: perception.NewPassive(perception.PassiveConfig{})}
	defer p.pass.Close()
	v2, v1se, err := perception.FindMiniFASNet("", "")
	if err != nil {
		return err
	}
	if p.as, err = perception.NewAntiSpoof(v2, v1se); err != nil {
		return err
	}
	defer p.as.Close()
	yn, err := perception.FindYuNet("")
	if err != nil {
		return err
	}
	if p.det, err = perception.NewDetector(yn); err != nil {
		return err
	}
	defer p.det.Close()
	if p.wide, err = perception.NewDetector(yn, perception.WithMaxInputWidth(frameW)); err != nil {
		return err
	}
	defer p.wide.Close()
	if p.mod, err = perception.Load(perception.FootageConfig()); err != nil {
		return err
	}
	defer p.mod.Close()
	p.rnd = facegen.NewRenderer(facegen.EngineLandmarks(perception.LazyPhotoLandmarks(perception.FootageConfig())))
	if dir, err := facegen.DefaultCacheDir(); err == nil {
		p.rnd.CacheDir = dir
	}
	photos, err := media(*faces, *only)
	if err != nil {
		return err
	}
	var clips []string
	if *footage != "" {
		if clips, err = media(*footage, *only); err != nil {
			return err
		}
	}
	if len(photos)+len(clips) == 0 {
		return fmt.Errorf("no photo in %s and no clip in %q whose name contains %q", *faces, *footage, *only)
	}
	for _, ph := range photos {
		if err := p.face(ph, *secs); err != nil {
			return fmt.Errorf("%s: %w", ph, err)
		}
	}
	for _, c := range clips {
		if err := p.clip(c); err != nil {
			return fmt.Errorf("%s: %w", c, err)
		}
	}
	return nil
}

// media lists the files of dir (README.md aside) whose name contains only.
func media(dir, only string) ([]string, error) {
	all, err := filepath.Glob(filepath.Join(dir, "*.*"))
	if err != nil {
		return nil, err
	}
	var out []string
	for _, f := range all {
		if !strings.HasSuffix(f, ".md") && strings.Contains(filepath.Base(f), only) {
			out = append(out, f)
		}
	}
	return out, nil
}

// series are one stream's scores: the engine's box read as video, the
// same read as full range (the old live path), and YuNet's box as video.
type series struct{ video, full, yunet []float64 }

// add scores img (a frame of the stream, seen by the engine as o).
func (p *probe) add(s *series, img image.Image, o gesture.Observation) error {
	if o.Track == 0 || o.Box.Empty() {
		return nil
	}
	faces, err := p.det.Detect(gesture.ToGray(img))
	if err != nil || len(faces) == 0 {
		return err
	}
	box := gesture.Face{Box: o.Box, Score: 1}
	v, err := p.as.ScoreVideo(img, box)
	if err != nil {
		return err
	}
	f, err := p.as.Score(img, box)
	if err != nil {
		return err
	}
	y, err := p.as.ScoreVideo(img, faces[0])
	if err != nil {
		return err
	}
	s.video, s.full, s.yunet = append(s.video, v), append(s.full, f), append(s.yunet, y)
	return nil
}

func (p *probe) print(name string, s *series) {
	fmt.Fprintf(p.out, "  %-34s engine box, video range  %s\n", name, quantiles(s.video))
	fmt.Fprintf(p.out, "  %-34s engine box, full range   %s\n", "", quantiles(s.full))
	fmt.Fprintf(p.out, "  %-34s YuNet box, video range   %s\n", "", quantiles(s.yunet))
}

func quantiles(xs []float64) string {
	if len(xs) == 0 {
		return "no frame scored"
	}
	s := slices.Sorted(slices.Values(xs))
	at := func(q float64) float64 { return s[int(math.Round(q*float64(len(s)-1)))] }
	return fmt.Sprintf("n %4d  min %.3f  p25 %.3f  median %.3f  p75 %.3f  max %.3f", len(s), s[0], at(0.25), at(0.5), at(0.75), s[len(s)-1])
}

// states are the render's poses: secs of neutral, then each turn of the
// reactive person (30° left and right, 20° up and down) eased in over
// 0.45 s, held, and back to neutral.
func states(secs float64) (neutral int, all []facegen.State) {
	neutral = int(secs * 15)
	for range neutral {
		all = append(all, facegen.Neutral)
	}
	for _, g := range []facegen.State{{Yaw: 30}, {Yaw: -30}, {Pitch: 20}, {Pitch: -20}} {
		for k := 0; k <= 12; k++ {
			a := 0.5 - 0.5*math.Cos(math.Pi*float64(min(k, 7))/7)
			s := facegen.Neutral
			s.Yaw, s.Pitch = g.Yaw*a, g.Pitch*a
			all = append(all, s)
		}
		for range 5 {
			all = append(all, facegen.Neutral)
		}
	}
	return neutral, all
}

func (p *probe) face(path string, secs float64) error {
	ph, err := p.rnd.LoadPhoto(path)
	if err != nil {
		return err
	}
	r, err := p.pass.Check(ph.Img)
	if err != nil {
		return err
	}
	fmt.Fprintf(p.out, "%s\n  photo, passive check (YuNet box %v): %.3f\n", filepath.Base(path), r.Face.Box, r.Real)

	live, err := p.rnd.NewLive(facegen.Params{Face: path, Seed: 1, Noise: 1.5})
	if err != nil {
		return err
	}
	enc, err := vpx.NewEncoder(frameW, frameH, 15, p.kbps)
	if err != nil {
		return err
	}
	defer enc.Close()
	dec, err := vpx.NewDecoder()
	if err != nil {
		return err
	}
	defer dec.Close()
	direct, err := p.mod.NewEngine()
	if err != nil {
		return err
	}
	coded, err := p.mod.NewEngine()
	if err != nil {
		return err
	}
	var got [4]series // neutral, neutral VP8, turns, turns VP8
	nNeutral, sts := states(secs)
	var dst *image.YCbCr
	t0 := time.Unix(0, 0)
	for i, st := range sts {
		t := time.Duration(i) * time.Second / 15
		fr := clone(live.Frame(t, st).YCbCr())
		k := 0
		if i >= nNeutral {
			k = 2
		}
		if err := p.add(&got[k], fr, direct.Process(gesture.ToGray(fr), t0.Add(t))); err != nil {
			return err
		}
		b, _, err := enc.Encode(fr, i == 0)
		if err != nil {
			return err
		}
		if dst, err = dec.DecodeYCbCr(b, dst); err != nil {
			return err
		}
		if err := p.add(&got[k+1], dst, coded.Process(gesture.ToGray(dst), t0.Add(t))); err != nil {
			return err
		}
	}
	for k, name := range []string{"render, neutral", fmt.Sprintf("render, neutral, VP8 %d kbit/s", p.kbps), "render, turns", fmt.Sprintf("render, turns, VP8 %d kbit/s", p.kbps)} {
		p.print(name, &got[k])
	}
	return p.framing(ph)
}

// framing scores the photo at the render's face size with and without the
// context around the face, and facegen's unwarped frame at several scales.
func (p *probe) framing(ph *facegen.Photo) error {
	score := func(img image.Image) string {
		faces, err := p.wide.Detect(gesture.ToGray(img))
		if err != nil || len(faces) == 0 {
			return "no face"
		}
		s, err := p.as.Score(img, faces[0])
		if err != nil {
			return err.Error()
		}
		b, f := img.Bounds(), faces[0].Box
		fit := min(float64(b.Dy()-1)/float64(f.Dy()), float64(b.Dx()-1)/float64(f.Dx()))
		return fmt.Sprintf("%.3f (box %d px tall, crops ≤ %.1f×)", s, f.Dy(), fit)
	}
	pb := ph.Img.Bounds()
	faces, err := p.wide.Detect(gesture.ToGray(ph.Img))
	if err != nil {
		return err
	}
	if len(faces) == 0 {
		return errors.New("no face in the photo")
	}
	f0 := faces[0].Box
	k := 230 / float64(f0.Dx()) // the render's YuNet box is about 230 px wide
	small := image.NewRGBA(image.Rect(0, 0, int(float64(pb.Dx())*k), int(float64(pb.Dy())*k)))
	xdraw.CatmullRom.Scale(small, small.Rect, ph.Img, pb, xdraw.Src, nil)
	fmt.Fprintf(p.out, "  whole photo, face box 230 px wide: %s\n", score(small))
	c := image.Pt(int(float64(f0.Min.X+f0.Max.X)/2*k), int(float64(f0.Min.Y+f0.Max.Y)/2*k))
	for _, sz := range []image.Point{{frameW, frameH}, {900, 900}} {
		cut := image.NewRGBA(image.Rect(0, 0, sz.X, sz.Y))
		draw.Draw(cut, cut.Rect, small, c.Sub(sz.Div(2)), draw.Src)
		fmt.Fprintf(p.out, "  same pixels cut to %dx%d round the face (black outside the photo): %s\n", sz.X, sz.Y, score(cut))
	}
	for _, s := range []float64{0.15, 0.2, 0.25, 0.3, 0.35, 0.45} {
		face, err := facegen.NewFace(ph.Img, ph.LM, facegen.FaceOptions{Width: frameW, Height: frameH, Scale: s})
		if err != nil {
			return err
		}
		fmt.Fprintf(p.out, "  facegen frame before warp, light and noise, face scale %.2f: %s\n", s, score(face.Background()))
	}
	return nil
}

func clone(src *image.YCbCr) *image.YCbCr {
	d := image.NewYCbCr(src.Rect, src.SubsampleRatio)
	copy(d.Y, src.Y)
	copy(d.Cb, src.Cb)
	copy(d.Cr, src.Cr)
	return d
}

// clip scores every frame of a real clip, letterboxed to 640×480: as RGBA,
// and after a studio-range I420 conversion and a VP8 round trip.
func (p *probe) clip(path string) error {
	direct, err := p.mod.NewEngine()
	if err != nil {
		return err
	}
	coded, err := p.mod.NewEngine()
	if err != nil {
		return err
	}
	enc, err := vpx.NewEncoder(frameW, frameH, 15, p.kbps)
	if err != nil {
		return err
	}
	defer enc.Close()
	dec, err := vpx.NewDecoder()
	if err != nil {
		return err
	}
	defer dec.Close()
	var rgba, vp8 series
	var dst *image.YCbCr
	n := 0
	t0 := time.Unix(0, 0)
	err = perception.ReadVideoRGBA(path, frameW, frameH, func(img *image.RGBA) error {
		t := t0.Add(time.Duration(n) * time.Second / 15)
		if err := p.add(&rgba, img, direct.Process(gesture.ToGray(img), t)); err != nil {
			return err
		}
		b, _, err := enc.Encode(toI420(img), n == 0)
		if err != nil {
			return err
		}
		if dst, err = dec.DecodeYCbCr(b, dst); err != nil {
			return err
		}
		n++
		return p.add(&vp8, dst, coded.Process(gesture.ToGray(dst), t))
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(p.out, "%s (real, %d frames)\n", filepath.Base(path), n)
	p.print("RGBA", &rgba)
	p.print(fmt.Sprintf("I420 studio range, VP8 %d kbit/s", p.kbps), &vp8)
	return nil
}

// toI420 converts to BT.601 studio-range 4:2:0, as a browser's camera path
// hands frames to its VP8 encoder.
func toI420(m *image.RGBA) *image.YCbCr {
	d := image.NewYCbCr(m.Rect, image.YCbCrSubsampleRatio420)
	px := func(x, y int) (r, g, b float64) {
		p := m.Pix[m.PixOffset(x, y):]
		return float64(p[0]), float64(p[1]), float64(p[2])
	}
	for y := m.Rect.Min.Y; y < m.Rect.Max.Y; y++ {
		for x := m.Rect.Min.X; x < m.Rect.Max.X; x++ {
			r, g, b := px(x, y)
			d.Y[d.YOffset(x, y)] = uint8(math.Round(16 + 0.256788*r + 0.504129*g + 0.097906*b))
		}
	}
	for y := m.Rect.Min.Y; y+1 < m.Rect.Max.Y; y += 2 {
		for x := m.Rect.Min.X; x+1 < m.Rect.Max.X; x += 2 {
			var r, g, b float64
			for _, q := range [4]image.Point{{x, y}, {x + 1, y}, {x, y + 1}, {x + 1, y + 1}} {
				rr, gg, bb := px(q.X, q.Y)
				r, g, b = r+rr/4, g+gg/4, b+bb/4
			}
			i := d.COffset(x, y)
			d.Cb[i] = uint8(math.Round(128 - 0.148223*r - 0.290993*g + 0.439216*b))
			d.Cr[i] = uint8(math.Round(128 + 0.439216*r - 0.367788*g - 0.071427*b))
		}
	}
	return d
}
