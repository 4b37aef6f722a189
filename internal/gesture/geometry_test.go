package gesture

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestSolvePoseRecoversKnownPose(t *testing.T) {
	cam := GuessCamera(640, 480)
	f := newFace(1, 1.5)
	r := rand.New(rand.NewPCG(1, 2))
	tests := []state{
		{},
		{yaw: 25},
		{yaw: -25},
		{pitch: 18},
		{pitch: -18},
		{roll: 15},
		{yaw: 40, pitch: -10, roll: 5},
		{yaw: -35, pitch: 12, roll: -8, dist: 900, dx: 60, dy: -40},
		{yaw: 10, mouth: 20},
		{pitch: -5, closeL: 1, closeR: 1},
	}
	for _, s := range tests {
		lm := f.render(cam, s, 0.7, r)
		p := SolvePose(cam, &lm)
		if math.Abs(p.Yaw-s.yaw) > 4 || math.Abs(p.Pitch-s.pitch) > 5 || math.Abs(p.Roll-s.roll) > 3 {
			t.Errorf("state %+v: got yaw %.1f pitch %.1f roll %.1f; want %.0f %.0f %.0f",
				s, p.Yaw, p.Pitch, p.Roll, s.yaw, s.pitch, s.roll)
		}
		if p.RMS > 5 {
			t.Errorf("state %+v: reprojection RMS %.2f px", s, p.RMS)
		}
	}
}

// The sign convention is checked against the picture itself, not the
// solver: the user turning to their own left moves the nose toward larger x.
func TestPoseSignConvention(t *testing.T) {
	cam := GuessCamera(640, 480)
	f := newFace(2, 0)
	neutral := f.render(cam, state{}, 0, nil)
	left := f.render(cam, state{yaw: 20}, 0, nil)
	up := f.render(cam, state{pitch: 15}, 0, nil)
	cw := f.render(cam, state{roll: 10}, 0, nil)
	// Nose tip relative to the midpoint of the eye corners.
	rel := func(lm *Landmarks) (float32, float32) {
		return lm[30].X - (lm[36].X+lm[45].X)/2, lm[30].Y - (lm[36].Y+lm[45].Y)/2
	}
	nx, ny := rel(&neutral)
	lx, _ := rel(&left)
	_, uy := rel(&up)
	if lx <= nx {
		t.Errorf("yaw +20 (user's own left): nose x offset %.1f; want > neutral %.1f", lx, nx)
	}
	if uy >= ny {
		t.Errorf("pitch +15 (up): nose y offset %.1f; want < neutral %.1f", uy, ny)
	}
	// The user's right eye (36–41) is on the image's left.
	if neutral[36].X >= neutral[45].X {
		t.Errorf("point 36 at x=%.0f, 45 at x=%.0f: the user's right eye must be on the image's left", neutral[36].X, neutral[45].X)
	}
	// Clockwise in the image: the image-right eye goes down.
	if cw[45].Y <= cw[36].Y {
		t.Errorf("roll +10: outer corners y %.1f (36) and %.1f (45); want 45 lower", cw[36].Y, cw[45].Y)
	}
	for _, c := range []struct {
		name string
		lm   Landmarks
		want func(Pose) bool
	}{
		{"left", left, func(p Pose) bool { return p.Yaw > 15 }},
		{"up", up, func(p Pose) bool { return p.Pitch > 10 }},
		{"clockwise", cw, func(p Pose) bool { return p.Roll > 7 }},
		{"mirrored left", mirror(&left, 640), func(p Pose) bool { return p.Yaw < -15 }},
	} {
		if p := SolvePose(cam, &c.lm); !c.want(p) {
			t.Errorf("%s: got %+v", c.name, p)
		}
	}
}

func TestEyeAndMouthOpenness(t *testing.T) {
	cam := GuessCamera(640, 480)
	f := newFace(3, 0)
	tests := []struct {
		s                 state
		lOpen, rOpen, mOp bool
	}{
		{state{}, true, true, false},
		{state{closeL: 1}, false, true, false},
		{state{closeR: 1}, true, false, false},
		{state{closeL: 1, closeR: 1}, false, false, false},
		{state{mouth: 20}, true, true, true},
	}
	for _, c := range tests {
		lm := f.render(cam, c.s, 0, nil)
		l, r := EyeOpenness(&lm)
		m := MouthOpenness(&lm)
		if (l > 0.18) != c.lOpen || (r > 0.18) != c.rOpen || (m > 0.25) != c.mOp {
			t.Errorf("state %+v: left eye %.3f right eye %.3f mouth %.3f", c.s, l, r, m)
		}
	}
}

func TestPlanarResidualSeparatesHeadFromPhoto(t *testing.T) {
	cam := GuessCamera(640, 480)
	for seed := uint64(1); seed <= 5; seed++ {
		f := newFace(seed, 1.5)
		r := rand.New(rand.NewPCG(seed, 9))
		neutral := f.render(cam, state{}, 0.5, r)
		for _, s := range []state{{yaw: 20}, {yaw: -20}, {pitch: 15}, {pitch: -15}} {
			real := f.render(cam, s, 0.5, r)
			photo := photoTurn(cam, &neutral, s.yaw*1.5, s.pitch*1.5, 600)
			fake := planarFake(&neutral, &real)
			rr, rp, rf := PlanarResidual(&neutral, &real), PlanarResidual(&neutral, &photo), PlanarResidual(&neutral, &fake)
			if rr < 0.03 {
				t.Errorf("seed %d %+v: real head residual %.4f; want ≥ 0.03", seed, s, rr)
			}
			if rp > 0.01 || rf > 0.01 {
				t.Errorf("seed %d %+v: photo residual %.4f, best planar fake %.4f; want ≤ 0.01", seed, s, rp, rf)
			}
			// The nose moves out of the face plane toward the turn: +x for
			// the user's left, −y (up the face) for up.
			px, py := NoseParallax(&neutral, &real)
			along := px*math.Copysign(1, s.yaw) + 0*py
			if s.yaw == 0 {
				along = -py * math.Copysign(1, s.pitch)
			}
			if along < 0.07 {
				t.Errorf("seed %d %+v: nose parallax (%.4f, %.4f); want ≥ 0.07 toward the turn", seed, s, px, py)
			}
			for _, flat := range []*Landmarks{&photo, &fake} {
				if fx, fy := NoseParallax(&neutral, flat); math.Hypot(fx, fy) > 0.01 {
					t.Errorf("seed %d %+v: flat picture nose parallax (%.4f, %.4f); want ≈ 0", seed, s, fx, fy)
				}
			}
		}
	}
}

func TestFitHomographyExact(t *testing.T) {
	var src, dst Landmarks
	h := Homography{1.1, 0.05, 12, -0.03, 0.95, -7, 1e-4, -2e-4, 1}
	r := rand.New(rand.NewPCG(5, 5))
	for i := range src {
		src[i] = Point{float32(100 + 300*r.Float64()), float32(80 + 300*r.Float64())}
		dst[i] = h.Apply(src[i])
	}
	got := FitHomography(&src, &dst, planarIdx[:])
	for i := range h {
		if math.Abs(got[i]-h[i]) > 1e-3*math.Max(1, math.Abs(h[i])) {
			t.Fatalf("got %v; want %v", got, h)
		}
	}
}

func TestGeometryDoesNotAllocate(t *testing.T) {
	cam := GuessCamera(640, 480)
	f := newFace(1, 1)
	n := f.render(cam, state{}, 0, nil)
	lm := f.render(cam, state{yaw: 20}, 0, nil)
	a := testing.AllocsPerRun(50, func() {
		SolvePose(cam, &lm)
		EyeOpenness(&lm)
		MouthOpenness(&lm)
		PlanarResidual(&n, &lm)
	})
	if a != 0 {
		t.Errorf("got %.1f allocations per call; want 0", a)
	}
}

func BenchmarkSolvePose(b *testing.B) {
	cam := GuessCamera(640, 480)
	f := newFace(1, 1.5)
	lm := f.render(cam, state{yaw: 22, pitch: -6, roll: 3}, 0.7, rand.New(rand.NewPCG(1, 1)))
	b.ReportAllocs()
	for b.Loop() {
		SolvePose(cam, &lm)
	}
}

func BenchmarkPlanarResidual(b *testing.B) {
	cam := GuessCamera(640, 480)
	f := newFace(1, 1.5)
	r := rand.New(rand.NewPCG(1, 1))
	n := f.render(cam, state{}, 0.7, r)
	lm := f.render(cam, state{yaw: 22}, 0.7, r)
	b.ReportAllocs()
	for b.Loop() {
		PlanarResidual(&n, &lm)
	}
}
