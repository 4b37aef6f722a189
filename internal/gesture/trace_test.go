package gesture

import (
	"testing"
	"time"

	"github.com/livegate/livegate/internal/session"
)

// checkSamples checks the invariants every trace keeps: parallel arrays,
// time order, at most traceCap samples, and about step between them (a
// grid of step, each on the first frame past its point).
func checkSamples(t *testing.T, e session.GestureEvidence, step time.Duration) {
	t.Helper()
	s := e.Samples
	n := s.Len()
	if len(s.Yaw) != n || len(s.Pitch) != n || len(s.Eye) != n || len(s.Mouth) != n || len(s.Measure) != n {
		t.Fatalf("sample arrays of lengths %d %d %d %d %d %d; want equal", n, len(s.Yaw), len(s.Pitch), len(s.Eye), len(s.Mouth), len(s.Measure))
	}
	if n == 0 || n > traceCap {
		t.Fatalf("%d samples; want 1 to %d", n, traceCap)
	}
	for i := 1; i < n; i++ {
		if d := time.Duration(s.T[i]-s.T[i-1]) * time.Millisecond; d < step/2 {
			t.Fatalf("samples %d and %d %v apart; want at least %v", i-1, i, d, step)
		}
	}
	if last := s.T[n-1]; last > e.EndMS {
		t.Errorf("last sample at %d ms, after the end %d ms", last, e.EndMS)
	}
}

// TestTraceSamplesTenPerSecond: a 30 frames/s face is sampled every
// 100 ms, from the instruction to the timeout.
func TestTraceSamplesTenPerSecond(t *testing.T) {
	obs := scenario{noise: 0.5, fps: 30, segs: []seg{{dur: 12 * time.Second}}}.observations()
	r := play([]session.Gesture{session.HeadUp}, ChallengeConfig{}, obs)
	if len(r.result.Evidence) != 1 {
		t.Fatalf("evidence %+v; want one gesture", r.result.Evidence)
	}
	e := r.result.Evidence[0]
	checkSamples(t, e, traceStep)
	// 10 s from the baseline to the timeout: about 100 samples.
	if n := e.Samples.Len(); n < 90 || n > 101 {
		t.Errorf("%d samples over %d ms; want about 10 a second", n, e.EndMS)
	}
	if e.Failure != "timeout" || e.Status != session.GestureNotMatch || e.Measure != "pitch" || e.Threshold != 12 {
		t.Errorf("evidence %s %s measure %s threshold %g; want NOT_MATCH timeout, pitch over 12", e.Status, e.Failure, e.Measure, e.Threshold)
	}
}

// TestTraceIsBoundedHoweverLong: an hour-long gesture keeps at most
// traceCap samples covering the whole of it, at a coarser step.
func TestTraceIsBoundedHoweverLong(t *testing.T) {
	obs := scenario{noise: 0.5, segs: []seg{{dur: 100 * time.Second}}}.observations()
	r := play([]session.Gesture{session.HeadUp}, ChallengeConfig{GestureTimeout: 90 * time.Second}, obs)
	e := r.result.Evidence[0]
	checkSamples(t, e, 4*traceStep)
	s := e.Samples
	if s.Len() < traceCap/2 {
		t.Errorf("%d samples; want at least %d", s.Len(), traceCap/2)
	}
	if first, last := s.T[0], s.T[s.Len()-1]; first > 1000 || last < e.EndMS-2000 {
		t.Errorf("samples from %d to %d ms of %d; want the whole gesture", first, last, e.EndMS)
	}
}

// TestTraceExplainsEachOutcome runs the engine's challenge on synthetic
// faces and checks what the evidence says decided each gesture.
func TestTraceExplainsEachOutcome(t *testing.T) {
	flat := []seg{{dur: time.Second, photo: true}, {dur: time.Second, to: state{yaw: 60}, photo: true}, {dur: 2 * time.Second, to: state{yaw: 60}, photo: true}, {dur: 5 * time.Second, photo: true}}
	tests := []struct {
		name    string
		ask     session.Gesture
		cfg     ChallengeConfig
		obs     []Observation
		status  session.GestureStatus
		failure string
		check   func(t *testing.T, e session.GestureEvidence)
	}{
		{"matched turn", session.HeadLeft, ChallengeConfig{}, scenario{noise: 0.5, segs: perform(session.HeadLeft)}.observations(),
			session.GestureMatch, "", func(t *testing.T, e session.GestureEvidence) {
				if e.MatchedMS == nil || e.HeldMS == nil || *e.HeldMS > *e.MatchedMS || len(e.Held) == 0 {
					t.Errorf("held %v at %v, matched at %v; want a hold before the match", e.Held, e.HeldMS, e.MatchedMS)
				}
				var peak float32
				for _, v := range e.Samples.Measure {
					peak = max(peak, v)
				}
				if float64(peak) < e.Threshold {
					t.Errorf("measure peaked at %g; want past the threshold %g", peak, e.Threshold)
				}
				if e.Turn == nil || e.Turn.Parallax < e.Turn.ParallaxMin || e.Turn.Planar < e.Turn.PlanarMin {
					t.Errorf("turn figures %+v; want a 3D head's", e.Turn)
				}
			}},
		{"eyes closed", session.HeadEyesClosed, ChallengeConfig{}, scenario{noise: 0.5, segs: perform(session.HeadEyesClosed)}.observations(),
			session.GestureMatch, "", func(t *testing.T, e session.GestureEvidence) {
				if e.Measure != "eye_closure" || e.Threshold != 1 || e.Turn != nil {
					t.Errorf("measure %s threshold %g turn %+v; want eye_closure at 1, no turn figures", e.Measure, e.Threshold, e.Turn)
				}
			}},
		{"flat picture", session.HeadLeft, ChallengeConfig{GestureTimeout: 6 * time.Second, MaxWrong: -1}, scenario{subject: 5, noise: 0.5, segs: flat}.observations(),
			session.GestureNotMatch, "planar", func(t *testing.T, e session.GestureEvidence) {
				if e.Turn == nil || (e.Turn.Planar >= e.Turn.PlanarMin && e.Turn.Parallax >= e.Turn.ParallaxMin) {
					t.Errorf("turn figures %+v; want one under its minimum", e.Turn)
				}
			}},
		{"wrong gesture", session.HeadLeft, ChallengeConfig{MaxWrong: 1}, scenario{subject: 1, noise: 0.5, segs: perform(session.HeadRight)}.observations(),
			session.GestureNotMatch, "wrong_gesture", nil},
		{"lost face", session.HeadLeft, ChallengeConfig{}, scenario{noise: 0.5, segs: []seg{{dur: 2 * time.Second}, {dur: 12 * time.Second, faces: -1}}}.observations(),
			session.GestureNoFace, "lost_face", nil},
		{"two faces", session.HeadLeft, ChallengeConfig{}, scenario{noise: 0.5, segs: []seg{{dur: 2 * time.Second}, {dur: 12 * time.Second, faces: 2}}}.observations(),
			session.GestureTooManyFaces, "too_many_faces", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := play([]session.Gesture{tc.ask}, tc.cfg, tc.obs)
			if len(r.result.Evidence) != 1 {
				t.Fatalf("evidence of %d gestures; want 1", len(r.result.Evidence))
			}
			e := r.result.Evidence[0]
			if e.Status != tc.status || e.Failure != tc.failure || e.Gesture != tc.ask {
				t.Fatalf("%s %s %q; want %s %s %q", e.Gesture, e.Status, e.Failure, tc.ask, tc.status, tc.failure)
			}
			checkSamples(t, e, traceStep)
			if tc.check != nil {
				tc.check(t, e)
			}
		})
	}
}

// TestTraceOfADisplay: a face on a display is rejected with its line
// ratio past the limit in the evidence.
func TestTraceOfADisplay(t *testing.T) {
	obs := scenario{subject: 2, noise: 0.5, segs: append(perform(session.HeadOpenMouth), seg{dur: 10 * time.Second})}.observations()
	for i := range obs {
		obs[i].Quality.LineRatio = 4
	}
	r := play([]session.Gesture{session.HeadOpenMouth}, ChallengeConfig{}, obs)
	e := r.result.Evidence[0]
	if e.Failure != "screen" || e.Screen == nil || e.Screen.HeldLineRatio < e.Screen.Limit {
		t.Errorf("failure %q screen %+v; want screen with the line ratio past the limit", e.Failure, e.Screen)
	}
}

// TestTracePacedTimesFromTheInstruction: paced, the moments are on the
// instruction's clock: the wait before it is negative, the onset, hold and
// match after it in order; an early gesture says so.
func TestTracePacedTimesFromTheInstruction(t *testing.T) {
	instr := instructionAt(t)
	obs := timeline(append([]seg{{dur: instr + 500*time.Millisecond}}, gestureSegs(session.HeadLeft, 3*time.Second)...)...)
	r := runPaced([]session.Gesture{session.HeadLeft}, pacedConfig(), obs, 0, 0)
	e := r.res.Evidence[0]
	if e.Status != session.GestureMatch || e.OnsetMS == nil || e.HeldMS == nil || e.MatchedMS == nil {
		t.Fatalf("evidence %s onset %v held %v matched %v; want a match with its moments", e.Status, e.OnsetMS, e.HeldMS, e.MatchedMS)
	}
	if !(0 < *e.OnsetMS && *e.OnsetMS < *e.HeldMS && *e.HeldMS <= *e.MatchedMS && *e.MatchedMS <= e.EndMS) {
		t.Errorf("onset %d held %d matched %d end %d ms; want in that order after 0", *e.OnsetMS, *e.HeldMS, *e.MatchedMS, e.EndMS)
	}
	if e.Samples.T[0] >= 0 {
		t.Errorf("first sample at %d ms; want the wait before the instruction (negative)", e.Samples.T[0])
	}
	checkSamples(t, e, traceStep)

	obs = timeline(append([]seg{{dur: instr - 800*time.Millisecond}}, gestureSegs(session.HeadLeft, 3*time.Second)...)...)
	r = runPaced([]session.Gesture{session.HeadLeft}, pacedConfig(), obs, 0, 0)
	if e := r.res.Evidence[0]; e.Failure != "early" {
		t.Errorf("a turn during the wait: failure %q; want early", e.Failure)
	}
}

// BenchmarkChallengeObserveTrace is BenchmarkChallengeObserve with and
// without the trace, for its cost per frame.
func BenchmarkChallengeObserveTrace(b *testing.B) {
	obs := scenario{noise: 0.5, segs: perform(session.HeadRight, session.HeadLeft)}.observations()
	for _, traced := range []bool{false, true} {
		name := "without"
		if traced {
			name = "with"
		}
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			newCh := func() *Challenge {
				c := NewChallenge([]session.Gesture{session.HeadLeft}, ChallengeConfig{GestureTimeout: time.Hour, Unpaced: true})
				if !traced {
					c.tr = tracer{}
				}
				return c
			}
			c, i := newCh(), 0
			for b.Loop() {
				if i == len(obs) {
					b.StopTimer()
					c, i = newCh(), 0
					b.StartTimer()
				}
				c.Observe(obs[i])
				i++
			}
		})
	}
}

// BenchmarkChallengeEvidence is the cost of the trace's conversion, once
// per finished attempt: a 10 s gesture at 30 frames/s.
func BenchmarkChallengeEvidence(b *testing.B) {
	obs := scenario{noise: 0.5, fps: 30, segs: []seg{{dur: 12 * time.Second}}}.observations()
	r := play([]session.Gesture{session.HeadUp}, ChallengeConfig{}, obs)
	if len(r.result.Evidence) != 1 {
		b.Fatal("no evidence")
	}
	c := NewChallenge([]session.Gesture{session.HeadUp}, recorded(ChallengeConfig{}))
	for _, o := range obs {
		if c.Observe(o); c.Done() {
			break
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		_ = c.Evidence()
	}
}
