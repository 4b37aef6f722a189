package facegen_test

import (
	"image"
	"image/color"
	"image/draw"
	"testing"

	"github.com/livegate/livegate/internal/facegen"
)

// TestSimulateRecapture: the simulation keeps the picture's bounds, darkens
// the gaps between screen pixels (so a flat grey picture gains a grid) and
// casts it cool (more blue than red).
func TestSimulateRecapture(t *testing.T) {
	src := image.NewRGBA(image.Rect(10, 20, 74, 68))
	draw.Draw(src, src.Rect, &image.Uniform{color.RGBA{128, 128, 128, 255}}, image.Point{}, draw.Src)
	out := facegen.SimulateRecapture(src, 8)
	if out.Rect != src.Rect {
		t.Fatalf("bounds %v; want %v", out.Rect, src.Rect)
	}
	luma := func(x, y int) int { c := out.RGBAAt(x, y); return int(c.G) }
	// Column 7 of each 8-pixel cell is a gap; column 3 is the cell's middle.
	gap, mid := luma(src.Rect.Min.X+15, src.Rect.Min.Y+3), luma(src.Rect.Min.X+11, src.Rect.Min.Y+3)
	if gap >= mid-10 {
		t.Errorf("gap %d not darker than the cell's middle %d", gap, mid)
	}
	c := out.RGBAAt(src.Rect.Min.X+11, src.Rect.Min.Y+3)
	if c.B <= c.R {
		t.Errorf("colour %v: want a cool cast (blue above red)", c)
	}
	if small := facegen.SimulateRecapture(src, 0); small.Rect != src.Rect {
		t.Errorf("cell 0: bounds %v", small.Rect)
	}
}
