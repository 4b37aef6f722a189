package gesture

import (
	"math"
	"time"

	"github.com/livegate/livegate/internal/session"
)

// The trace records, per asked gesture, the signals that decided it
// (issue 13's explainable result): about ten samples a second of the pose,
// eyes, mouth and the gesture's own measure, the spans when its condition
// held and the 3D and display figures of its last judgement. Its memory is
// allocated once with the challenge: a gesture whose samples fill
// traceCap halves its resolution instead of growing, so a trace is
// bounded however long the gesture takes, and Observe never allocates for
// it.

const (
	// traceStep is the sampling interval: about ten samples a second.
	traceStep = 100 * time.Millisecond
	// traceCap bounds one gesture's samples: 30 s at traceStep.
	traceCap = 300
	// maxHeldSpans bounds one gesture's spans of a held condition; later
	// holds extend the last span.
	maxHeldSpans = 16
)

// tracePoint is one sample: arrival time (Unix ns) and the signals.
type tracePoint struct {
	t                               int64
	yaw, pitch, eye, mouth, measure float32
}

// gestureTrace is one asked gesture's trace.
type gestureTrace struct {
	points []tracePoint // len traceCap, preallocated; n used
	n      int
	step   time.Duration // the current sampling interval
	due    int64         // when the next sample is due
	start  int64         // arrival of the first frame recorded, 0 before
	last   int64         // arrival of the last frame recorded
	held   [maxHeldSpans][2]int64
	nHeld  int
	on     bool // the condition held at the last frame
	turn   *session.TurnEvidence
	screen *session.ScreenEvidence
	bl     Baseline
}

// tracer holds the traces of an attempt's asked gestures.
type tracer struct {
	g []gestureTrace
}

func newTracer(n int) tracer {
	pts := make([]tracePoint, n*traceCap)
	tr := tracer{g: make([]gestureTrace, n)}
	for i := range tr.g {
		tr.g[i].points = pts[i*traceCap : (i+1)*traceCap : (i+1)*traceCap]
		tr.g[i].step = traceStep
	}
	return tr
}

// sample records a frame at arrival a with the measures m and the eyes'
// openness eye against bl, the gesture's measure value, and whether the asked gesture's condition held (on).
func (g *gestureTrace) sample(a int64, m *measures, eye float64, bl *Baseline, value float64, on bool) {
	if g.start == 0 {
		g.start = a
	}
	g.last = a
	g.bl = *bl
	g.span(a, on)
	// A frame a tenth of a step early counts: frame times are rounded.
	slack := int64(g.step / 10)
	if g.n > 0 && a < g.due-slack {
		return
	}
	if g.n == len(g.points) {
		// Full: keep every other sample and sample half as often.
		for i := 0; i < g.n/2; i++ {
			g.points[i] = g.points[2*i]
		}
		g.n /= 2
		g.step *= 2
		g.due = g.points[g.n-1].t + int64(g.step)
		if a < g.due-slack {
			return
		}
	}
	// The samples keep to a grid of step, so that frames a little faster
	// or slower than it do not skew the rate.
	if g.n == 0 || a-g.due >= int64(g.step) {
		g.due = a
	}
	g.due += int64(g.step)
	g.points[g.n] = tracePoint{
		t: a, yaw: float32(m.dYaw), pitch: float32(m.dPitch),
		eye: float32(eye), mouth: float32(m.dMouth), measure: float32(value),
	}
	g.n++
}

// span notes whether the condition holds at a.
func (g *gestureTrace) span(a int64, on bool) {
	switch {
	case on && !g.on:
		if g.nHeld < maxHeldSpans {
			g.held[g.nHeld] = [2]int64{a, a}
			g.nHeld++
		}
		fallthrough
	case on:
		g.held[g.nHeld-1][1] = a
	}
	g.on = on
}

// trace records the frame o for the gesture number idx, which was in its
// wait or asked when the frame came (the frame that decides it included).
func (c *Challenge) trace(idx int, o *Observation, on bool) {
	if idx >= len(c.tr.g) || !c.haveBL || o.Faces != 1 {
		return
	}
	m := measure(o, &c.bl, &c.cfg)
	g := c.asked[idx]
	eye := (o.EyeLeft/c.bl.EyeLeft + o.EyeRight/c.bl.EyeRight) / 2
	c.tr.g[idx].sample(arrival(o).UnixNano(), &m, eye, &c.bl, measureOf(g, &m), on)
}

// judged notes the 3D and display figures of the asked gesture's hold,
// about to be judged.
func (c *Challenge) judged(g class) {
	tr := &c.tr.g[c.idx]
	if c.cfg.ScreenLineRatio > 0 {
		tr.screen = &session.ScreenEvidence{
			BaselineLineRatio: round3(c.bl.LineRatio),
			HeldLineRatio:     round3(median(c.evidence.lines[:c.evidence.nLines])),
			Limit:             c.cfg.ScreenLineRatio,
		}
	}
	if g.isTurn() {
		pl, plMin, px, pxMin := c.evidence.figures(&c.bl, &c.cfg)
		tr.turn = &session.TurnEvidence{Planar: round3(pl), PlanarMin: round3(plMin), Parallax: round3(px), ParallaxMin: round3(pxMin)}
	}
}

// Evidence returns the trace of every asked gesture that was reached, in
// the session's form. It allocates; call it once the attempt is over.
func (c *Challenge) Evidence() []session.GestureEvidence {
	out := make([]session.GestureEvidence, 0, len(c.results))
	for i := range c.results {
		r, tr := &c.results[i], &c.tr.g[i]
		if r.Status == "" {
			break // never reached
		}
		origin := tr.start
		if !r.InstructedAt.IsZero() {
			origin = r.InstructedAt.UnixNano()
		} else if origin == 0 {
			origin = r.Started.UnixNano()
		}
		ms := func(a int64) int64 { return (a - origin) / int64(time.Millisecond) }
		at := func(t time.Time) *int64 {
			if t.IsZero() {
				return nil
			}
			v := ms(t.UnixNano())
			return &v
		}
		name, on, off, below := levels(c.asked[i], &c.cfg)
		e := session.GestureEvidence{
			Gesture: r.Gesture, Status: r.Status, Failure: r.Failure,
			Measure: name, Threshold: on, Release: off, Below: below,
			Baseline: session.EvidenceBaseline{
				Yaw: round3(tr.bl.Yaw), Pitch: round3(tr.bl.Pitch),
				EyeLeft: round3(tr.bl.EyeLeft), EyeRight: round3(tr.bl.EyeRight), Mouth: round3(tr.bl.Mouth),
			},
			OnsetMS: at(r.OnsetAt), HeldMS: at(r.HeldAt), MatchedMS: at(r.MatchedAt),
			Held: make([][2]int64, tr.nHeld),
			Turn: tr.turn, Screen: tr.screen,
		}
		if r.Status == session.GestureMatch {
			if e.MatchedMS == nil {
				e.MatchedMS = at(r.At)
			}
			if e.HeldMS == nil {
				e.HeldMS = at(r.Crossed)
			}
			e.Failure = ""
		}
		switch r.Status {
		case session.GestureNoFace:
			e.Failure = "lost_face"
		case session.GestureTooManyFaces:
			e.Failure = "too_many_faces"
		}
		if tr.last != 0 {
			e.EndMS = ms(tr.last)
		} else {
			e.EndMS = ms(r.At.UnixNano())
		}
		for k := range e.Held {
			e.Held[k] = [2]int64{ms(tr.held[k][0]), ms(tr.held[k][1])}
		}
		s := &e.Samples
		n := tr.n
		s.T, s.Yaw, s.Pitch = make([]int64, n), make([]float32, n), make([]float32, n)
		s.Eye, s.Mouth, s.Measure = make([]float32, n), make([]float32, n), make([]float32, n)
		for k, p := range tr.points[:n] {
			s.T[k] = ms(p.t)
			s.Yaw[k], s.Pitch[k], s.Eye[k] = r32(p.yaw), r32(p.pitch), r32(p.eye)
			s.Mouth[k], s.Measure[k] = r32(p.mouth), r32(p.measure)
		}
		out = append(out, e)
	}
	return out
}

func round3(v float64) float64 { return math.Round(v*1000) / 1000 }

func r32(v float32) float32 { return float32(round3(float64(v))) }
