// Command facegen renders synthetic face video with per-frame ground truth
// from one frontal photo, for the tests of the gesture engine, the media
// pipeline and the pages. See package internal/facegen.
//
//	facegen -face PHOTO -script "neutral 1s; HEAD_LEFT 30deg 1.5s; neutral 1s; HEAD_00 0.4s; HEAD_OPEN_MOUTH 1s" -out clip.y4m
//
// writes clip.y4m (YUV4MPEG2 4:2:0, C420) and clip.truth.json; with
// -contact-sheet out.png it also draws a grid of frames with their truth.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/livegate/livegate/internal/facegen"
	"github.com/livegate/livegate/internal/perception"
)

// DefaultScript is the script used when -script is not given.
const DefaultScript = "neutral 1s; HEAD_LEFT 30deg 1.5s; neutral 1s; HEAD_00 1.3s; neutral 0.6s; HEAD_OPEN_MOUTH 1s; neutral 0.5s"

func main() {
	if err := run(os.Args[1:], os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "facegen:", err)
		os.Exit(1)
	}
}

func run(args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("facegen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		p      facegen.Params
		size   = fs.String("size", "640x480", "frame size WxH (even)")
		out    = fs.String("out", "", "output video (.y4m); the truth goes to the same name with .truth.json")
		sheet  = fs.String("contact-sheet", "", "also write a contact sheet (PNG) of the clip's frames with their truth")
		cols   = fs.Int("sheet-cols", 4, "columns of the contact sheet")
		tiles  = fs.Int("sheet-frames", 12, "frames on the contact sheet")
		seed   = fs.Uint64("seed", 1, "seed of sway, blinks and noise")
		cache  = fs.String("cache", "", "directory for the photos' landmarks (default: the user's cache dir)")
		models = perception.FootageConfig()
	)
	fs.StringVar(&p.Face, "face", "", "frontal face photo, JPEG or PNG (default: testdata/faces/mazie-hirono.jpg)")
	fs.StringVar(&p.Script, "script", DefaultScript, "gesture script, e.g. \"neutral 1s; HEAD_LEFT 30deg 1.5s; HEAD_00 0.4s\"")
	fs.IntVar(&p.FPS, "fps", 15, "frames per second")
	fs.StringVar(&p.Light, "light", "normal", "lighting: normal, dark, backlit, bright")
	fs.Float64Var(&p.Noise, "noise", 0, "sensor noise σ in luma levels")
	fs.BoolVar(&p.Blur, "blur", false, "motion blur")
	fs.Float64Var(&p.Scale, "scale", 0.35, "face width as a fraction of the frame width, 0.2 (far) .. 0.6 (near)")
	fs.BoolVar(&p.Glasses, "glasses", false, "draw glasses")
	fs.StringVar(&p.SecondFace, "second-face", "", "photo of a second person placed in the background")
	fs.StringVar(&p.Attack, "attack", "none", "attack: none, flat (moved print), still (still photo), screen (replay on a screen), loop (frames repeat exactly)")
	fs.IntVar(&p.Loops, "loops", 3, "plays of the clip for -attack loop")
	fs.BoolVar(&p.NoSway, "no-sway", false, "no head sway")
	fs.BoolVar(&p.NoBlinks, "no-blinks", false, "no natural blinks")
	fs.StringVar(&models.YuNet, "yunet", models.YuNet, "YuNet 2022mar model")
	fs.StringVar(&models.Landmarks, "landmarks", models.Landmarks, "dlib 68-point shape predictor")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: facegen [flags] -out clip.y4m | -contact-sheet sheet.png")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if *out == "" && *sheet == "" {
		fs.Usage()
		return errors.New("need -out or -contact-sheet")
	}
	if _, err := fmt.Sscanf(strings.ToLower(*size), "%dx%d", &p.Width, &p.Height); err != nil {
		return fmt.Errorf("bad -size %q: want WxH such as 640x480", *size)
	}
	p.Seed = *seed
	if p.Attack != facegen.AttackLoop {
		p.Loops = 0
	}
	if p.Face == "" {
		f, err := facegen.TestFace("")
		if err != nil {
			return fmt.Errorf("no -face given and %v", err)
		}
		p.Face = f
	}
	r := facegen.NewRenderer(facegen.EngineLandmarks(perception.LazyPhotoLandmarks(models)))
	r.CacheDir = *cache
	if r.CacheDir == "" {
		d, err := facegen.DefaultCacheDir()
		if err != nil {
			return err
		}
		r.CacheDir = d
	}
	start := time.Now()
	if *sheet == "" {
		return writeClip(r, p, *out, stderr, start)
	}
	clip, err := r.Render(p)
	if err != nil {
		return err
	}
	if *out != "" {
		if err := saveClip(clip, *out); err != nil {
			return err
		}
	}
	frames := map[int]*facegen.YUVFrame{}
	which := facegen.ContactSheetFrames(&clip.Truth, *tiles)
	for _, i := range which {
		frames[i] = clip.Frames[i]
	}
	if err := facegen.ContactSheet(*sheet, &clip.Truth, frames, which, *cols); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "facegen: %d frames in %v\n", len(clip.Frames), time.Since(start).Round(time.Millisecond))
	return nil
}

// TruthPath is where the truth of a video goes: clip.y4m → clip.truth.json.
func TruthPath(video string) string {
	return strings.TrimSuffix(video, filepath.Ext(video)) + ".truth.json"
}

func writeClip(r *facegen.Renderer, p facegen.Params, out string, stderr io.Writer, start time.Time) error {
	vf, err := os.Create(out)
	if err != nil {
		return err
	}
	tf, err := os.Create(TruthPath(out))
	if err != nil {
		vf.Close()
		return err
	}
	err = r.WriteClip(p, vf, tf)
	if cerr := vf.Close(); err == nil {
		err = cerr
	}
	if cerr := tf.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(out)
		os.Remove(TruthPath(out))
		return err
	}
	fmt.Fprintf(stderr, "facegen: wrote %s and %s in %v\n", out, TruthPath(out), time.Since(start).Round(time.Millisecond))
	return nil
}

func saveClip(c *facegen.Clip, out string) error {
	vf, err := os.Create(out)
	if err != nil {
		return err
	}
	defer vf.Close()
	if err := c.WriteTo(vf, nil); err != nil {
		return err
	}
	tf, err := os.Create(TruthPath(out))
	if err != nil {
		return err
	}
	defer tf.Close()
	if err := c.WriteTo(nil, tf); err != nil {
		return err
	}
	if err := vf.Close(); err != nil {
		return err
	}
	return tf.Close()
}
