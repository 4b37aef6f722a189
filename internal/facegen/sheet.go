package facegen

import (
	"fmt"
	"image"
	"image/color"
	"sort"

	"gocv.io/x/gocv"
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
// with its truth written under it, and writes it as a PNG file.
func ContactSheet(path string, t *Truth, frames map[int]*YUVFrame, which []int, cols int) error {
	if len(which) == 0 {
		return fmt.Errorf("facegen: contact sheet: no frames")
	}
	fw, fh := t.Width/2, t.Height/2
	const textH = 72
	rows := (len(which) + cols - 1) / cols
	sheet := gocv.NewMatWithSizeFromScalar(gocv.NewScalar(30, 30, 30, 0), rows*(fh+textH), cols*fw, gocv.MatTypeCV8UC3)
	defer sheet.Close()
	buf := make([]byte, fw*fh*3)
	for k, i := range which {
		f := frames[i]
		if f == nil {
			return fmt.Errorf("facegen: contact sheet: frame %d missing", i)
		}
		halfBGR(f, buf)
		tile, err := gocv.NewMatFromBytes(fh, fw, gocv.MatTypeCV8UC3, buf)
		if err != nil {
			return fmt.Errorf("facegen: contact sheet: %w", err)
		}
		x0, y0 := (k%cols)*fw, (k/cols)*(fh+textH)
		roi := sheet.Region(image.Rect(x0, y0, x0+fw, y0+fh))
		tile.CopyTo(&roi)
		roi.Close()
		tile.Close()
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
			gocv.PutText(&sheet, s, image.Pt(x0+4, y0+fh+13+j*14), gocv.FontHersheyPlain, 0.95, color.RGBA{235, 235, 235, 0}, 1)
		}
		// face box, scaled to the tile
		b := ft.Box
		gocv.Rectangle(&sheet, image.Rect(x0+b.X/2, y0+b.Y/2, x0+(b.X+b.W)/2, y0+(b.Y+b.H)/2), color.RGBA{0, 200, 0, 0}, 1)
	}
	if !gocv.IMWrite(path, sheet) {
		return fmt.Errorf("facegen: contact sheet: cannot write %s", path)
	}
	return nil
}

// halfBGR converts an I420 frame to BGR at half size.
func halfBGR(f *YUVFrame, out []byte) {
	w2, h2 := f.W/2, f.H/2
	for y := 0; y < h2; y++ {
		for x := 0; x < w2; x++ {
			yy := (int(f.Y[2*y*f.W+2*x]) + int(f.Y[2*y*f.W+2*x+1]) + int(f.Y[(2*y+1)*f.W+2*x]) + int(f.Y[(2*y+1)*f.W+2*x+1]) + 2) / 4
			u := int(f.U[y*w2+x]) - 128
			v := int(f.V[y*w2+x]) - 128
			c := 298 * (yy - 16)
			r := (c + 409*v + 128) >> 8
			g := (c - 100*u - 208*v + 128) >> 8
			b := (c + 516*u + 128) >> 8
			o := 3 * (y*w2 + x)
			out[o], out[o+1], out[o+2] = clamp8(int32(b)), clamp8(int32(g)), clamp8(int32(r))
		}
	}
}
