package live

import (
	"image"
	"testing"
	"time"

	"github.com/livegate/livegate/internal/gesture"
	"github.com/livegate/livegate/internal/session"
)

// These tests drive passiveCheck with hand-built observations at 15
// frames per second (t0 and frontal are sample_test.go's).

const frameStep = time.Second / 15

// still is a frontal face of good size and light, yaw and pitch as given.
func still(i int, yaw, pitch float64) gesture.Observation {
	o := frontal(time.Duration(i)*frameStep, 0.3, yaw)
	o.Pitch = pitch
	o.Quality.Brightness = 120
	return o
}

// feed runs frames from index from (inclusive) to to (exclusive) made by
// f and returns every event and the indices of the burst's frames.
func feed(p *passiveCheck, from, to int, f func(i int) gesture.Observation) (evs []passiveEvent, burst []int) {
	for i := from; i < to; i++ {
		o := f(i)
		e, b := p.observe(&o)
		evs = append(evs, e...)
		if b {
			burst = append(burst, i)
		}
	}
	return evs, burst
}

func progress(evs []passiveEvent) []float64 {
	var out []float64
	for _, e := range evs {
		if e.Kind == pvProgress {
			out = append(out, e.Value)
		}
	}
	return out
}

func hinted(evs []passiveEvent, h gesture.Hint) bool {
	for _, e := range evs {
		if e.Kind == pvHint && e.Hint == h {
			return true
		}
	}
	return false
}

// A still, frontal face: the hold (5 frames over 0.5 s), then the burst of
// 2 s, whose frames are the sampler's; progress from 0 to 1, then MATCH.
func TestPassiveStillFaceEndsWithMatchAfterHoldAndBurst(t *testing.T) {
	p := newPassiveCheck(PassiveConfig{})
	evs, burst := feed(p, 0, 60, func(i int) gesture.Observation { return still(i, 2, -3) })
	st, timeout, over := p.result()
	if !over || st != session.GestureMatch || timeout {
		t.Fatalf("result %s timeout %v over %v; want MATCH", st, timeout, over)
	}
	// Hold: frames 0..8 (0.533 s ≥ 0.5 s at frame 8); the burst starts
	// there and ends 2 s later, at frame 39 (frameStep is rounded down).
	if len(burst) == 0 || burst[0] != 8 || burst[len(burst)-1] != 39 {
		t.Errorf("burst frames %v; want 8..39", burst)
	}
	pr := progress(evs)
	if len(pr) < 5 || pr[0] != 0 || pr[len(pr)-1] != 1 {
		t.Errorf("progress %v; want 0 first, 1 last, and steps between", pr)
	}
	for i := 1; i < len(pr); i++ {
		if pr[i] < pr[i-1] {
			t.Errorf("progress went back: %v", pr)
		}
	}
	if more, b := p.observe(&gesture.Observation{T: t0.Add(5 * time.Second)}); more != nil || b {
		t.Errorf("after the end: events %v burst %v; want nothing", more, b)
	}
}

// A face that moves during the burst starts the hold again (progress back
// to 0) and, moving on and on, gets the hold_still hint.
func TestPassiveMotionRestartsTheBurstAndHintsHoldStill(t *testing.T) {
	p := newPassiveCheck(PassiveConfig{})
	evs, _ := feed(p, 0, 20, func(i int) gesture.Observation { return still(i, 0, 0) })
	if pr := progress(evs); len(pr) == 0 || pr[0] != 0 {
		t.Fatalf("no burst began: %v", pr)
	}
	// From frame 20 the head sways ±8° every other frame.
	evs, burst := feed(p, 20, 60, func(i int) gesture.Observation {
		yaw := 8.0
		if i%2 == 0 {
			yaw = -8
		}
		return still(i, yaw, 0)
	})
	if pr := progress(evs); len(pr) == 0 || pr[0] != 0 {
		t.Errorf("progress %v; want a reset to 0", pr)
	}
	if len(burst) != 0 {
		t.Errorf("burst frames %v while moving", burst)
	}
	if !hinted(evs, gesture.HintHoldStill) {
		t.Errorf("no hold_still hint while moving: %+v", evs)
	}
	if _, _, over := p.result(); over {
		t.Errorf("over while moving")
	}
	// Still again: it completes.
	feed(p, 60, 100, func(i int) gesture.Observation { return still(i, 1, 1) })
	if st, _, over := p.result(); !over || st != session.GestureMatch {
		t.Errorf("result %s over %v after holding still; want MATCH", st, over)
	}
}

// Quality problems give their hints and no burst: small, too big, dark,
// turned, cut by the edge, several faces.
func TestPassiveHints(t *testing.T) {
	for _, c := range []struct {
		hint gesture.Hint
		mod  func(o *gesture.Observation)
	}{
		{gesture.HintMoveCloser, func(o *gesture.Observation) { o.Quality.FaceWidth = 0.08 }},
		{hintMoveBack, func(o *gesture.Observation) { o.Quality.FaceWidth = 0.85 }},
		{gesture.HintMoreLight, func(o *gesture.Observation) { o.Quality.Brightness = 20 }},
		{gesture.HintFaceCamera, func(o *gesture.Observation) { o.Yaw = 30 }},
		{gesture.HintCenterFace, func(o *gesture.Observation) { o.Quality.Outside = true }},
		{gesture.HintOneFace, func(o *gesture.Observation) { o.Faces = 2 }},
	} {
		p := newPassiveCheck(PassiveConfig{})
		evs, burst := feed(p, 0, 45, func(i int) gesture.Observation {
			o := still(i, 0, 0)
			c.mod(&o)
			return o
		})
		if !hinted(evs, c.hint) {
			t.Errorf("%s: no such hint in %+v", c.hint, evs)
		}
		n := 0
		for _, e := range evs {
			if e.Kind == pvHint && e.Hint == c.hint {
				n++
			}
		}
		// 3 s of frames, hints at most every 2 s: twice.
		if n > 2 {
			t.Errorf("%s: %d hints in 3 s; want at most 2 (HintRepeat)", c.hint, n)
		}
		if len(burst) != 0 {
			t.Errorf("%s: burst frames %v", c.hint, burst)
		}
	}
}

// At the timeout the attempt ends with what was seen most: too many
// faces, no face, or a timeout with a face in view.
func TestPassiveTimeoutStatus(t *testing.T) {
	for _, c := range []struct {
		name    string
		mod     func(i int, o *gesture.Observation)
		want    session.GestureStatus
		timeout bool
	}{
		{"no face", func(_ int, o *gesture.Observation) { *o = gesture.Observation{T: o.T} }, session.GestureNoFace, false},
		{"two faces", func(_ int, o *gesture.Observation) { o.Faces = 2 }, session.GestureTooManyFaces, false},
		{"turned away", func(_ int, o *gesture.Observation) { o.Yaw = 35 }, session.GestureNotMatch, true},
	} {
		p := newPassiveCheck(PassiveConfig{Timeout: 3 * time.Second})
		var faceLost bool
		evs, _ := feed(p, 0, 60, func(i int) gesture.Observation {
			o := still(i, 0, 0)
			c.mod(i, &o)
			return o
		})
		for _, e := range evs {
			faceLost = faceLost || (e.Kind == pvFace && !e.Present)
		}
		st, timeout, over := p.result()
		if !over || st != c.want || timeout != c.timeout {
			t.Errorf("%s: %s timeout %v over %v; want %s timeout %v", c.name, st, timeout, over, c.want, c.timeout)
		}
		if faceLost != (c.want == session.GestureNoFace) {
			t.Errorf("%s: face lost told %v", c.name, faceLost)
		}
	}
}

// A different face (a new track) during the burst is not the same still
// face: the burst starts again.
func TestPassiveTrackChangeRestarts(t *testing.T) {
	p := newPassiveCheck(PassiveConfig{})
	feed(p, 0, 20, func(i int) gesture.Observation { return still(i, 0, 0) })
	o := still(20, 0, 0)
	o.Track, o.Box = 2, image.Rect(10, 10, 200, 250)
	evs, b := p.observe(&o)
	if b || len(progress(evs)) != 1 || progress(evs)[0] != 0 {
		t.Errorf("track change: events %+v burst %v; want a reset", evs, b)
	}
}

func TestPassiveSpoof(t *testing.T) {
	for _, c := range []struct {
		st    session.GestureStatus
		score float64
		want  float64
	}{
		{session.GestureMatch, 97.4, 0.026},
		{session.GestureMatch, 50, 0.5},
		{session.GestureMatch, 15, 0.85},
		{session.GestureMatch, 0, 1},
		{session.GestureNoFace, 90, 1},
		{session.GestureNotMatch, 90, 1},
	} {
		if got := passiveSpoof(c.st, c.score); got != c.want {
			t.Errorf("passiveSpoof(%s, %v) = %v; want %v", c.st, c.score, got, c.want)
		}
	}
}

// face68 is a set of landmarks with the eyes 80 px apart, shifted by dx.
func face68(dx float32) gesture.Landmarks {
	var lm gesture.Landmarks
	for i := range lm {
		lm[i] = gesture.Point{X: 300 + float32(i%10)*8 + dx, Y: 200 + float32(i/10)*10}
	}
	for i := 36; i < 42; i++ {
		lm[i] = gesture.Point{X: 280 + dx, Y: 220}
		lm[i+6] = gesture.Point{X: 360 + dx, Y: 220}
	}
	return lm
}

// A burst whose face does not move at all (a frozen picture: only the
// landmarks' own jitter) is frozen for the burst's length; natural sway,
// or observations without landmarks, are not.
func TestPassiveFrozenBurst(t *testing.T) {
	for _, c := range []struct {
		name   string
		dx     func(i int) float32
		frozen bool
	}{
		{"jitter only", func(i int) float32 { return float32(i%3) * 0.3 }, true}, // 0.0075 of 80 px
		{"sway", func(i int) float32 { return float32(i%20) * 0.5 }, false},      // up to 0.12
		{"no landmarks", nil, false},
	} {
		p := newPassiveCheck(PassiveConfig{})
		feed(p, 0, 60, func(i int) gesture.Observation {
			o := still(i, 0, 0)
			if c.dx != nil {
				o.Landmarks = face68(c.dx(i))
			}
			return o
		})
		if st, _, over := p.result(); !over || st != session.GestureMatch {
			t.Fatalf("%s: %s over %v; want MATCH", c.name, st, over)
		}
		d := p.frozenFor()
		if c.frozen != (d >= 2*time.Second) || (!c.frozen && d != 0) {
			t.Errorf("%s: frozen for %v; want frozen %v (≥ 2 s, the burst)", c.name, d, c.frozen)
		}
	}
	p := newPassiveCheck(PassiveConfig{MinMotion: -1})
	feed(p, 0, 60, func(i int) gesture.Observation {
		o := still(i, 0, 0)
		o.Landmarks = face68(0)
		return o
	})
	if d := p.frozenFor(); d != 0 {
		t.Errorf("MinMotion < 0: frozen for %v; want the rule off", d)
	}
}
