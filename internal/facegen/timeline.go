package facegen

import (
	"math"
	"math/rand/v2"

	"github.com/livegate/livegate/internal/session"
)

// Transition times of a person's movements: a head turn takes about half a
// second, a lid closes in a tenth.
const (
	headEase  = 0.45
	eyeEase   = 0.10
	mouthEase = 0.25
)

// Interval is one scripted gesture in the truth.
type Interval struct {
	Code       string  `json:"code"`
	Amount     float64 `json:"amount"`      // degrees for head gestures, 0..1 for eyes and mouth
	Step       int     `json:"step"`        // 1-based step of the script
	StartFrame int     `json:"start_frame"` // first frame of the step
	FullFrame  int     `json:"full_frame"`  // first frame where the movement is complete
	EndFrame   int     `json:"end_frame"`   // last frame of the step (inclusive)
	Start      float64 `json:"start_s"`
	End        float64 `json:"end_s"`
}

// Blink is a natural (unscripted) blink.
type Blink struct {
	StartFrame int `json:"start_frame"`
	EndFrame   int `json:"end_frame"`
}

// timeline turns a script into a State per frame.
type timeline struct {
	sc        Script
	fps       int
	frames    int
	sway      bool
	swayPh    [8]float64
	swayF     [8]float64
	blinks    []float64 // start times of natural blinks
	intervals []Interval
	tempo     float64 // the transition times' factor (Params.Tempo), 1 by default
}

func newTimeline(sc Script, fps int, seed uint64, sway, blinks bool) *timeline {
	return newTimelineTempo(sc, fps, seed, sway, blinks, 1)
}

// newTimelineTempo is newTimeline with every transition time multiplied by
// tempo (Params.Tempo).
func newTimelineTempo(sc Script, fps int, seed uint64, sway, blinks bool, tempo float64) *timeline {
	tl := &timeline{sc: sc, fps: fps, sway: sway, tempo: tempo}
	total := sc.Duration().Seconds()
	tl.frames = int(math.Round(total * float64(fps)))
	rng := rand.New(rand.NewPCG(seed, 0x6661636567656e))
	for i := range tl.swayPh {
		tl.swayPh[i] = rng.Float64() * 2 * math.Pi
		tl.swayF[i] = 0.12 + 0.3*rng.Float64()
	}
	// Scripted intervals and where the eyes are busy.
	var busy [][2]float64
	t := 0.0
	for si, st := range sc.Steps {
		d := st.Dur.Seconds()
		for _, a := range st.Actions {
			switch a.Code {
			case ActNeutral:
				continue
			case ActBlink:
				busy = append(busy, [2]float64{t - 0.4, t + d + 0.4})
				continue
			}
			ease := math.Min(tl.tempo*easeOf(a.Code, math.Inf(1)), d/2)
			switch session.Gesture(a.Code) {
			case session.HeadEyesClosed, session.HeadRightClose, session.HeadLeftClose:
				busy = append(busy, [2]float64{t - 0.4, t + d + 0.4})
			}
			tl.intervals = append(tl.intervals, Interval{
				Code: a.Code, Amount: a.Amount, Step: si + 1,
				StartFrame: tl.frameAt(t), FullFrame: tl.frameAt(t + ease), EndFrame: tl.frameAt(t+d) - 1,
				Start: t, End: t + d,
			})
		}
		t += d
	}
	if blinks {
		next := 0.8 + 2.5*rng.Float64()
		for next < total-0.3 {
			free := true
			for _, b := range busy {
				if next+0.3 > b[0] && next < b[1] {
					free = false
				}
			}
			if free {
				tl.blinks = append(tl.blinks, next)
			}
			next += 2.2 + 3.5*rng.Float64()
		}
	}
	return tl
}

// frameAt is the first frame at or after time t.
func (tl *timeline) frameAt(t float64) int {
	return int(math.Ceil(t*float64(tl.fps) - 1e-9))
}

func easeOf(code string, stepDur float64) float64 {
	e := headEase
	switch session.Gesture(code) {
	case session.HeadEyesClosed, session.HeadRightClose, session.HeadLeftClose, session.HeadEyesOpen:
		e = eyeEase
	case session.HeadOpenMouth, session.HeadCloseMouth:
		e = mouthEase
	}
	return math.Min(e, stepDur/2)
}

// target is the state a step moves to.
func target(st Step) State {
	s := Neutral
	for _, a := range st.Actions {
		switch session.Gesture(a.Code) {
		case session.HeadLeft:
			s.Yaw = a.Amount
		case session.HeadRight:
			s.Yaw = -a.Amount
		case session.HeadUp:
			s.Pitch = a.Amount
		case session.HeadDown:
			s.Pitch = -a.Amount
		case session.HeadEyesClosed:
			s.LeftEye, s.RightEye = 1-a.Amount, 1-a.Amount
		case session.HeadRightClose:
			s.RightEye = 1 - a.Amount
		case session.HeadLeftClose:
			s.LeftEye = 1 - a.Amount
		case session.HeadOpenMouth:
			s.Mouth = a.Amount
		}
	}
	return s
}

func ease(x float64) float64 {
	if x <= 0 {
		return 0
	}
	if x >= 1 {
		return 1
	}
	return 0.5 - 0.5*math.Cos(math.Pi*x)
}

// blinkShape is how closed the lids are at time u into a blink (0.25 s).
func blinkShape(u float64) float64 {
	switch {
	case u < 0 || u > 0.25:
		return 0
	case u < 0.08:
		return ease(u / 0.08)
	case u < 0.11:
		return 1
	default:
		return 1 - ease((u-0.11)/0.14)
	}
}

// scripted returns the state the script asks for at time t, without sway.
func (tl *timeline) scripted(t float64) State {
	prev := Neutral
	start := 0.0
	for si, st := range tl.sc.Steps {
		d := st.Dur.Seconds()
		if t < start+d || si == len(tl.sc.Steps)-1 {
			tg := target(st)
			u := t - start
			lerp := func(a, b, e float64) float64 { return a + (b-a)*ease(u/e) }
			he, ee, me := math.Min(tl.tempo*headEase, d/2), math.Min(tl.tempo*eyeEase, d/2), math.Min(tl.tempo*mouthEase, d/2)
			s := State{
				Yaw:      lerp(prev.Yaw, tg.Yaw, he),
				Pitch:    lerp(prev.Pitch, tg.Pitch, he),
				LeftEye:  lerp(prev.LeftEye, tg.LeftEye, ee),
				RightEye: lerp(prev.RightEye, tg.RightEye, ee),
				Mouth:    lerp(prev.Mouth, tg.Mouth, me),
			}
			for _, a := range st.Actions {
				if a.Code == ActBlink {
					k := blinkShape(u - (d/2 - 0.12))
					s.LeftEye *= 1 - k
					s.RightEye *= 1 - k
				}
			}
			return s
		}
		prev = target(st)
		start += d
	}
	return prev
}

// state returns the full state at frame i: script, natural blinks and sway.
func (tl *timeline) state(i int) State {
	return tl.stateAt(float64(i) / float64(tl.fps))
}

// stateAt returns the full state at time t.
func (tl *timeline) stateAt(t float64) State {
	return tl.micro(t, tl.scripted(t))
}

// micro adds the natural blinks and the sway at time t to the state s.
func (tl *timeline) micro(t float64, s State) State {
	for _, b := range tl.blinks {
		if k := blinkShape(t - b); k > 0 {
			s.LeftEye *= 1 - k
			s.RightEye *= 1 - k
		}
	}
	if tl.sway {
		w := func(k int, amp float64) float64 {
			return amp * (0.6*math.Sin(2*math.Pi*tl.swayF[k]*t+tl.swayPh[k]) +
				0.4*math.Sin(2*math.Pi*tl.swayF[k]*2.3*t+tl.swayPh[(k+4)%8]))
		}
		s.Yaw += w(0, 1.2)
		s.Pitch += w(1, 0.8)
		s.Roll += w(2, 1.0)
		s.TX += w(3, 2.5)
		s.TY += w(4, 1.5)
	}
	return s
}

// naturalBlinks lists the natural blinks as frame intervals.
func (tl *timeline) naturalBlinks() []Blink {
	var out []Blink
	for _, b := range tl.blinks {
		out = append(out, Blink{StartFrame: tl.frameAt(b), EndFrame: tl.frameAt(b+0.25) - 1})
	}
	return out
}
