package facegen

import "math"

// plane is a flat picture of the neutral frame held in front of the camera:
// a print or a screen. At rest it lies fronto-parallel at depth z, so that
// its picture coincides with the neutral frame.
type plane struct {
	f      *Face
	z      float64
	c      Vec3 // centre at rest
	R      Mat3
	T      Vec3
	n      Vec3 // normal after rotation
	halfW  float64
	halfH  float64 // half size of the picture, frame px at rest
	border float64 // px at rest
	cx, cy float64 // centre of the picture at rest, frame px
	rt     Mat3    // R transposed
	facing float64 // cosine between the normal and the view axis
}

func (s *scene) newPlane(st State, halfW, halfH, border float64) *plane {
	f := s.face
	pl := &plane{f: f, z: f.z0 + 40, halfW: halfW, halfH: halfH, border: border}
	pl.cx, pl.cy = float64(f.W)/2, float64(f.H)/2
	pl.c = f.cam.Unproject(Pt{pl.cx, pl.cy}, pl.z)
	pl.R = HeadRotation(st.Yaw, st.Pitch, st.Roll)
	pl.T = Vec3{st.TX, st.TY, 0}
	for i := 0; i < 3; i++ {
		for j := 0; j < 3; j++ {
			pl.rt[i*3+j] = pl.R[j*3+i]
		}
	}
	pl.n = pl.R.Apply(Vec3{0, 0, 1})
	pl.facing = math.Abs(pl.n.Z)
	return pl
}

// toPicture maps a frame pixel to the picture's rest position (frame px);
// ok is false when the ray misses the plane.
func (pl *plane) toPicture(x, y float64) (Pt, bool) {
	cam := pl.f.cam
	d := Vec3{(x - cam.Cx) / cam.F, (y - cam.Cy) / cam.F, 1}
	c := pl.c.Add(pl.T)
	den := dot(pl.n, d)
	if math.Abs(den) < 1e-9 {
		return Pt{}, false
	}
	t := dot(pl.n, c) / den
	if t <= 0 {
		return Pt{}, false
	}
	p := Vec3{d.X * t, d.Y * t, d.Z * t}
	local := pl.rt.Apply(p.Sub(c))
	q := pl.c.Add(local)
	return cam.Project(q), true
}

// fromPicture maps a point of the picture at rest to the frame.
func (pl *plane) fromPicture(p Pt) Pt {
	v := pl.f.cam.Unproject(p, pl.z)
	return pl.f.cam.Project(RotateAbout(pl.R, pl.c, v).Add(pl.T))
}

// draw paints the plane over the room: pix gives the picture's colour at a
// rest position inside the picture, frame the colour of the frame (paper
// margin or screen bezel).
func (pl *plane) draw(dst, room *rgbImage, pix func(p Pt) (r, g, b float64), frame [3]float64) {
	for y := 0; y < dst.H; y++ {
		for x := 0; x < dst.W; x++ {
			o := 3 * (y*dst.W + x)
			q, ok := pl.toPicture(float64(x), float64(y))
			dx, dy := math.Abs(q.X-pl.cx), math.Abs(q.Y-pl.cy)
			switch {
			case !ok || dx > pl.halfW+pl.border || dy > pl.halfH+pl.border:
				copy(dst.Pix[o:o+3], room.Pix[o:o+3])
			case dx > pl.halfW || dy > pl.halfH:
				for c := 0; c < 3; c++ {
					dst.Pix[o+c] = uint8(frame[c] * (0.8 + 0.2*pl.facing))
				}
			default:
				r, g, b := pix(q)
				k := 0.8 + 0.2*pl.facing
				dst.Pix[o], dst.Pix[o+1], dst.Pix[o+2] = u8(r*k), u8(g*k), u8(b*k)
			}
		}
	}
}

func u8(v float64) uint8 {
	if v <= 0 {
		return 0
	}
	if v >= 255 {
		return 255
	}
	return uint8(v + 0.5)
}

// flat renders a printed photo (the neutral frame, with a paper margin)
// moved and turned as a rigid plane: a pure homography, no parallax.
func (s *scene) flat(st State, rgb *rgbImage) (lm, box []Pt) {
	f := s.face
	pl := s.newPlane(st, math.Min(1.0*f.wf, float64(f.W)/2-2), math.Min(1.3*f.wf, float64(f.H)/2-2), 0.06*f.wf)
	pl.draw(rgb, s.room, func(p Pt) (float64, float64, float64) {
		r, g, b := f.bg.sample(p.X, p.Y)
		// paper: lower contrast, warmer
		return 18 + 0.86*float64(r)*1.02, 16 + 0.86*float64(g), 14 + 0.84*float64(b)
	}, [3]float64{236, 234, 226})
	return pl.project(f.lm[:], f.hairPts(nil))
}

func (pl *plane) project(lm, hair []Pt) (outLM, box []Pt) {
	for _, p := range lm {
		outLM = append(outLM, pl.fromPicture(p))
	}
	box = append([]Pt{}, outLM...)
	for _, p := range hair {
		box = append(box, pl.fromPicture(p))
	}
	return outLM, box
}

// screen renders the live clip replayed on a tablet held in front of the
// camera: a plane with a bezel, moiré from the pixel grid, a cooler white and
// a glare spot.
func (s *scene) screen(rd *renderer, st State, i int, rgb *rgbImage) (lm, box []Pt) {
	f := s.face
	content := newRGB(f.W, f.H)
	f.render(rd, st, content)
	if s.p.Glasses {
		f.drawGlasses(&rd.ps, st, content)
	}
	contentLM := append([]Pt{}, rd.ps.dst[:68]...)
	hair := f.hairPts(&rd.ps)
	t := float64(i) / float64(s.p.FPS)
	hand := State{
		Yaw:   3 * math.Sin(2*math.Pi*0.31*t+s.tl.swayPh[5]),
		Pitch: 2 * math.Sin(2*math.Pi*0.23*t+s.tl.swayPh[6]),
		Roll:  1.5 * math.Sin(2*math.Pi*0.17*t+s.tl.swayPh[7]),
		TX:    3 * math.Sin(2*math.Pi*0.2*t+s.tl.swayPh[1]),
		TY:    2 * math.Sin(2*math.Pi*0.27*t+s.tl.swayPh[2]),
	}
	hw, hh := math.Min(1.05*f.wf, float64(f.W)/2-4), math.Min(1.4*f.wf, float64(f.H)/2-4)
	pl := s.newPlane(hand, hw, hh, 0.09*f.wf)
	// Moiré: two slightly rotated gratings beating against the camera's
	// pixel grid, and faint scan lines.
	phase := 0.4 * t
	pl.draw(rgb, s.room, func(p Pt) (float64, float64, float64) {
		r, g, b := content.sample(p.X, p.Y)
		m := 1 + 0.07*math.Sin(2*math.Pi*(0.093*p.X+0.021*p.Y)+phase)*math.Sin(2*math.Pi*(0.011*p.X-0.087*p.Y)) +
			0.035*math.Sin(2*math.Pi*p.Y/2.7)
		u, v := (p.X-pl.cx)/hw, (p.Y-pl.cy)/hh
		glare := 85 * math.Exp(-((u-0.45)*(u-0.45)+(v+0.55)*(v+0.55))/0.08)
		return (12+0.9*float64(r)*0.95)*m + glare, (12+0.9*float64(g))*m + glare, (14+0.9*float64(b)*1.06)*m + glare
	}, [3]float64{18, 18, 20})
	return pl.project(contentLM, hair)
}
