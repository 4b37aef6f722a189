package gesture

import (
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/livegate/livegate/internal/session"
)

var t0 = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

// seg is one stretch of a synthetic performance: the state moves linearly
// from where the previous segment ended to `to` over dur.
type seg struct {
	dur   time.Duration
	to    state
	faces int  // number of faces; 0 means 1, -1 means none
	track int  // track id; 0 means 1
	photo bool // a flat photo of the neutral face, turned as `to` says
	fake  bool // the best planar imitation of the real head's landmarks
}

type scenario struct {
	subject uint64
	noise   float64 // pixels
	fps     float64 // 0 means 15
	mirror  bool    // flip the picture left–right
	picture bool    // give the observations eye contrast (0.4 × (1 − dim))
	// timed: the frames sample the segments at their own times, from
	// phase on, so that every segment keeps its length at any frame rate.
	// Otherwise each segment lasts a whole number of frame periods, its
	// first frame showing the state one period in.
	timed bool
	phase time.Duration
	segs  []seg
}

const frameW, frameH = 640, 480

func (sc scenario) observations() []Observation {
	fps := sc.fps
	if fps == 0 {
		fps = 15
	}
	cam := GuessCamera(frameW, frameH)
	f := newFace(sc.subject+1, 1.5)
	r := rand.New(rand.NewPCG(sc.subject, 1))
	neutral := f.render(cam, state{}, 0, nil)
	var out []Observation
	frame := func(at time.Duration, st state, s seg) {
		var lm Landmarks
		switch {
		case s.photo:
			lm = photoTurn(cam, &neutral, st.yaw, st.pitch, 600)
			addNoise(&lm, sc.noise, r)
		case s.fake:
			real := f.render(cam, st, 0, nil)
			lm = planarFake(&neutral, &real)
			addNoise(&lm, sc.noise, r)
		default:
			lm = f.render(cam, st, sc.noise, r)
		}
		if sc.mirror {
			lm = mirror(&lm, frameW)
		}
		track := s.track
		if track == 0 {
			track = 1
		}
		o := ObservationFromLandmarks(t0.Add(at), frameW, frameH, &lm, track)
		if sc.picture {
			o.EyeContrastLeft, o.EyeContrastRight = 0.4*(1-st.dimL), 0.4*(1-st.dimR)
		}
		switch {
		case s.faces < 0:
			o = Observation{T: o.T, Width: frameW, Height: frameH}
		case s.faces > 1:
			o.Faces = s.faces
		}
		out = append(out, o)
	}
	var prev state
	period := time.Duration(float64(time.Second) / fps)
	if sc.timed {
		var start time.Duration
		at := sc.phase
		for _, s := range sc.segs {
			for ; at < start+s.dur; at += period {
				frame(at, lerp(prev, s.to, float64(at-start)/float64(s.dur)), s)
			}
			start += s.dur
			prev = s.to
		}
		return out
	}
	var at time.Duration
	for _, s := range sc.segs {
		start := at
		for ; at < start+s.dur; at += period {
			a := float64(at-start+period) / float64(s.dur)
			frame(at, lerp(prev, s.to, math.Min(a, 1)), s)
		}
		prev = s.to
	}
	return out
}

func addNoise(lm *Landmarks, sigma float64, r *rand.Rand) {
	for i := range lm {
		lm[i].X += float32(sigma * r.NormFloat64())
		lm[i].Y += float32(sigma * r.NormFloat64())
	}
}

func lerp(a, b state, t float64) state {
	l := func(x, y float64) float64 { return x + (y-x)*t }
	return state{
		yaw: l(a.yaw, b.yaw), pitch: l(a.pitch, b.pitch), roll: l(a.roll, b.roll),
		closeL: l(a.closeL, b.closeL), closeR: l(a.closeR, b.closeR), mouth: l(a.mouth, b.mouth),
		dist: l(a.dist, b.dist), dx: l(a.dx, b.dx), dy: l(a.dy, b.dy),
		dimL: l(a.dimL, b.dimL), dimR: l(a.dimR, b.dimR),
	}
}

var poseOf = map[session.Gesture]state{
	session.HeadLeft:       {yaw: 30},
	session.HeadRight:      {yaw: -30},
	session.HeadUp:         {pitch: 20},
	session.HeadDown:       {pitch: -20},
	session.HeadEyesClosed: {closeL: 1, closeR: 1},
	session.HeadRightClose: {closeR: 1},
	session.HeadLeftClose:  {closeL: 1},
	session.HeadOpenMouth:  {mouth: 20},
}

// perform is a neutral second, then each gesture: 300 ms to reach it,
// held 600 ms, 300 ms back, 500 ms neutral.
func perform(gs ...session.Gesture) []seg { return performHeld(heldFor, gs...) }

// performHeld is perform with each gesture held for held(g).
func performHeld(held func(session.Gesture) time.Duration, gs ...session.Gesture) []seg {
	segs := []seg{{dur: time.Second}}
	for _, g := range gs {
		st := poseOf[g]
		segs = append(segs,
			seg{dur: 300 * time.Millisecond, to: st},
			seg{dur: held(g), to: st},
			seg{dur: 300 * time.Millisecond},
			seg{dur: 500 * time.Millisecond})
	}
	return segs
}

// heldFor is how long a performed gesture stays at its extent: 600 ms, and
// for the eye closures 1.2 s, as a user holds them until the page's tone
// (they must outlast EyeHoldTime, 600 ms).
func heldFor(g session.Gesture) time.Duration {
	switch g {
	case session.HeadEyesClosed, session.HeadRightClose, session.HeadLeftClose:
		return 1200 * time.Millisecond
	}
	return 600 * time.Millisecond
}

type run struct {
	events []Event
	result Result
	obs    []Observation
}

// play runs a detection test: the clips play at their own pace, so the
// challenge is unpaced (pacing_test.go tests the pacing) and keeps the
// MaxWrong of before the pacing, 3, unless the test sets it.
func play(gestures []session.Gesture, cfg ChallengeConfig, obs []Observation) run {
	c := NewChallenge(gestures, recorded(cfg))
	var r run
	r.obs = obs
	for _, o := range obs {
		r.events = append(r.events, c.Observe(o)...)
		if c.Done() {
			break
		}
	}
	r.result = c.Result()
	return r
}

func (r run) of(typ EventType) []Event {
	var out []Event
	for _, e := range r.events {
		if e.Type == typ {
			out = append(out, e)
		}
	}
	return out
}

func (r run) matched() []session.Gesture {
	var out []session.Gesture
	for _, e := range r.of(EventMatch) {
		out = append(out, e.Gesture)
	}
	return out
}

func TestChallengeMatchesEachGesture(t *testing.T) {
	tests := []struct {
		ask     []session.Gesture
		perform []session.Gesture
	}{
		{[]session.Gesture{session.HeadLeft}, []session.Gesture{session.HeadLeft}},
		{[]session.Gesture{session.HeadRight}, []session.Gesture{session.HeadRight}},
		{[]session.Gesture{session.HeadUp}, []session.Gesture{session.HeadUp}},
		{[]session.Gesture{session.HeadDown}, []session.Gesture{session.HeadDown}},
		{[]session.Gesture{session.HeadEyesClosed}, []session.Gesture{session.HeadEyesClosed}},
		{[]session.Gesture{session.HeadRightClose}, []session.Gesture{session.HeadRightClose}},
		{[]session.Gesture{session.HeadLeftClose}, []session.Gesture{session.HeadLeftClose}},
		{[]session.Gesture{session.HeadOpenMouth}, []session.Gesture{session.HeadOpenMouth}},
		// The neutral codes follow their opposite: reopen, close again.
		{[]session.Gesture{session.HeadEyesClosed, session.HeadEyesOpen}, []session.Gesture{session.HeadEyesClosed}},
		{[]session.Gesture{session.HeadOpenMouth, session.HeadCloseMouth}, []session.Gesture{session.HeadOpenMouth}},
		{
			[]session.Gesture{session.HeadLeft, session.HeadRight, session.HeadUp, session.HeadDown, session.HeadEyesClosed},
			[]session.Gesture{session.HeadLeft, session.HeadRight, session.HeadUp, session.HeadDown, session.HeadEyesClosed},
		},
	}
	for _, tc := range tests {
		for subject := uint64(0); subject < 3; subject++ {
			obs := scenario{subject: subject, noise: 0.8, segs: perform(tc.perform...)}.observations()
			r := play(tc.ask, ChallengeConfig{}, obs)
			if got := r.matched(); !slices.Equal(got, tc.ask) {
				t.Errorf("ask %v, subject %d: matched %v; want all", tc.ask, subject, got)
				continue
			}
			if r.result.Status != session.GestureMatch {
				t.Errorf("ask %v: status %q; want MATCH", tc.ask, r.result.Status)
			}
			if len(r.of(EventWrongGesture)) != 0 || len(r.of(EventRejected)) != 0 {
				t.Errorf("ask %v: wrong %v rejected %v; want none", tc.ask, r.of(EventWrongGesture), r.of(EventRejected))
			}
			for _, g := range r.result.Gestures {
				if k, _ := classOf(g.Gesture); k.isTurn() && g.Planar < 0.03 {
					t.Errorf("%s matched with planar residual %.4f", g.Gesture, g.Planar)
				}
			}
		}
	}
}

func TestChallengeEventOrder(t *testing.T) {
	obs := scenario{noise: 0.5, segs: perform(session.HeadLeft)}.observations()
	r := play([]session.Gesture{session.HeadLeft}, ChallengeConfig{}, obs)
	var order []EventType
	for _, e := range r.events {
		if e.Type != EventProgress {
			order = append(order, e.Type)
		}
	}
	want := []EventType{EventFaceFound, EventBaseline, EventGestureStart, EventMatch, EventDone}
	if !slices.Equal(order, want) {
		t.Errorf("got events %v; want %v", order, want)
	}
	prog := r.of(EventProgress)
	if len(prog) < 3 {
		t.Fatalf("got %d progress events; want several", len(prog))
	}
	for i := 1; i < len(prog); i++ {
		if prog[i].Progress < 0 || prog[i].Progress >= 1 {
			t.Errorf("progress %v out of [0,1)", prog[i].Progress)
		}
	}
	m := r.of(EventMatch)[0]
	if m.Signals.DYaw < 14 || m.Signals.Planar < 0.03 || m.Signals.HoldMS < 130 {
		t.Errorf("match signals %+v; want dyaw ≥ 14, planar ≥ 0.03, hold ≥ 130 ms", m.Signals)
	}
	if d := r.of(EventDone)[0]; d.Status != session.GestureMatch || d.Detected != session.HeadLeft {
		t.Errorf("done %+v; want MATCH, HEAD_LEFT", d)
	}
}

// The engine sees the camera picture, not a mirror: the same performance
// mirrored is the opposite turn (and the other eye).
func TestChallengeMirrorTrap(t *testing.T) {
	tests := []struct{ performed, mirrored session.Gesture }{
		{session.HeadLeft, session.HeadRight},
		{session.HeadRight, session.HeadLeft},
		{session.HeadRightClose, session.HeadLeftClose},
		{session.HeadLeftClose, session.HeadRightClose},
	}
	for _, tc := range tests {
		sc := scenario{subject: 4, noise: 0.5, segs: perform(tc.performed)}
		sc.mirror = true
		obs := sc.observations()
		if r := play([]session.Gesture{tc.performed}, ChallengeConfig{}, obs); len(r.matched()) != 0 {
			t.Errorf("%s mirrored, asked %s: matched", tc.performed, tc.performed)
		} else if w := r.of(EventWrongGesture); len(w) == 0 || w[0].Detected != tc.mirrored {
			t.Errorf("%s mirrored, asked %s: wrong gestures %v; want %s", tc.performed, tc.performed, w, tc.mirrored)
		}
		if r := play([]session.Gesture{tc.mirrored}, ChallengeConfig{}, obs); !slices.Equal(r.matched(), []session.Gesture{tc.mirrored}) {
			t.Errorf("%s mirrored, asked %s: not matched", tc.performed, tc.mirrored)
		}
	}
}

func TestChallengeNeverMatchesShortSpikes(t *testing.T) {
	for _, n := range []int{1, 2} {
		segs := []seg{{dur: time.Second}}
		for i := 0; i < 5; i++ {
			segs = append(segs,
				seg{dur: time.Duration(n) * time.Second / 15, to: state{yaw: 25}}, // one frame each n
				seg{dur: time.Second / 15},
				seg{dur: 600 * time.Millisecond})
		}
		obs := scenario{subject: 2, noise: 0.5, segs: segs}.observations()
		// The segment interpolation ends on the target: n frames at ≥ 14°.
		r := play([]session.Gesture{session.HeadLeft}, ChallengeConfig{}, obs)
		if len(r.matched()) != 0 {
			t.Errorf("%d-frame spikes matched", n)
		}
	}
}

func TestChallengeHoldTime(t *testing.T) {
	// At 60 frames/s three frames are only 33 ms: the time rule decides.
	for _, tc := range []struct {
		hold time.Duration
		want bool
	}{{60 * time.Millisecond, false}, {250 * time.Millisecond, true}} {
		segs := []seg{
			{dur: time.Second},
			{dur: 100 * time.Millisecond, to: state{yaw: 30}}, // 300°/s, above 14° for its last 53 ms
			{dur: tc.hold, to: state{yaw: 30}},
			{dur: time.Second / 60},
			{dur: time.Second},
		}
		obs := scenario{subject: 1, noise: 0.3, fps: 60, segs: segs}.observations()
		r := play([]session.Gesture{session.HeadLeft}, ChallengeConfig{}, obs)
		if got := len(r.matched()) == 1; got != tc.want {
			t.Errorf("held %v at 60 fps: matched %v; want %v", tc.hold, got, tc.want)
		}
		if tc.want {
			g := r.result.Gestures[0]
			if held := g.At.Sub(g.Crossed); held < 130*time.Millisecond {
				t.Errorf("matched after %v of hold; want ≥ 130 ms", held)
			}
		}
	}
}

func TestChallengeHysteresis(t *testing.T) {
	// Crossing 14° once, then wavering between 10° and 15°: the condition
	// stays on (release at 8°) and the turn counts.
	waver := []seg{{dur: time.Second}, {dur: 200 * time.Millisecond, to: state{yaw: 15}}}
	for i := 0; i < 4; i++ {
		waver = append(waver, seg{dur: time.Second / 15, to: state{yaw: 10}}, seg{dur: time.Second / 15, to: state{yaw: 15}})
	}
	waver = append(waver, seg{dur: 300 * time.Millisecond}, seg{dur: time.Second})
	// Staying under the threshold never counts, however long.
	under := []seg{{dur: time.Second}, {dur: 200 * time.Millisecond, to: state{yaw: 11}}, {dur: 3 * time.Second, to: state{yaw: 12}}, {dur: time.Second}}
	for _, tc := range []struct {
		name string
		segs []seg
		want int
	}{{"wavering above release", waver, 1}, {"under threshold", under, 0}} {
		obs := scenario{subject: 3, segs: tc.segs}.observations()
		r := play([]session.Gesture{session.HeadLeft}, ChallengeConfig{}, obs)
		if got := len(r.matched()); got != tc.want {
			t.Errorf("%s: %d matches; want %d", tc.name, got, tc.want)
		}
	}
}

func TestChallengeTimeout(t *testing.T) {
	for _, tc := range []struct {
		cfg  ChallengeConfig
		want time.Duration
	}{{ChallengeConfig{}, 10 * time.Second}, {ChallengeConfig{GestureTimeout: 3 * time.Second}, 3 * time.Second}} {
		obs := scenario{noise: 0.5, segs: []seg{{dur: 12 * time.Second}}}.observations()
		r := play([]session.Gesture{session.HeadUp}, tc.cfg, obs)
		to := r.of(EventTimeout)
		if len(to) != 1 || to[0].Status != session.GestureNotMatch {
			t.Fatalf("timeout events %v; want one NOT_MATCH", to)
		}
		if got := to[0].T.Sub(t0); got < tc.want || got > tc.want+100*time.Millisecond {
			t.Errorf("timed out after %v; want %v", got, tc.want)
		}
		if r.result.Status != session.GestureNotMatch {
			t.Errorf("status %q; want NOT_MATCH", r.result.Status)
		}
	}
}

func TestChallengeSecondGestureTimesOutFromFirstMatch(t *testing.T) {
	segs := append(perform(session.HeadLeft), seg{dur: 12 * time.Second})
	obs := scenario{noise: 0.5, segs: segs}.observations()
	r := play([]session.Gesture{session.HeadLeft, session.HeadUp}, ChallengeConfig{GestureTimeout: 4 * time.Second}, obs)
	res := r.result.Gestures
	if res[0].Status != session.GestureMatch || res[1].Status != session.GestureNotMatch {
		t.Fatalf("results %+v", res)
	}
	if d := res[1].At.Sub(res[0].At); d < 4*time.Second || d > 4100*time.Millisecond {
		t.Errorf("second gesture failed %v after the first matched; want 4 s", d)
	}
	if out := r.result.Outcomes(); len(out) != 2 || out[1].Status != session.GestureNotMatch {
		t.Errorf("outcomes %+v", out)
	}
}

func TestChallengeWrongGesture(t *testing.T) {
	obs := scenario{subject: 1, noise: 0.5, segs: perform(session.HeadRight, session.HeadLeft)}.observations()
	r := play([]session.Gesture{session.HeadLeft}, ChallengeConfig{}, obs)
	w := r.of(EventWrongGesture)
	if len(w) != 1 || w[0].Detected != session.HeadRight || w[0].Gesture != session.HeadLeft {
		t.Fatalf("wrong gestures %+v; want one HEAD_RIGHT", w)
	}
	if !slices.Equal(r.matched(), []session.Gesture{session.HeadLeft}) {
		t.Errorf("after a wrong turn and a right one: matched %v; want HEAD_LEFT", r.matched())
	}
	// With MaxWrong 1 the first wrong gesture ends the attempt.
	r = play([]session.Gesture{session.HeadLeft}, ChallengeConfig{MaxWrong: 1}, obs)
	if r.result.Status != session.GestureNotMatch || r.result.Detected != session.HeadRight || len(r.matched()) != 0 {
		t.Errorf("MaxWrong 1: result %+v; want NOT_MATCH with HEAD_RIGHT detected", r.result)
	}
	// Closing one eye while both are asked is on the way, not wrong; both
	// closed while one is asked is wrong.
	obs = scenario{subject: 1, noise: 0.5, segs: perform(session.HeadEyesClosed)}.observations()
	r = play([]session.Gesture{session.HeadLeftClose}, ChallengeConfig{}, obs)
	if w := r.of(EventWrongGesture); len(w) != 1 || w[0].Detected != session.HeadEyesClosed {
		t.Errorf("asked HEAD_10, closed both: wrong %v; want HEAD_00", w)
	}
}

// TestChallengeLongBlinkIsNotWrong: a user who blinks, long (lids shut
// 400 ms), after a turn is asked and before turning has not made a wrong
// gesture, at 7 to 30 frames/s: even with MaxWrong 1 the turn matches. Eyes
// kept shut a second are a wrong HEAD_00.
func TestChallengeLongBlinkIsNotWrong(t *testing.T) {
	shut := state{closeL: 1, closeR: 1, dimL: 0.6, dimR: 0.6}
	for _, fps := range lowRates {
		for _, tc := range []struct {
			shut  time.Duration
			wrong bool
		}{{400 * time.Millisecond, false}, {time.Second, true}} {
			segs := []seg{{dur: time.Second}, {dur: 33 * time.Millisecond, to: shut}, {dur: tc.shut, to: shut}, {dur: 33 * time.Millisecond}}
			segs = append(segs, perform(session.HeadLeft)...)
			obs := scenario{subject: 3, noise: 0.3, fps: fps, picture: true, timed: true, segs: segs}.observations()
			r := play([]session.Gesture{session.HeadLeft}, ChallengeConfig{MaxWrong: 1}, obs)
			w := r.of(EventWrongGesture)
			if tc.wrong {
				if len(w) != 1 || w[0].Detected != session.HeadEyesClosed || len(r.matched()) != 0 {
					t.Errorf("%v frames/s, eyes shut %v before the turn: wrong %v, matched %v; want one wrong HEAD_00 ending the try", fps, tc.shut, w, r.matched())
				}
				continue
			}
			if len(w) != 0 || !slices.Equal(r.matched(), []session.Gesture{session.HeadLeft}) {
				t.Errorf("%v frames/s, a %v blink before the turn: wrong %v, matched %v; want HEAD_LEFT and nothing wrong", fps, tc.shut, w, r.matched())
			}
		}
	}
}

// TestChallengeNoisyOpenEyeRearms: an open eye whose picture reads between
// the closed threshold and its release level (a dim, noisy face) after it
// read closed during a turn does not keep the user from being back at
// neutral: the next gesture counts. (grace's dim, noisy face at 7 frames/s
// latched her open left eye closed through the next tilt, which never
// counted.) At 7 to 30 frames/s.
func TestChallengeNoisyOpenEyeRearms(t *testing.T) {
	// Closure scores of the left eye: 1.4 during the turn (dimL 0.35),
	// 0.72 after it (dimL 0.18), against a closed threshold of 1 and a
	// release level of 0.56.
	turned := state{yaw: 30, dimL: 0.35}
	back := state{dimL: 0.18}
	up := state{pitch: 20, dimL: 0.18}
	segs := []seg{{dur: time.Second},
		{dur: 300 * time.Millisecond, to: turned}, {dur: 800 * time.Millisecond, to: turned},
		{dur: 300 * time.Millisecond, to: back}, {dur: 400 * time.Millisecond, to: back},
		{dur: 300 * time.Millisecond, to: up}, {dur: 600 * time.Millisecond, to: up},
		{dur: 300 * time.Millisecond, to: back}, {dur: time.Second, to: back}}
	for _, fps := range lowRates {
		obs := scenario{subject: 3, noise: 0.3, fps: fps, picture: true, timed: true, segs: segs}.observations()
		r := play([]session.Gesture{session.HeadLeft, session.HeadUp}, ChallengeConfig{}, obs)
		if !slices.Equal(r.matched(), []session.Gesture{session.HeadLeft, session.HeadUp}) {
			t.Errorf("%v frames/s: matched %v, wrong %v; want HEAD_LEFT then HEAD_UP", fps, r.matched(), r.of(EventWrongGesture))
		}
	}
}

func TestChallengeFaceLostIsFaceNotDetected(t *testing.T) {
	segs := []seg{{dur: 2 * time.Second}, {dur: 12 * time.Second, faces: -1}}
	obs := scenario{noise: 0.5, segs: segs}.observations()
	r := play([]session.Gesture{session.HeadLeft}, ChallengeConfig{}, obs)
	if len(r.of(EventFaceLost)) != 1 {
		t.Errorf("face_lost events %d; want 1", len(r.of(EventFaceLost)))
	}
	if r.result.Status != session.GestureNoFace {
		t.Errorf("status %q; want %q", r.result.Status, session.GestureNoFace)
	}
	// No face at all from the start.
	obs = scenario{segs: []seg{{dur: 11 * time.Second, faces: -1}}}.observations()
	if r = play([]session.Gesture{session.HeadLeft}, ChallengeConfig{}, obs); r.result.Status != session.GestureNoFace {
		t.Errorf("no face ever: status %q; want %q", r.result.Status, session.GestureNoFace)
	}
}

func TestChallengeTwoFacesIsTooManyFaces(t *testing.T) {
	segs := []seg{{dur: 2 * time.Second}, {dur: 12 * time.Second, faces: 2, to: state{}}}
	// The second face arrives while the user turns: nothing may count.
	segs = append(segs[:1], seg{dur: 300 * time.Millisecond, to: state{yaw: 30}, faces: 2}, seg{dur: 12 * time.Second, to: state{yaw: 30}, faces: 2})
	obs := scenario{noise: 0.5, segs: segs}.observations()
	r := play([]session.Gesture{session.HeadLeft}, ChallengeConfig{}, obs)
	if len(r.matched()) != 0 {
		t.Errorf("matched with two faces")
	}
	if r.result.Status != session.GestureTooManyFaces {
		t.Errorf("status %q; want %q", r.result.Status, session.GestureTooManyFaces)
	}
	if len(r.of(EventTooManyFaces)) != 1 {
		t.Errorf("too_many_faces events %d; want 1", len(r.of(EventTooManyFaces)))
	}
	var hinted bool
	for _, e := range r.of(EventHint) {
		hinted = hinted || e.Hint == HintOneFace
	}
	if !hinted {
		t.Errorf("no one_face hint")
	}
}

func TestChallengeFlatPictureNeverMatches(t *testing.T) {
	// A flat photo turned and tilted far, slowly, and the best flat
	// imitation of a real turn: the pose solver is fooled into large
	// angles, the planarity residual is not.
	turn := func(to state, photo, fake bool) []seg {
		return []seg{
			{dur: time.Second, photo: photo, fake: fake},
			{dur: time.Second, to: to, photo: photo, fake: fake},
			{dur: 2 * time.Second, to: to, photo: photo, fake: fake},
			{dur: time.Second, photo: photo, fake: fake},
		}
	}
	var all []seg
	for _, to := range []state{{yaw: 60}, {yaw: -60}, {pitch: 50}, {pitch: -50}, {pitch: 35}, {pitch: -35}, {yaw: 40}, {yaw: -40}} {
		all = append(all, turn(to, true, false)...)
	}
	for _, to := range []state{{yaw: 30}, {yaw: -30}, {pitch: 20}, {pitch: -20}} {
		all = append(all, turn(to, false, true)...)
	}
	for _, g := range []session.Gesture{session.HeadLeft, session.HeadRight, session.HeadUp, session.HeadDown} {
		obs := scenario{subject: 5, noise: 0.5, segs: all}.observations()
		r := play([]session.Gesture{g}, ChallengeConfig{GestureTimeout: time.Hour, MaxWrong: -1}, obs)
		if len(r.matched()) != 0 {
			t.Errorf("asked %s: a flat picture matched", g)
		}
		// A flat picture tilted either way reads as looking up to the
		// solver (the planar pose ambiguity), so HEAD_DOWN is never even
		// approached; the other three must reach the planarity check.
		if len(r.of(EventRejected)) == 0 && g != session.HeadDown {
			t.Errorf("asked %s: no rejected event; the test did not reach the planarity check", g)
		}
		for _, e := range r.of(EventRejected) {
			if e.Reason == "planar" && e.Signals.Planar >= 0.03 {
				t.Errorf("rejected with planar residual %.4f", e.Signals.Planar)
			}
		}
	}
}

// A face that jumps to a turned pose (a swapped picture) is not a turn.
func TestChallengePoseJumpIsNotATurn(t *testing.T) {
	segs := []seg{{dur: time.Second}, {dur: time.Second / 15, to: state{yaw: 40}}, {dur: 3 * time.Second, to: state{yaw: 40}}}
	obs := scenario{subject: 2, noise: 0.5, segs: segs}.observations()
	r := play([]session.Gesture{session.HeadLeft}, ChallengeConfig{}, obs)
	if len(r.matched()) != 0 {
		t.Errorf("a jump to 40° matched")
	}
	if rej := r.of(EventRejected); len(rej) == 0 || rej[0].Reason != "jump" {
		t.Errorf("rejected %v; want a jump", rej)
	}
}

// trackChangeMidTurn turns left and, at 15°, the face gets another track
// id (track 2) until the end.
var trackChangeMidTurn = []seg{
	{dur: time.Second},
	{dur: 200 * time.Millisecond, to: state{yaw: 15}},
	{dur: 500 * time.Millisecond, to: state{yaw: 30}, track: 2},
	{dur: 300 * time.Millisecond, track: 2},
	{dur: time.Second, track: 2},
}

func TestChallengeTrackChangeRestartsBaseline(t *testing.T) {
	// Someone else's face takes over mid-turn: the hold restarts and a new
	// baseline is taken before anything counts.
	segs := trackChangeMidTurn
	obs := scenario{subject: 2, noise: 0.5, segs: segs}.observations()
	r := play([]session.Gesture{session.HeadLeft}, ChallengeConfig{}, obs)
	if len(r.matched()) != 0 {
		t.Errorf("matched across a track change")
	}
	if len(r.of(EventTrackChanged)) != 1 || len(r.of(EventBaseline)) != 2 {
		t.Errorf("track_changed %d, baseline %d; want 1 and 2", len(r.of(EventTrackChanged)), len(r.of(EventBaseline)))
	}
	if len(r.of(EventGestureStart)) != 1 {
		t.Errorf("gesture_start %d; want 1 (a new baseline does not ask again)", len(r.of(EventGestureStart)))
	}
}

func TestChallengeDeterministic(t *testing.T) {
	obs := scenario{subject: 7, noise: 1, segs: perform(session.HeadLeft, session.HeadRight, session.HeadOpenMouth, session.HeadEyesClosed)}.observations()
	ask := []session.Gesture{session.HeadLeft, session.HeadUp, session.HeadOpenMouth, session.HeadEyesClosed}
	a := play(ask, ChallengeConfig{}, obs)
	b := play(ask, ChallengeConfig{}, obs)
	if !reflect.DeepEqual(a.events, b.events) || !reflect.DeepEqual(a.result, b.result) {
		t.Errorf("two runs over the same observations differ")
	}
	if len(a.events) < 5 {
		t.Errorf("only %d events", len(a.events))
	}
}

// The delay from the true threshold crossing to MATCH, at 15 frames/s.
func TestChallengeMatchDelay(t *testing.T) {
	var delays []time.Duration
	for _, g := range []session.Gesture{session.HeadLeft, session.HeadRight, session.HeadUp, session.HeadDown, session.HeadEyesClosed, session.HeadOpenMouth} {
		for subject := uint64(0); subject < 3; subject++ {
			obs := scenario{subject: subject, noise: 0.8, segs: perform(g)}.observations()
			r := play([]session.Gesture{g}, ChallengeConfig{}, obs)
			if len(r.matched()) != 1 {
				t.Fatalf("%s not matched", g)
			}
			// perform reaches the pose linearly over 300 ms after 1 s; the
			// threshold is 14/30 of a turn, 12/20 of a tilt, 45 % of a
			// closure (eyes close 85 % at full), 9/20 of the mouth gap.
			frac := map[session.Gesture]float64{
				session.HeadLeft: 14.0 / 30, session.HeadRight: 14.0 / 30, session.HeadUp: 12.0 / 20, session.HeadDown: 12.0 / 20,
				session.HeadEyesClosed: 0.45 / 0.85, session.HeadOpenMouth: 0.5,
			}[g]
			cross := t0.Add(time.Second + time.Duration(frac*300)*time.Millisecond)
			delays = append(delays, r.result.Gestures[0].At.Sub(cross))
		}
	}
	slices.Sort(delays)
	med := delays[len(delays)/2]
	if med > 200*time.Millisecond {
		t.Errorf("median delay %v; want ≤ 200 ms (all: %v)", med, delays)
	}
}

func TestChallengeObserveDoesNotAllocate(t *testing.T) {
	obs := scenario{noise: 0.5, segs: []seg{{dur: 2 * time.Second}, {dur: time.Second, to: state{yaw: 14}}}}.observations()
	for _, cfg := range []ChallengeConfig{{Unpaced: true}, {InstructionDelay: func(int) time.Duration { return time.Second }}} {
		c := NewChallenge([]session.Gesture{session.HeadLeft}, cfg)
		for _, o := range obs[:10] {
			c.Observe(o)
		}
		// Paced, the frames measured cover the wait and the instruction.
		i := 10
		a := testing.AllocsPerRun(20, func() {
			c.Observe(obs[i])
			i++
		})
		if a != 0 {
			t.Errorf("Observe (unpaced %v): %.1f allocations per call; want 0", cfg.Unpaced, a)
		}
	}
}

func BenchmarkChallengeObserve(b *testing.B) {
	obs := scenario{noise: 0.5, segs: perform(session.HeadRight, session.HeadLeft)}.observations()
	b.ReportAllocs()
	c := NewChallenge([]session.Gesture{session.HeadLeft}, ChallengeConfig{GestureTimeout: time.Hour, Unpaced: true})
	i := 0
	for b.Loop() {
		if i == len(obs) {
			b.StopTimer()
			c = NewChallenge([]session.Gesture{session.HeadLeft}, ChallengeConfig{GestureTimeout: time.Hour, Unpaced: true})
			i = 0
			b.StartTimer()
		}
		c.Observe(obs[i])
		i++
	}
}

// The landmark model moves both lids together, so in a wink the EAR drops
// a little on both eyes; the picture contrast tells which eye closed.
func TestChallengeWinkFromEyeContrast(t *testing.T) {
	winkR := state{closeR: 0.35, closeL: 0.25, dimR: 0.33}
	winkL := state{closeR: 0.25, closeL: 0.35, dimL: 0.33}
	both := state{closeR: 0.6, closeL: 0.6, dimR: 0.33, dimL: 0.33}
	for _, tc := range []struct {
		s    state
		want session.Gesture
	}{{winkR, session.HeadRightClose}, {winkL, session.HeadLeftClose}, {both, session.HeadEyesClosed}} {
		segs := []seg{{dur: time.Second}, {dur: 100 * time.Millisecond, to: tc.s}, {dur: time.Second, to: tc.s}, {dur: 100 * time.Millisecond}, {dur: time.Second}}
		obs := scenario{subject: 1, noise: 0.3, picture: true, segs: segs}.observations()
		for _, ask := range []session.Gesture{session.HeadRightClose, session.HeadLeftClose, session.HeadEyesClosed} {
			r := play([]session.Gesture{ask}, ChallengeConfig{}, obs)
			if got := len(r.matched()) == 1; got != (ask == tc.want) {
				t.Errorf("performed %s, asked %s: matched %v", tc.want, ask, got)
			}
		}
		// Without the picture the same EAR drop is too small to count.
		obs = scenario{subject: 1, noise: 0.3, segs: segs}.observations()
		if r := play([]session.Gesture{tc.want}, ChallengeConfig{}, obs); tc.want != session.HeadEyesClosed && len(r.matched()) != 0 {
			t.Errorf("%s matched from the EAR alone", tc.want)
		}
	}
}

// A face on a display (fine horizontal lines in the face box) never
// matches, whatever it performs.
func TestChallengeDisplayReplayNeverMatches(t *testing.T) {
	for _, g := range []session.Gesture{session.HeadLeft, session.HeadEyesClosed, session.HeadOpenMouth} {
		obs := scenario{subject: 2, noise: 0.5, segs: perform(g)}.observations()
		for i := range obs {
			obs[i].Quality.LineRatio = 4
		}
		r := play([]session.Gesture{g}, ChallengeConfig{}, obs)
		if len(r.matched()) != 0 {
			t.Errorf("%s on a display matched", g)
		}
		if rej := r.of(EventRejected); len(rej) == 0 || rej[0].Reason != "screen" {
			t.Errorf("%s on a display: rejected %v; want screen", g, rej)
		}
		// The same with a camera's line ratio matches.
		for i := range obs {
			obs[i].Quality.LineRatio = 1.3
		}
		if r := play([]session.Gesture{g}, ChallengeConfig{}, obs); len(r.matched()) != 1 {
			t.Errorf("%s in front of a camera did not match", g)
		}
	}
}

// lowRates are the frame rates the time rules must hold at: webcams of
// 7–10 frames/s as well as the 15 the server analyses and 30.
var lowRates = []float64{7, 10, 15, 30}

// TestChallengeGesturesAtLowFrameRates: every gesture matches at 7, 10,
// 15 and 30 frames/s, performed as a user does (perform) and briefly: the
// head or mouth at its extent for 150 ms only (reached in 150 ms, back in
// 150 ms: over the threshold for about 340 ms), the eyes shut 900 ms. The
// brief head and mouth gestures are what a frame-count rule fails: three
// frames at 7 frames/s span 286 ms, which a condition held 340 ms spans
// only when a frame falls in its first 54 ms (HoldFrames 3 failed 19 of
// the 30 brief head and mouth runs at 7 frames/s). The eyes: a hold's span runs from
// its first frame to its last, so at 7 frames/s the 600 ms eye hold is
// five frame intervals, 714 ms, and takes a closure of up to 857 ms to be
// seen whatever the phase (the page's tone tells the user when). Each is
// played at six phases of the frames against the motion.
func TestChallengeGesturesAtLowFrameRates(t *testing.T) {
	brief := func(g session.Gesture) []seg {
		st := poseOf[g]
		ease, held := 150*time.Millisecond, 150*time.Millisecond
		if st.closeL > 0 || st.closeR > 0 {
			ease, held = 50*time.Millisecond, 900*time.Millisecond
		}
		return []seg{{dur: ease, to: st}, {dur: held, to: st}, {dur: ease}, {dur: 800 * time.Millisecond}}
	}
	natural := func(g session.Gesture) []seg { return perform(g)[1:] }
	const phases = 6
	for _, g := range []session.Gesture{
		session.HeadLeft, session.HeadRight, session.HeadUp, session.HeadDown,
		session.HeadEyesClosed, session.HeadRightClose, session.HeadLeftClose, session.HeadOpenMouth,
	} {
		for _, fps := range lowRates {
			for _, way := range []struct {
				name string
				segs func(session.Gesture) []seg
			}{{"performed", natural}, {"brief", brief}} {
				for phase := 0; phase < phases; phase++ {
					segs := append([]seg{{dur: time.Second}}, way.segs(g)...)
					obs := scenario{subject: 2, noise: 0.3, fps: fps, picture: true, segs: segs,
						timed: true, phase: time.Duration(float64(phase) / phases * float64(time.Second) / fps)}.observations()
					r := play([]session.Gesture{g}, ChallengeConfig{}, obs)
					if m := r.matched(); len(m) != 1 || m[0] != g {
						t.Errorf("%s %s at %v frames/s, phase %d/%d: matched %v (status %s); want %s",
							g, way.name, fps, phase, phases, m, r.result.Status, g)
					}
				}
			}
		}
	}
}

// TestChallengeBlinkIsNotEyesClosed: a natural blink shuts the lids for
// 100–200 ms, a long one 250–400 ms (issue 15: a real talker's long blink,
// 250–300 ms, passed for HEAD_00 under the old 200 ms hold). None may pass
// for HEAD_00, HEAD_01 or HEAD_10, at 30, 15, 10 or 7 frames/s, whatever
// the phase of the frames against the blink; a deliberate closure of a
// second does. The hold-frames rule alone would not tell them apart: the
// eye-hold time does.
func TestChallengeBlinkIsNotEyesClosed(t *testing.T) {
	const phases = 6
	for _, g := range []session.Gesture{session.HeadEyesClosed, session.HeadRightClose, session.HeadLeftClose} {
		closed := poseOf[g]
		closed.dimL, closed.dimR = 0.6*closed.closeL, 0.6*closed.closeR
		for _, fps := range lowRates {
			for _, tc := range []struct {
				shut time.Duration
				want bool
			}{
				{100 * time.Millisecond, false}, {200 * time.Millisecond, false},
				{300 * time.Millisecond, false}, {400 * time.Millisecond, false},
				{time.Second, true},
			} {
				for phase := 0; phase < phases; phase++ {
					segs := []seg{{dur: time.Second}}
					for i := 0; i < 3; i++ {
						segs = append(segs,
							seg{dur: 33 * time.Millisecond, to: closed},
							seg{dur: tc.shut, to: closed},
							seg{dur: 33 * time.Millisecond},
							seg{dur: 800 * time.Millisecond})
					}
					obs := scenario{subject: 3, noise: 0.3, fps: fps, picture: true, segs: segs,
						timed: true, phase: time.Duration(float64(phase) / phases * float64(time.Second) / fps)}.observations()
					r := play([]session.Gesture{g}, ChallengeConfig{}, obs)
					if got := len(r.matched()) == 1; got != tc.want {
						t.Errorf("%s at %v frames/s, phase %d/%d, lids shut %v: matched %v; want %v", g, fps, phase, phases, tc.shut, got, tc.want)
					}
				}
			}
		}
	}
}

// TestChallengeRedetectionKeepsBaseline: the engine gives the same face a
// new track id mid-turn (a re-detection whose box overlapped the tracked
// one too little), with the picture around it continuous and the box in
// place: the baseline and the turn's progress stand, and the turn matches
// with one baseline. When the picture broke at the change (another face),
// the baseline is taken again.
func TestChallengeRedetectionKeepsBaseline(t *testing.T) {
	segs := trackChangeMidTurn
	for _, tc := range []struct {
		name      string
		cut       float64 // Continuity of the frame where the track changes
		baselines int
		match     bool
	}{{"same face", 0.95, 1, true}, {"another face", 0.3, 2, false}} {
		obs := scenario{subject: 2, noise: 0.5, segs: segs}.observations()
		for i := range obs {
			obs[i].Continuity = 0.95
			if i > 0 && obs[i].Track != obs[i-1].Track {
				obs[i].Continuity = tc.cut
			}
		}
		r := play([]session.Gesture{session.HeadLeft}, ChallengeConfig{}, obs)
		if got := len(r.matched()) == 1; got != tc.match {
			t.Errorf("%s: matched %v; want %v", tc.name, got, tc.match)
		}
		if n := len(r.of(EventBaseline)); n != tc.baselines {
			t.Errorf("%s: %d baselines; want %d", tc.name, n, tc.baselines)
		}
	}
}

// TestChallengeRebaselineNearTheFirst: after another face took the track,
// a baseline is not re-taken on a head pitched 14° down (it reads −12°, a
// pose the absolute bounds allow) but only back near the first baseline's
// pose; meanwhile the user is told to look straight at the camera.
func TestChallengeRebaselineNearTheFirst(t *testing.T) {
	segs := []seg{
		{dur: time.Second},
		{dur: 200 * time.Millisecond, to: state{pitch: -14, yaw: 4}, track: 2},
		{dur: 1500 * time.Millisecond, to: state{pitch: -14, yaw: 4}, track: 2},
		{dur: 300 * time.Millisecond, track: 2},
		{dur: time.Second, track: 2},
	}
	obs := scenario{subject: 2, noise: 0.5, segs: segs}.observations()
	r := play([]session.Gesture{session.HeadUp}, ChallengeConfig{GestureTimeout: time.Hour}, obs)
	bls := r.of(EventBaseline)
	if len(bls) != 2 {
		t.Fatalf("%d baselines; want 2", len(bls))
	}
	if at := bls[1].T.Sub(t0); at < 2700*time.Millisecond {
		t.Errorf("second baseline at %v, on the pitched head; want after the return at 2.7 s", at)
	}
	if len(r.matched()) != 0 {
		t.Errorf("the return to level matched HEAD_UP")
	}
	hinted := false
	for _, e := range r.of(EventHint) {
		hinted = hinted || e.Hint == HintFaceCamera
	}
	if !hinted {
		t.Errorf("no face-camera hint while the head was pitched down")
	}
}

// Signals gives, after every frame, what the next event would carry: the
// closure scores after their median, the asked gesture's score and hold.
func TestChallengeSignalsEveryFrame(t *testing.T) {
	wink := state{closeR: 0.35, closeL: 0.25, dimR: 0.33}
	segs := []seg{{dur: time.Second}, {dur: 100 * time.Millisecond, to: wink}, {dur: time.Second, to: wink}, {dur: 100 * time.Millisecond}, {dur: time.Second}}
	obs := scenario{subject: 1, noise: 0.3, picture: true, segs: segs}.observations()
	c := NewChallenge([]session.Gesture{session.HeadRightClose}, recorded(ChallengeConfig{}))
	var closedFrames, heldFrames int
	matched := false
	for _, o := range obs {
		evs := c.Observe(o)
		s := c.Signals()
		for _, e := range evs {
			if e.Signals != s {
				t.Fatalf("%v: event %s carries %+v; Signals() %+v", o.T, e.Type, e.Signals, s)
			}
			matched = matched || e.Type == EventMatch
		}
		if s.ClosedRight >= 1 && s.ClosedLeft < 1 {
			closedFrames++
		}
		if s.HoldMS > 0 {
			heldFrames++
		}
		if c.Done() {
			break
		}
	}
	if !matched {
		t.Fatal("the wink did not match")
	}
	// The wink is held 600 ms at 15 frames/s before it matches: the frames
	// before the match read it, and the hold grows over them.
	if closedFrames < 9 || heldFrames < 8 {
		t.Errorf("%d frames read the right eye alone closed, %d a hold; want ≥ 9 and ≥ 8", closedFrames, heldFrames)
	}
}
