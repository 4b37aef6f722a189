package facegen

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"
)

// ContactSheetFrames picks the frames a contact sheet shows: the first
// frame, each scripted gesture at full amplitude (half-way through its
// hold) and its return, filled up to max with evenly spaced frames.
func ContactSheetFrames(t *Truth, max int) []int {
	n := len(t.Frames)
	if n == 0 {
		return nil
	}
	seen := map[int]bool{}
	var out []int
	add := func(i int) {
		if i >= 0 && i < n && !seen[i] && len(out) < max {
			seen[i] = true
			out = append(out, i)
		}
	}
	add(0)
	for _, g := range t.Gestures {
		add((g.FullFrame + g.EndFrame) / 2)
	}
	for k := 1; len(out) < max && k < 4*max; k++ {
		before := len(out)
		for j := 1; j < k && len(out) < max; j++ {
			add(j * (n - 1) / k)
		}
		if len(out) == before && k > n {
			break
		}
	}
	sort.Ints(out)
	return out
}

// ContactSheet draws frames of a clip in a grid, cols wide, each at half size
// with its truth written under it, and writes it to path: a JPEG when path
// ends in .jpg or .jpeg, else a PNG. It is pure Go (image/draw and x/image's
// fixed 7×13 font), so the generator needs no OpenCV.
func ContactSheet(path string, t *Truth, frames map[int]*YUVFrame, which []int, cols int) error {
	if len(which) == 0 {
		return fmt.Errorf("facegen: contact sheet: no frames")
	}
	fw, fh := t.Width/2, t.Height/2
	const textH = 72
	rows := (len(which) + cols - 1) / cols
	sheet := image.NewRGBA(image.Rect(0, 0, cols*fw, rows*(fh+textH)))
	draw.Draw(sheet, sheet.Bounds(), image.NewUniform(color.RGBA{30, 30, 30, 255}), image.Point{}, draw.Src)
	text := &font.Drawer{Dst: sheet, Src: image.NewUniform(color.RGBA{235, 235, 235, 255}), Face: basicfont.Face7x13}
	green := color.RGBA{0, 200, 0, 255}
	for k, i := range which {
		f := frames[i]
		if f == nil {
			return fmt.Errorf("facegen: contact sheet: frame %d missing", i)
		}
		x0, y0 := (k%cols)*fw, (k/cols)*(fh+textH)
		halfRGB(f, sheet, image.Pt(x0, y0))
		ft := t.Frames[i]
		var codes []string
		for _, g := range t.Gestures {
			if i >= g.StartFrame && i <= g.EndFrame {
				codes = append(codes, g.Code)
			}
		}
		label := "neutral"
		if len(codes) > 0 {
			label = fmt.Sprint(codes)
		}
		kind := "live"
		if !ft.Live {
			kind = "attack:" + ft.Attack
		}
		lines := []string{
			fmt.Sprintf("#%d t=%.2fs %s", i, float64(ft.Time), label),
			fmt.Sprintf("yaw %+.1f pitch %+.1f roll %+.1f", float64(ft.Yaw), float64(ft.Pitch), float64(ft.Roll)),
			fmt.Sprintf("eyeL %.2f eyeR %.2f mouth %.2f", float64(ft.LeftEye), float64(ft.RightEye), float64(ft.Mouth)),
			fmt.Sprintf("faces %d %s", ft.Faces, kind),
			fmt.Sprintf("box x%d y%d w%d h%d", ft.Box.X, ft.Box.Y, ft.Box.W, ft.Box.H),
		}
		for j, s := range lines {
			text.Dot = fixed.P(x0+4, y0+fh+13+j*14) // the baseline
			text.DrawString(s)
		}
		// face box, scaled to the tile
		b := ft.Box
		outline(sheet, image.Rect(x0+b.X/2, y0+b.Y/2, x0+(b.X+b.W)/2, y0+(b.Y+b.H)/2), green)
	}
	out, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("facegen: contact sheet: %w", err)
	}
	switch strings.ToLower(filepath.Ext(path)) {
	case ".jpg", ".jpeg":
		err = jpeg.Encode(out, sheet, &jpeg.Options{Quality: 95})
	default:
		err = png.Encode(out, sheet)
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("facegen: contact sheet: write %s: %w", path, err)
	}
	return nil
}

// outline draws r's one-pixel border (both corners included, as OpenCV's
// rectangle does), clipped to img.
func outline(img *image.RGBA, r image.Rectangle, c color.RGBA) {
	for x := r.Min.X; x <= r.Max.X; x++ {
		img.SetRGBA(x, r.Min.Y, c)
		img.SetRGBA(x, r.Max.Y, c)
	}
	for y := r.Min.Y; y <= r.Max.Y; y++ {
		img.SetRGBA(r.Min.X, y, c)
		img.SetRGBA(r.Max.X, y, c)
	}
}

// halfRGB converts an I420 frame to RGB at half size, drawn into dst with
// its top-left corner at at.
func halfRGB(f *YUVFrame, dst *image.RGBA, at image.Point) {
	w2, h2 := f.W/2, f.H/2
	for y := 0; y < h2; y++ {
		row := dst.Pix[dst.PixOffset(at.X, at.Y+y):]
		for x := 0; x < w2; x++ {
			yy := (int(f.Y[2*y*f.W+2*x]) + int(f.Y[2*y*f.W+2*x+1]) + int(f.Y[(2*y+1)*f.W+2*x]) + int(f.Y[(2*y+1)*f.W+2*x+1]) + 2) / 4
			u := int(f.U[y*w2+x]) - 128
			v := int(f.V[y*w2+x]) - 128
			c := 298 * (yy - 16)
			r := (c + 409*v + 128) >> 8
			g := (c - 100*u - 208*v + 128) >> 8
			b := (c + 516*u + 128) >> 8
			o := 4 * x
			row[o], row[o+1], row[o+2], row[o+3] = clamp8(int32(r)), clamp8(int32(g)), clamp8(int32(b)), 255
		}
	}
}
