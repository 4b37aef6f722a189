package facegen

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
)

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }

// light applies the lighting of the clip. box holds the points of the face,
// which backlighting darkens against a bright background.
func (s *scene) light(rgb *rgbImage, box []Pt) {
	switch s.p.Light {
	case LightDark:
		var lut [256]uint8
		for v := range lut {
			lut[v] = uint8(math.Round(255 * 0.33 * math.Pow(float64(v)/255, 1.15)))
		}
		for j, v := range rgb.Pix {
			rgb.Pix[j] = lut[v]
		}
	case LightBright:
		var lut [256]uint8
		for v := range lut {
			lut[v] = uint8(math.Min(255, math.Round(float64(v)*1.45+18)))
		}
		for j, v := range rgb.Pix {
			rgb.Pix[j] = lut[v]
		}
	case LightBacklit:
		b := boxOf(box, rgb.W, rgb.H)
		cx, cy := float64(b.X)+float64(b.W)/2, float64(b.Y)+float64(b.H)/2
		rx, ry := 0.62*float64(b.W)+1, 0.62*float64(b.H)+1
		for y := 0; y < rgb.H; y++ {
			for x := 0; x < rgb.W; x++ {
				dx, dy := (float64(x)-cx)/rx, (float64(y)-cy)/ry
				d := math.Sqrt(dx*dx + dy*dy)
				// m = 1 on the face, 0 in the background, soft between.
				m := 1 - ease((d-0.75)/0.5)
				if y > int(cy) { // the body below the face is in shadow too
					m = math.Max(m, 0.7*ease((float64(y)-cy-0.3*ry)/ry)*(1-ease((math.Abs(dx)-1.6)/0.8)))
				}
				o := 3 * (y*rgb.W + x)
				for c := 0; c < 3; c++ {
					v := float64(rgb.Pix[o+c])
					fg := 0.42 * v
					bg := math.Min(255, 1.25*v+90)
					rgb.Pix[o+c] = uint8(m*fg + (1-m)*bg)
				}
			}
		}
	}
}

// toYUV converts rgb to I420 with BT.601 studio-range coefficients and adds
// Gaussian sensor noise of σ luma levels (seeded per frame).
func toYUV(rgb *rgbImage, f *YUVFrame, sigma float64, seed uint64, frame int) {
	w, h := rgb.W, rgb.H
	var rng *rand.Rand
	if sigma > 0 {
		rng = rand.New(rand.NewPCG(seed^0x6e6f697365, uint64(frame)))
	}
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			o := 3 * (y*w + x)
			r, g, b := int32(rgb.Pix[o]), int32(rgb.Pix[o+1]), int32(rgb.Pix[o+2])
			yy := ((66*r + 129*g + 25*b + 128) >> 8) + 16
			if rng != nil {
				yy += int32(math.Round(rng.NormFloat64() * sigma))
			}
			f.Y[y*w+x] = clamp8(yy)
		}
	}
	for y := 0; y < h/2; y++ {
		for x := 0; x < w/2; x++ {
			var r, g, b int32
			for _, o := range [4]int{3 * (2*y*w + 2*x), 3 * (2*y*w + 2*x + 1), 3 * ((2*y+1)*w + 2*x), 3 * ((2*y+1)*w + 2*x + 1)} {
				r += int32(rgb.Pix[o])
				g += int32(rgb.Pix[o+1])
				b += int32(rgb.Pix[o+2])
			}
			r, g, b = (r+2)/4, (g+2)/4, (b+2)/4
			u := ((-38*r - 74*g + 112*b + 128) >> 8) + 128
			v := ((112*r - 94*g - 18*b + 128) >> 8) + 128
			if rng != nil {
				u += int32(math.Round(rng.NormFloat64() * sigma / 2))
				v += int32(math.Round(rng.NormFloat64() * sigma / 2))
			}
			f.U[y*w/2+x], f.V[y*w/2+x] = clamp8(u), clamp8(v)
		}
	}
}

// drawGlasses draws a pair of glasses in front of the eyes in pose ps:
// rims 18 mm in front of the eyes, a bridge and the temples going back to
// the ears, each projected with the head.
func (f *Face) drawGlasses(ps *pose, st State, rgb *rgbImage) {
	L := f.lm
	ex, ey := faceAxes(L)
	thick := math.Max(1.6, 0.011*f.wf)
	col := [3]float64{28, 22, 20}
	var rims [2][]Pt
	var inner, outer [2]Pt
	for k, eye := range [2][2]int{{36, 39}, {42, 45}} {
		c := mid(L[eye[0]], L[eye[1]])
		c = add(c, scale(ey, 0.01*f.wf))
		ew := dist(L[eye[0]], L[eye[1]])
		rx, ry := 0.95*ew, 0.62*ew
		zr := (landmarkDepth[eye[0]]+landmarkDepth[eye[1]])/2 + 20
		for a := 0; a < 28; a++ {
			t := float64(a) * 2 * math.Pi / 28
			// a rounded rectangle, flatter at the top
			cx, cy := math.Cos(t), math.Sin(t)
			cx = math.Copysign(math.Pow(math.Abs(cx), 0.7), cx)
			cy = math.Copysign(math.Pow(math.Abs(cy), 0.8), cy)
			p := add(c, add(scale(ex, rx*cx), scale(ey, ry*cy)))
			q, _ := f.place(p, zr, vHead, ps)
			rims[k] = append(rims[k], q)
		}
		side := -1.0
		if k == 1 {
			side = 1
		}
		in := add(c, scale(ex, -side*rx))
		out := add(c, scale(ex, side*rx))
		inner[k], _ = f.place(add(in, scale(ey, -0.2*ry)), zr, vHead, ps)
		outer[k], _ = f.place(add(out, scale(ey, -0.35*ry)), zr, vHead, ps)
	}
	// Lenses: a faint reflection.
	for _, r := range rims {
		fillPolygon(r, rgb.W, rgb.H, func(x, y int) {
			o := 3 * (y*rgb.W + x)
			for c := 0; c < 3; c++ {
				rgb.Pix[o+c] = uint8(0.9*float64(rgb.Pix[o+c]) + 0.1*225)
			}
		})
	}
	for _, r := range rims {
		for a := range r {
			drawLine(rgb, r[a], r[(a+1)%len(r)], thick, col, 1)
		}
	}
	drawLine(rgb, inner[0], inner[1], thick, col, 1)
	// Temples, toward the ears; the one on the far side is hidden by the head.
	for k, j := range []int{0, 16} {
		if (k == 0 && st.Yaw < -12) || (k == 1 && st.Yaw > 12) {
			continue
		}
		ear := add(L[j], scale(ey, -0.06*f.wf))
		e, _ := f.place(ear, -85, vHead, ps)
		drawLine(rgb, outer[k], e, thick, col, 1)
	}
}

// drawLine draws an anti-aliased segment of the given thickness.
func drawLine(rgb *rgbImage, a, b Pt, thick float64, col [3]float64, alpha float64) {
	r := thick/2 + 1
	x0, x1 := int(math.Floor(math.Min(a.X, b.X)-r)), int(math.Ceil(math.Max(a.X, b.X)+r))
	y0, y1 := int(math.Floor(math.Min(a.Y, b.Y)-r)), int(math.Ceil(math.Max(a.Y, b.Y)+r))
	dx, dy := b.X-a.X, b.Y-a.Y
	l2 := dx*dx + dy*dy
	for y := max(y0, 0); y <= min(y1, rgb.H-1); y++ {
		for x := max(x0, 0); x <= min(x1, rgb.W-1); x++ {
			px, py := float64(x)-a.X, float64(y)-a.Y
			t := 0.0
			if l2 > 0 {
				t = math.Max(0, math.Min(1, (px*dx+py*dy)/l2))
			}
			qx, qy := px-t*dx, py-t*dy
			d := math.Sqrt(qx*qx + qy*qy)
			cov := math.Max(0, math.Min(1, thick/2+0.5-d)) * alpha
			if cov <= 0 {
				continue
			}
			o := 3 * (y*rgb.W + x)
			for c := 0; c < 3; c++ {
				rgb.Pix[o+c] = uint8(float64(rgb.Pix[o+c])*(1-cov) + col[c]*cov)
			}
		}
	}
}

// addSecondFace pastes a second person's head, smaller, into the background
// on the side of the frame, and returns its face box.
func (f *Face) addSecondFace(ph *Photo) (Box, error) {
	L := ph.LM
	wf := dist(L[0], L[16])
	if wf < 20 {
		return Box{}, fmt.Errorf("facegen: second face too small in its photo")
	}
	target := math.Min(0.5*f.wf, 0.2*float64(f.W))
	k := target / wf
	_, ey := faceAxes(L)
	brow := mid(L[19], L[24])
	top := add(brow, scale(ey, -0.35*wf))
	c := mid(top, L[8])
	// Place it to the right of the main head, clear of the head's ring.
	dst := Pt{float64(f.W) - 0.85*target, 0.42 * float64(f.H)}
	ra, rb := 0.85*target, 1.15*target
	x0, x1 := int(dst.X-ra)-2, int(dst.X+ra)+2
	y0, y1 := int(dst.Y-rb)-2, int(dst.Y+rb)+2
	src := toRGB(ph.Img)
	n := 1
	if 1/k > 1.5 {
		n = int(1 / k)
		src = boxDown(src, n)
	}
	b := ph.Img.Bounds()
	for y := y0; y <= y1; y++ {
		for x := x0; x <= x1; x++ {
			dx, dy := (float64(x)-dst.X)/ra, (float64(y)-dst.Y)/rb
			d := math.Sqrt(dx*dx + dy*dy)
			a := 1 - ease((d-0.8)/0.2)
			if a <= 0 {
				continue
			}
			px := (float64(x)-dst.X)/k + c.X
			py := (float64(y)-dst.Y)/k + c.Y
			sr, sg, sb := src.sample((px-float64(b.Min.X)+0.5)/float64(n)-0.5, (py-float64(b.Min.Y)+0.5)/float64(n)-0.5)
			tx, ty := x+int(f.off), y+int(f.off)
			if tx < 0 || ty < 0 || tx >= f.tex.W || ty >= f.tex.H {
				continue
			}
			for ci, v := range [3]int32{sr, sg, sb} {
				o := 3*(ty*f.tex.W+tx) + ci
				f.tex.Pix[o] = uint8(float64(f.tex.Pix[o])*(1-a) + float64(clamp8(v))*a)
				if x >= 0 && y >= 0 && x < f.W && y < f.H {
					f.bg.Pix[3*(y*f.W+x)+ci] = f.tex.Pix[o]
				}
			}
		}
	}
	pts := make([]Pt, 0, 68)
	for i := range L {
		pts = append(pts, Pt{(L[i].X-c.X)*k + dst.X, (L[i].Y-c.Y)*k + dst.Y})
	}
	return boxOf(pts, f.W, f.H), nil
}

// makeRoom paints a plain room (wall, a door frame, a shelf) for the attacks,
// which show a print or a screen in front of a real background.
func makeRoom(w, h int, seed uint64) *rgbImage {
	rng := rand.New(rand.NewPCG(seed, 0x726f6f6d))
	base := [3]float64{150 + 40*rng.Float64(), 140 + 30*rng.Float64(), 120 + 30*rng.Float64()}
	im := newRGB(w, h)
	doorX := int(float64(w) * (0.05 + 0.15*rng.Float64()))
	shelfY := int(float64(h) * (0.2 + 0.1*rng.Float64()))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			k := 0.8 + 0.3*float64(y)/float64(h) - 0.15*math.Abs(float64(x)/float64(w)-0.6)
			col := base
			if x > doorX && x < doorX+w/6 {
				col = [3]float64{base[0] * 0.7, base[1] * 0.6, base[2] * 0.5}
			}
			if y > shelfY && y < shelfY+h/40 && x > w/2 {
				col = [3]float64{90, 70, 55}
			}
			o := 3 * (y*w + x)
			for c := 0; c < 3; c++ {
				im.Pix[o+c] = uint8(math.Min(255, col[c]*k))
			}
		}
	}
	return im
}

func readLandmarks(dir, hash string) (Landmarks, bool) {
	var lm Landmarks
	b, err := os.ReadFile(filepath.Join(dir, "landmarks-"+hash[:32]+".json"))
	if err != nil || json.Unmarshal(b, &lm) != nil {
		return lm, false
	}
	return lm, true
}

func writeLandmarks(dir, hash string, lm Landmarks) error {
	b, _ := json.Marshal(lm)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("facegen: cache: %w", err)
	}
	return writeAtomic(filepath.Join(dir, "landmarks-"+hash[:32]+".json"), b)
}

func writeAtomic(path string, b []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return fmt.Errorf("facegen: cache: %w", err)
	}
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return fmt.Errorf("facegen: cache: %w", err)
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("facegen: cache: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("facegen: cache: %w", err)
	}
	return nil
}
