package main

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	"image/color"
	"image/gif"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/livegate/livegate/internal/facegen"
	"github.com/livegate/livegate/internal/pad"
)

// modelFixture lays out a tiny set scored by the model itself: two real
// photos and a three-frame y4m clip of a third (bona fide), a GIF of a
// blank wall and a blank PNG (attack species "blank": no face, so never
// accepted).
func modelFixture(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	faces := filepath.Join("..", "..", "testdata", "faces")
	for _, name := range []string{"astronaut.png", "mazie-hirono.jpg"} {
		b, err := os.ReadFile(filepath.Join(faces, name))
		if err != nil {
			t.Fatal(err)
		}
		write(t, filepath.Join(dir, "bonafide", name), b)
	}
	// A clip: the Grace Hopper photo, cropped to 480×480 and repeated, in
	// BT.601 studio range as y4m (video) carries it.
	src := decode(t, filepath.Join(faces, "grace-hopper-1984.jpg"))
	var clip bytes.Buffer
	yw, err := facegen.NewY4MWriter(&clip, 480, 480, 15)
	if err != nil {
		t.Fatal(err)
	}
	fr := facegen.NewYUVFrame(480, 480)
	ycc := fr.YCbCr()
	for y := range 480 {
		for x := range 480 {
			r, g, b, _ := src.At(src.Bounds().Min.X+x, src.Bounds().Min.Y+y).RGBA()
			Y, cb, cr := studioYCbCr(float64(r>>8), float64(g>>8), float64(b>>8))
			ycc.Y[ycc.YOffset(x, y)] = Y
			if x%2 == 0 && y%2 == 0 {
				ycc.Cb[ycc.COffset(x, y)], ycc.Cr[ycc.COffset(x, y)] = cb, cr
			}
		}
	}
	for range 3 {
		if err := yw.WriteFrame(fr); err != nil {
			t.Fatal(err)
		}
	}
	if err := yw.Flush(); err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(dir, "bonafide", "clips", "hopper.y4m"), clip.Bytes())

	blank := image.NewPaletted(image.Rect(0, 0, 96, 64), color.Palette{color.Gray{128}, color.Gray{140}})
	var g bytes.Buffer
	if err := gif.EncodeAll(&g, &gif.GIF{Image: []*image.Paletted{blank, blank}, Delay: []int{10, 10}}); err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(dir, "attack", "blank", "wall.gif"), g.Bytes())
	var p bytes.Buffer
	if err := png.Encode(&p, image.NewGray(image.Rect(0, 0, 80, 60))); err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(dir, "attack", "blank", "black.png"), p.Bytes())
	return dir
}

// TestModelScorer runs the command with the model on the tiny set, with
// simulated recaptures, then runs it again on the scores it wrote: the
// real faces pass as bona fide at the model threshold, the blank media are
// never accepted, both simulated species appear, and the two runs agree.
func TestModelScorer(t *testing.T) {
	dir := modelFixture(t)
	samples := filepath.Join(dir, "samples.csv")
	jsonOut := filepath.Join(dir, "report.json")
	var out, errb bytes.Buffer
	err := run(context.Background(), []string{"-bonafide", filepath.Join(dir, "bonafide"), "-attack", filepath.Join(dir, "attack"),
		"-simulate", "-frames", "2", "-samples", samples, "-json-out", jsonOut}, &out, &errb)
	if err != nil {
		t.Fatalf("run: %v (%s)", err, errb.String())
	}
	t.Logf("%s\n%s", errb.String(), out.String())
	raw, err := os.ReadFile(jsonOut)
	if err != nil {
		t.Fatal(err)
	}
	var r pad.Report
	if err := json.Unmarshal(raw, &r); err != nil {
		t.Fatal(err)
	}
	if r.BonaFide != 3 || r.Attacks != 2+2*3 || r.At.PassMark != 0.5 {
		t.Fatalf("got %d bona fide, %d attacks, pass mark %v; want 3, 8, 0.5", r.BonaFide, r.Attacks, r.At.PassMark)
	}
	if r.At.BPCER != 0 {
		t.Errorf("BPCER %v; want every real face to pass", r.At.BPCER)
	}
	species := map[string]pad.SpeciesResult{}
	for _, s := range r.At.Species {
		species[s.Species] = s
	}
	if s := species["blank"]; s.N != 2 || s.Accepted != 0 {
		t.Errorf("blank: %+v; want 2, none accepted", s)
	}
	for _, name := range []string{"simulated-screen-fine", "simulated-screen-coarse"} {
		if species[name].N != 3 {
			t.Errorf("%s: %+v; want 3 samples", name, species[name])
		}
	}
	if !strings.Contains(errb.String(), "no frame with exactly one face") || !strings.Contains(errb.String(), "black.png") {
		t.Errorf("stderr does not list the faceless media:\n%s", errb.String())
	}

	// The samples file is a scores file: the same report without the model
	// (simulated samples are not in the folders, so compare bona fide).
	out.Reset()
	err = run(context.Background(), []string{"-bonafide", filepath.Join(dir, "bonafide"), "-attack", filepath.Join(dir, "attack"),
		"-scores", samples, "-pass", "0.5", "-json"}, &out, &errb)
	if err != nil {
		t.Fatalf("run on the samples: %v", err)
	}
	var r2 pad.Report
	if err := json.Unmarshal(out.Bytes(), &r2); err != nil {
		t.Fatal(err)
	}
	if r2.BonaFide != 3 || r2.At.BPCER != r.At.BPCER || r2.Sweep[0].PassMark != r.Sweep[0].PassMark {
		t.Errorf("re-run on the samples: %+v; want the bona fide side of %+v", r2, r)
	}
}

func TestModelScorerRefusesOtherVideo(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "bonafide", "clip.mp4"), []byte("not read"))
	var out, errb bytes.Buffer
	err := run(context.Background(), []string{"-bonafide", filepath.Join(dir, "bonafide"), "-simulate"}, &out, &errb)
	if err == nil || !strings.Contains(err.Error(), "ffmpeg") {
		t.Errorf("mp4: got %v; want an error that says how to convert it", err)
	}
}

func TestPick(t *testing.T) {
	for _, c := range []struct {
		n, k int
		want []int
	}{{10, 2, []int{2, 7}}, {3, 8, []int{0, 1, 2}}, {100, 4, []int{12, 37, 62, 87}}, {0, 3, []int{}}} {
		got := pick(c.n, c.k)
		if len(got) != len(c.want) {
			t.Errorf("pick(%d, %d) = %v; want %v", c.n, c.k, got, c.want)
			continue
		}
		for i := range got {
			if got[i] != c.want[i] {
				t.Errorf("pick(%d, %d) = %v; want %v", c.n, c.k, got, c.want)
				break
			}
		}
	}
}

func write(t *testing.T, p string, b []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func decode(t *testing.T, p string) image.Image {
	t.Helper()
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, _, err := image.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// studioYCbCr converts R, G, B (0–255) to BT.601 studio range.
func studioYCbCr(r, g, b float64) (y, cb, cr uint8) {
	y = uint8(math.Round(16 + 0.256788*r + 0.504129*g + 0.097906*b))
	cb = uint8(math.Round(128 - 0.148223*r - 0.290993*g + 0.439216*b))
	cr = uint8(math.Round(128 + 0.439216*r - 0.367788*g - 0.071427*b))
	return y, cb, cr
}
