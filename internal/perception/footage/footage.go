// Package footage is test support: it renders facegen clips with the photo
// landmarks of the engine's own models (perception), failing the test on
// any error, and plays their frames back as grey images. The tests of the
// engine, the server, the live capture and the browser flows all render
// their footage through it, so there is one way to do it.
package footage

import (
	"errors"
	"image"
	"io"
	"os"
	"testing"

	"github.com/livegate/livegate/internal/facegen"
	"github.com/livegate/livegate/internal/perception"
)

// Landmarks finds a test photo's landmarks with the engine's models,
// loaded on first use (only when facegen's cache lacks them).
var Landmarks = facegen.EngineLandmarks(perception.LazyPhotoLandmarks(perception.FootageConfig()))

// Render renders p into dir (facegen's shared cache when dir is ""), or
// finds it there.
func Render(tb testing.TB, dir string, p facegen.Params) facegen.CachedClip {
	tb.Helper()
	c, err := facegen.Cached(dir, p, Landmarks)
	if err != nil {
		tb.Fatalf("facegen %q: %v; run `make test`", p.Script, err)
	}
	return c
}

// Play calls fn with each frame of the y4m clip at path, in order, as a
// grey image (its luma, reused between calls) and the frame's index, until
// the clip ends or fn returns false.
func Play(tb testing.TB, path string, fn func(n int, img *image.Gray) bool) {
	tb.Helper()
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	rd, err := facegen.NewY4MReader(f)
	if err != nil {
		tb.Fatalf("%s: %v", path, err)
	}
	img := &image.Gray{Stride: rd.Header.Width, Rect: image.Rect(0, 0, rd.Header.Width, rd.Header.Height)}
	var fr *facegen.YUVFrame
	for n := 0; ; n++ {
		if fr, err = rd.ReadFrame(fr); errors.Is(err, io.EOF) {
			return
		} else if err != nil {
			tb.Fatalf("%s frame %d: %v", path, n, err)
		}
		img.Pix = fr.Y
		if !fn(n, img) {
			return
		}
	}
}

// Frame returns a copy of frame i of the clip at path; the test fails when
// the clip is shorter.
func Frame(tb testing.TB, path string, i int) *image.Gray {
	tb.Helper()
	var out *image.Gray
	Play(tb, path, func(n int, img *image.Gray) bool {
		if n < i {
			return true
		}
		out = image.NewGray(img.Rect)
		copy(out.Pix, img.Pix)
		return false
	})
	if out == nil {
		tb.Fatalf("%s has no frame %d", path, i)
	}
	return out
}
