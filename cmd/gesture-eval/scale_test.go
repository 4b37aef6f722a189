package main

import (
	"image"
	"testing"
)

func TestDownscalerAveragesCoveredPixels(t *testing.T) {
	// A 4×4 frame of 2×2 blocks (10, 50 / 90, 200) halved is the blocks'
	// values; a flat frame stays flat at any ratio; a 4:3 reduction of a
	// left-dark, right-bright frame keeps the edge's mean.
	src := image.NewGray(image.Rect(0, 0, 4, 4))
	for y := 0; y < 4; y++ {
		for x := 0; x < 4; x++ {
			src.Pix[y*4+x] = [2][2]uint8{{10, 50}, {90, 200}}[y/2][x/2]
		}
	}
	d := downscaler{size: image.Pt(2, 2)}
	out := d.scale(src)
	if got, want := out.Pix, []uint8{10, 50, 90, 200}; string(got) != string(want) {
		t.Fatalf("2×2 of blocks = %v, want %v", got, want)
	}

	flat := image.NewGray(image.Rect(0, 0, 640, 480))
	for i := range flat.Pix {
		flat.Pix[i] = 77
	}
	d = downscaler{size: image.Pt(480, 360)}
	out = d.scale(flat)
	if out.Rect != image.Rect(0, 0, 480, 360) {
		t.Fatalf("size %v", out.Rect)
	}
	for i, v := range out.Pix {
		if v != 77 {
			t.Fatalf("flat frame: pixel %d = %d", i, v)
		}
	}

	edge := image.NewGray(image.Rect(0, 0, 4, 3))
	for y := 0; y < 3; y++ {
		edge.Pix[y*4+2], edge.Pix[y*4+3] = 255, 255
	}
	d = downscaler{size: image.Pt(3, 3)}
	out = d.scale(edge)
	// Output x=1 covers source [4/3, 8/3): 2/3 of a dark pixel, 2/3 of a
	// bright one: the mean grey.
	if got := out.Pix[1]; got < 127 || got > 128 {
		t.Fatalf("edge middle = %d, want 127–128", got)
	}
	if out.Pix[0] != 0 || out.Pix[2] != 255 {
		t.Fatalf("edge sides = %d, %d", out.Pix[0], out.Pix[2])
	}
	if d.scale(flat) == flat || (&downscaler{}).scale(flat) != flat {
		t.Fatal("a frame not larger than the size must come back as is, a larger one scaled")
	}
}

func TestParseSize(t *testing.T) {
	if p, err := parseSize("480x360"); err != nil || p != image.Pt(480, 360) {
		t.Fatalf("480x360: %v %v", p, err)
	}
	if p, err := parseSize(""); err != nil || p != (image.Point{}) {
		t.Fatalf("empty: %v %v", p, err)
	}
	for _, s := range []string{"480", "x360", "4x3", "axb"} {
		if _, err := parseSize(s); err == nil {
			t.Errorf("%q: no error", s)
		}
	}
}
