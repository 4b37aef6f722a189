package facegen

import (
	"image"
	"image/draw"
	"math"
)

// SimulateRecapture is a SIMULATION of a photo re-displayed on a screen and
// filmed again, not a real attack: the image is shown on a grid of cell×cell screen
// pixels (each the colour of its top-left source pixel, its last row and
// column darkened as the gaps between a panel's pixels are), overlaid with a
// slanted grating of period 1.55 cells (the moiré of that grid beating
// against the camera's sensor), given a display gamma and a cool cast, and
// blurred. Real recaptures differ (MiniFASNet scores real ones 0.001–0.06
// and most of these as real): whoever reports a score on it must call it a
// simulation. cell is the size of a screen pixel in image pixels; under 1
// counts as 1.
func SimulateRecapture(src image.Image, cell int) *image.RGBA {
	cell = max(1, cell)
	b := src.Bounds()
	w, h := b.Dx(), b.Dy()
	in := image.NewRGBA(b)
	draw.Draw(in, b, src, b.Min, draw.Src)
	out := image.NewRGBA(b)
	period := 1.55 * float64(cell)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			i := in.PixOffset(b.Min.X+x-x%cell, b.Min.Y+y-y%cell)
			grating := 1 + 0.12*math.Sin(2*math.Pi*(float64(y)+0.15*float64(x))/period)
			if x%cell == cell-1 || y%cell == cell-1 {
				grating *= 0.55
			}
			for c, cast := range [3]float64{0.94, 1.0, 1.08} {
				v := float64(in.Pix[i+c]) / 255
				v = math.Pow(v, 0.8) * grating * cast
				out.Pix[out.PixOffset(b.Min.X+x, b.Min.Y+y)+c] = uint8(max(0, min(255, v*255)))
			}
			out.Pix[out.PixOffset(b.Min.X+x, b.Min.Y+y)+3] = 255
		}
	}
	// 3×3 box blur.
	blur := image.NewRGBA(out.Rect)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			for c := range 4 {
				s, n := 0, 0
				for dy := -1; dy <= 1; dy++ {
					for dx := -1; dx <= 1; dx++ {
						if xx, yy := x+dx, y+dy; xx >= 0 && yy >= 0 && xx < w && yy < h {
							s += int(out.Pix[out.PixOffset(b.Min.X+xx, b.Min.Y+yy)+c])
							n++
						}
					}
				}
				blur.Pix[blur.PixOffset(b.Min.X+x, b.Min.Y+y)+c] = uint8(s / n)
			}
		}
	}
	return blur
}
