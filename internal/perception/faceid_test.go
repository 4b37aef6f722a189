package perception_test

import (
	"context"
	"errors"
	"flag"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/livegate/livegate/internal/faceid"
	"github.com/livegate/livegate/internal/perception"
)

// updateChips rewrites internal/faceid/testdata/chips from the photos: the crops the
// faceid reference test (and the Node reference script) read.
var updateChips = flag.Bool("update-chips", false, "rewrite internal/faceid/testdata/chips")

var chipDir = filepath.Join("..", "faceid", "testdata", "chips")

// chipPhotos are the photos whose aligned chips are committed.
var chipPhotos = []string{"astronaut.png", "grace-hopper-1984.jpg", "kamala-harris-2021.jpg", "portrait-obama-2012.jpg"}

func newEmbedder(t testing.TB) *perception.FaceEmbedder {
	t.Helper()
	m, err := faceid.LoadDir("")
	if err != nil {
		t.Fatal(err)
	}
	e, err := perception.NewFaceEmbedder(perception.Config{YuNet: yunetModel}, m)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

// TestFaceEmbedderChips: each photo has one face, and its aligned chip is the committed
// one (alignment is deterministic: any change to detection, landmarks or alignment shows
// here first, and the reference embeddings must then be regenerated).
func TestFaceEmbedderChips(t *testing.T) {
	e := newEmbedder(t)
	for _, name := range chipPhotos {
		img := decodeColour(t, filepath.Join("..", "..", "testdata", "faces", name))
		n, chip, err := e.Chip(img)
		if err != nil || n != 1 || chip == nil {
			t.Fatalf("%s: %d faces, chip %v, err %v", name, n, chip != nil, err)
		}
		path := filepath.Join(chipDir, strings.TrimSuffix(name, filepath.Ext(name))+".png")
		if *updateChips {
			f, err := os.Create(path)
			if err != nil {
				t.Fatal(err)
			}
			if err := png.Encode(f, chip); err != nil {
				t.Fatal(err)
			}
			f.Close()
			continue
		}
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		want, err := png.Decode(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		var sum, worst int
		for y := 0; y < faceid.InputSize; y++ {
			for x := 0; x < faceid.InputSize; x++ {
				a := chip.RGBAAt(x, y)
				r, g, b, _ := want.At(x, y).RGBA()
				for _, d := range []int{int(a.R) - int(r>>8), int(a.G) - int(g>>8), int(a.B) - int(b>>8)} {
					d = max(d, -d)
					sum += d
					worst = max(worst, d)
				}
			}
		}
		if mean := float64(sum) / (3 * faceid.InputSize * faceid.InputSize); mean > 0.5 || worst > 8 {
			t.Errorf("%s: chip differs from %s: mean abs %.2f, worst %d", name, path, mean, worst)
		}
	}
}

// TestFaceEmbedderCounts: a photo without a face and two photos side by side give 0 and
// 2 faces and no embedding.
func TestFaceEmbedderCounts(t *testing.T) {
	e := newEmbedder(t)
	blank := image.NewRGBA(image.Rect(0, 0, 320, 240))
	if n, _, err := e.EmbedFace(context.Background(), blank); err != nil || n != 0 {
		t.Errorf("blank image: %d faces, err %v", n, err)
	}
	a := decodeColour(t, filepath.Join("..", "..", "testdata", "faces", "astronaut.png"))
	b := decodeColour(t, filepath.Join("..", "..", "testdata", "faces", "mazie-hirono.jpg"))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := e.EmbedFace(ctx, a); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled request: err %v; want context.Canceled", err)
	}
	pair := sideBySide(a, b, 512)
	if n, emb, err := e.EmbedFace(context.Background(), pair); err != nil || n != 2 || emb != (faceid.Embedding{}) {
		t.Errorf("two photos side by side: %d faces, err %v", n, err)
	}
}

// sideBySide scales a and b to height h (nearest neighbour) and puts them side by side.
func sideBySide(a, b image.Image, h int) *image.RGBA {
	wa := a.Bounds().Dx() * h / a.Bounds().Dy()
	wb := b.Bounds().Dx() * h / b.Bounds().Dy()
	out := image.NewRGBA(image.Rect(0, 0, wa+wb, h))
	put := func(src image.Image, x0, w int) {
		sb := src.Bounds()
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				out.Set(x0+x, y, src.At(sb.Min.X+x*sb.Dx()/w, sb.Min.Y+y*sb.Dy()/h))
			}
		}
	}
	put(a, 0, wa)
	put(b, wa, wb)
	return out
}

// BenchmarkFaceEmbedder: one photo's face found, landmarked and aligned (chip), and
// the same plus the network (embed), in one run so their ratio is the network's share.
func BenchmarkFaceEmbedder(b *testing.B) {
	e := newEmbedder(b)
	img := decodeColour(b, filepath.Join("..", "..", "testdata", "faces", "portrait-obama-2012.jpg"))
	b.Run("chip", func(b *testing.B) {
		for range b.N {
			if n, _, err := e.Chip(img); err != nil || n != 1 {
				b.Fatal(n, err)
			}
		}
	})
	b.Run("embed", func(b *testing.B) {
		for range b.N {
			if n, _, err := e.EmbedFace(context.Background(), img); err != nil || n != 1 {
				b.Fatal(n, err)
			}
		}
	})
}

// TestFaceEmbedderReference: the real portraits are usable references, of high quality
// but for the astronaut's (a face 92 pixels wide: medium); the same portrait blurred or
// shrunk to a thumbnail is refused, for the reason that applies.
func TestFaceEmbedderReference(t *testing.T) {
	e := newEmbedder(t)
	ctx := context.Background()
	for _, name := range []string{"astronaut.png", "grace-hopper-1984.jpg", "kamala-harris-2021.jpg", "mazie-hirono.jpg", "portrait-obama-2012.jpg", "victor-glover-2020.jpg"} {
		img := decodeColour(t, filepath.Join("..", "..", "testdata", "faces", name))
		r, err := e.CheckReference(ctx, img)
		t.Logf("%s: %+v %s %q", name, r.Measures, r.Quality, r.Problem)
		want := faceid.QualityHigh
		if name == "astronaut.png" {
			want = faceid.QualityMedium
		}
		if err != nil || r.Faces != 1 || r.Problem != "" || r.Quality != want || r.Embedding == (faceid.Embedding{}) {
			t.Errorf("%s: %d faces, %s, problem %q, err %v; want a high-quality reference", name, r.Faces, r.Quality, r.Problem, err)
		}
	}
	img := decodeColour(t, filepath.Join("..", "..", "testdata", "faces", "portrait-obama-2012.jpg"))
	for _, tc := range []struct {
		name    string
		img     image.Image
		problem string
	}{
		{"blurred", boxBlur(img, 6), "the face is too blurred"},
		{"thumbnail", sideBySide(img, image.NewRGBA(image.Rect(0, 0, 1, 1)), 90), "the face is too small: at least 60 pixels wide is needed"},
	} {
		r, err := e.CheckReference(ctx, tc.img)
		t.Logf("%s: %d faces %+v %s %q", tc.name, r.Faces, r.Measures, r.Quality, r.Problem)
		if err != nil || r.Faces != 1 || r.Problem != tc.problem || r.Quality != faceid.QualityLow || r.Embedding != (faceid.Embedding{}) {
			t.Errorf("%s: %d faces, %s, problem %q, err %v; want problem %q", tc.name, r.Faces, r.Quality, r.Problem, err, tc.problem)
		}
	}
}

// boxBlur blurs img with a (2r+1)² box, twice.
func boxBlur(img image.Image, r int) *image.RGBA {
	b := img.Bounds()
	src := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	for y := 0; y < b.Dy(); y++ {
		for x := 0; x < b.Dx(); x++ {
			src.Set(x, y, img.At(b.Min.X+x, b.Min.Y+y))
		}
	}
	for pass := 0; pass < 2; pass++ {
		dst := image.NewRGBA(src.Rect)
		w, h := src.Rect.Dx(), src.Rect.Dy()
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				var acc [3]int
				n := 0
				for dy := -r; dy <= r; dy++ {
					for dx := -r; dx <= r; dx++ {
						xx, yy := x+dx, y+dy
						if xx < 0 || yy < 0 || xx >= w || yy >= h {
							continue
						}
						p := src.Pix[yy*src.Stride+4*xx:]
						acc[0] += int(p[0])
						acc[1] += int(p[1])
						acc[2] += int(p[2])
						n++
					}
				}
				o := dst.Pix[y*dst.Stride+4*x:]
				o[0], o[1], o[2], o[3] = uint8(acc[0]/n), uint8(acc[1]/n), uint8(acc[2]/n), 255
			}
		}
		src = dst
	}
	return src
}
