package gesture

import (
	"testing"
	"time"

	"github.com/livegate/livegate/internal/session"
)

// The pacing tests feed observation sequences whose frames carry explicit
// arrival times (the server's clock). Capture times T are made to lie
// (the page claims twice the frame rate it sends), so that a rule that
// used T instead of Arrival would fail them.

const pacedWait = 2 * time.Second

// latency is how long after its capture a frame arrives in these tests.
const latency = 40 * time.Millisecond

func pacedConfig() ChallengeConfig {
	return ChallengeConfig{InstructionDelay: func(int) time.Duration { return pacedWait }}
}

// timeline renders segs at 15 frames/s: Arrival is the real timeline (plus
// the latency), T runs at twice its speed.
func timeline(segs ...seg) []Observation { return timelineNoise(0.3, segs...) }

// timelineNoise is timeline with landmark noise sigma (pixels).
func timelineNoise(sigma float64, segs ...seg) []Observation {
	obs := scenario{noise: sigma, segs: segs}.observations()
	for i := range obs {
		a := obs[i].T
		obs[i].Arrival = a.Add(latency)
		obs[i].T = t0.Add(a.Sub(t0) / 2)
	}
	return obs
}

// gestureSegs is a gesture performed from neutral: 300 ms to reach the
// pose, held 600 ms, 300 ms back, then neutral for rest.
func gestureSegs(g session.Gesture, rest time.Duration) []seg {
	st := poseOf[g]
	return []seg{{dur: 300 * time.Millisecond, to: st}, {dur: heldFor(g), to: st}, {dur: 300 * time.Millisecond}, {dur: rest}}
}

type pacedRun struct {
	events []Event
	res    Result
	// instructed are the arrival times of the frames that asked each
	// gesture.
	instructed []time.Time
}

func (r pacedRun) of(typ EventType) []Event {
	var out []Event
	for _, e := range r.events {
		if e.Type == typ {
			out = append(out, e)
		}
	}
	return out
}

// runPaced plays obs; the instruction is "sent" sendDelay after the
// arrival of the frame that asks it, rtt is the connection's round trip.
func runPaced(ask []session.Gesture, cfg ChallengeConfig, obs []Observation, sendDelay, rtt time.Duration) pacedRun {
	c := NewChallenge(ask, cfg)
	c.SetRTT(rtt)
	var r pacedRun
	for _, o := range obs {
		evs := c.Observe(o)
		r.events = append(r.events, evs...)
		for _, e := range evs {
			if e.Type == EventGestureStart {
				r.instructed = append(r.instructed, o.Arrival)
				c.Instructed(o.Arrival.Add(sendDelay))
			}
		}
		if c.Done() {
			break
		}
	}
	r.res = c.Result()
	return r
}

// instructionAt is when the first instruction of a neutral face comes,
// on the arrival clock, and how far into the timeline.
func instructionAt(t *testing.T) time.Duration {
	t.Helper()
	r := runPaced([]session.Gesture{session.HeadLeft}, pacedConfig(), timeline(seg{dur: 4 * time.Second}), 0, 0)
	if len(r.instructed) != 1 {
		t.Fatalf("a neutral face was asked %d times in 4 s; want once", len(r.instructed))
	}
	return r.instructed[0].Sub(t0.Add(latency))
}

func TestPacingWaitsBeforeTheInstruction(t *testing.T) {
	r := runPaced([]session.Gesture{session.HeadLeft}, pacedConfig(), timeline(seg{dur: 4 * time.Second}), 0, 0)
	bl, wait, start := r.of(EventBaseline), r.of(EventWait), r.of(EventGestureStart)
	if len(bl) != 1 || len(wait) != 1 || len(start) != 1 {
		t.Fatalf("baseline %d, wait %d, gesture_start %d; want one of each", len(bl), len(wait), len(start))
	}
	if wait[0].Gesture != "" {
		t.Errorf("the wait event names %s; the page must not learn the gesture before the instruction", wait[0].Gesture)
	}
	// The wait starts on the baseline's frame and lasts pacedWait of
	// arrival time (T runs twice as fast: half of it in T).
	waitStart := t0.Add(2 * bl[0].T.Sub(t0)).Add(latency)
	got := r.instructed[0].Sub(waitStart)
	if got < pacedWait || got > pacedWait+70*time.Millisecond {
		t.Errorf("asked %v after the wait started (arrival clock); want %v to one frame more", got, pacedWait)
	}
	if st := r.res.Gestures[0].InstructedAt; !st.Equal(r.instructed[0]) {
		t.Errorf("InstructedAt %v; want %v", st, r.instructed[0])
	}
}

func TestPacingRules(t *testing.T) {
	instr := instructionAt(t)
	frame := time.Second / 15
	tests := []struct {
		name string
		// start is when the asked (or other) gesture starts, from the
		// instruction; negative: before it.
		start   time.Duration
		perform session.Gesture
		rtt     time.Duration
		status  session.GestureStatus
		failure string
		// reaction bounds the reported reaction, when there is one.
		minReaction, maxReaction time.Duration
	}{
		{"reacts in 0.5 s", 500 * time.Millisecond, session.HeadLeft, 0, session.GestureMatch, "", 500 * time.Millisecond, 500*time.Millisecond + 2*frame},
		{"reacts in 2.5 s", 2500 * time.Millisecond, session.HeadLeft, 0, session.GestureMatch, "", 2500 * time.Millisecond, 2500*time.Millisecond + 2*frame},
		{"reacts in 0.3 s over a 50 ms round trip", 300 * time.Millisecond, session.HeadLeft, 50 * time.Millisecond, session.GestureMatch, "", 250 * time.Millisecond, 250*time.Millisecond + 2*frame},
		{"anticipates: moves 70 ms after the instruction", 70 * time.Millisecond, session.HeadLeft, 0, session.GestureNotMatch, failEarly, 70 * time.Millisecond, 70*time.Millisecond + 2*frame},
		{"a 0.25 s reaction less a 150 ms round trip is too fast", 250 * time.Millisecond, session.HeadLeft, 150 * time.Millisecond, session.GestureNotMatch, failEarly, 100 * time.Millisecond, 100*time.Millisecond + 2*frame},
		{"moves during the wait", -800 * time.Millisecond, session.HeadLeft, 0, session.GestureNotMatch, failEarly, 0, 0},
		{"opens the mouth during the wait", -800 * time.Millisecond, session.HeadOpenMouth, 0, session.GestureNotMatch, failEarly, 0, 0},
		{"closes the eyes during the wait", -1800 * time.Millisecond, session.HeadEyesClosed, 0, session.GestureNotMatch, failEarly, 0, 0},
		{"reacts in 3.9 s", 3900 * time.Millisecond, session.HeadLeft, 0, session.GestureNotMatch, failLate, 0, 0},
		// The round trip taken off is capped at 1 s: 4.7 s less 1 s is
		// still late (uncapped it would be early).
		{"reacts in 4.7 s over a 5 s round trip", 4700 * time.Millisecond, session.HeadLeft, 5 * time.Second, session.GestureNotMatch, failLate, 0, 0},
		{"turns the other way", 500 * time.Millisecond, session.HeadRight, 0, session.GestureNotMatch, failWrong, 0, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			lead := instr + tc.start
			obs := timeline(append([]seg{{dur: lead}}, gestureSegs(tc.perform, 6*time.Second)...)...)
			r := runPaced([]session.Gesture{session.HeadLeft}, pacedConfig(), obs, 0, tc.rtt)
			g := r.res.Gestures[0]
			if r.res.Status != tc.status || g.Failure != tc.failure {
				t.Fatalf("status %q failure %q; want %q %q (events %v)", r.res.Status, g.Failure, tc.status, tc.failure, types(r.events))
			}
			if tc.failure == failEarly && tc.start < 0 && len(r.of(EventGestureStart)) != 0 {
				t.Errorf("a gesture during the wait was followed by the instruction")
			}
			if tc.maxReaction > 0 {
				if g.ReactionMS == nil {
					t.Fatalf("no reaction reported")
				}
				got := time.Duration(*g.ReactionMS) * time.Millisecond
				// The onset is the first frame of the rise out of the
				// band: sensor noise rising into the motion can make it
				// read up to two frames early.
				if got < max(0, tc.minReaction-2*frame-time.Millisecond) || got > tc.maxReaction {
					t.Errorf("reaction %v; want %v to %v", got, tc.minReaction, tc.maxReaction)
				}
				if g.RTTMS == nil || *g.RTTMS != tc.rtt.Milliseconds() {
					t.Errorf("rtt_ms %v; want %d", g.RTTMS, tc.rtt.Milliseconds())
				}
			}
			if tc.status == session.GestureMatch {
				if !(g.InstructedAt.Before(g.OnsetAt) && g.OnsetAt.Before(g.HeldAt) && g.HeldAt.Before(g.MatchedAt)) {
					t.Errorf("timings out of order: instructed %v onset %v held %v matched %v", g.InstructedAt, g.OnsetAt, g.HeldAt, g.MatchedAt)
				}
			}
		})
	}
}

func TestPacingLateEndsWithoutWaitingForTheTimeout(t *testing.T) {
	instr := instructionAt(t)
	obs := timeline(seg{dur: 12 * time.Second})
	r := runPaced([]session.Gesture{session.HeadUp}, pacedConfig(), obs, 0, 200*time.Millisecond)
	g := r.res.Gestures[0]
	if r.res.Status != session.GestureNotMatch || g.Failure != failLate {
		t.Fatalf("status %q failure %q; want NOT_MATCH late", r.res.Status, g.Failure)
	}
	done := r.of(EventDone)
	if len(done) != 1 || len(r.of(EventTimeout)) != 0 {
		t.Fatalf("done %d timeout %d; want one done and no timeout", len(done), len(r.of(EventTimeout)))
	}
	// T runs twice as fast: the end is at instr + 200 ms + 3.5 s of arrival.
	end := 2 * done[0].T.Sub(t0)
	if want := instr + 3700*time.Millisecond; end < want || end > want+70*time.Millisecond {
		t.Errorf("ended %v into the clip; want %v to one frame more", end, want)
	}
}

func TestPacingLongBlinkDuringTheWaitIsNotEarly(t *testing.T) {
	instr := instructionAt(t)
	// A 300 ms blink (lids fully shut 300 ms) 1 s before the instruction,
	// then a turn 0.6 s after it.
	shut := state{closeL: 1, closeR: 1}
	segs := []seg{{dur: instr - time.Second}, {dur: 30 * time.Millisecond, to: shut}, {dur: 300 * time.Millisecond, to: shut}, {dur: 30 * time.Millisecond}}
	segs = append(segs, seg{dur: time.Second - 360*time.Millisecond + 600*time.Millisecond})
	segs = append(segs, gestureSegs(session.HeadLeft, time.Second)...)
	r := runPaced([]session.Gesture{session.HeadLeft}, pacedConfig(), timeline(segs...), 0, 0)
	if r.res.Status != session.GestureMatch {
		t.Fatalf("status %q failure %q; want MATCH (a long blink is not a gesture)", r.res.Status, r.res.Gestures[0].Failure)
	}
}

func TestPacingUsesTheSendTime(t *testing.T) {
	// The instruction left 150 ms after its frame arrived (a busy server):
	// a turn starting 250 ms after that frame (its onset a frame later) is
	// under 200 ms after the instruction, too fast to be an answer to it.
	instr := instructionAt(t)
	obs := timeline(append([]seg{{dur: instr + 250*time.Millisecond}}, gestureSegs(session.HeadLeft, 2*time.Second)...)...)
	if r := runPaced([]session.Gesture{session.HeadLeft}, pacedConfig(), obs, 0, 0); r.res.Status != session.GestureMatch {
		t.Fatalf("sent at once: status %q failure %q; want MATCH", r.res.Status, r.res.Gestures[0].Failure)
	}
	r := runPaced([]session.Gesture{session.HeadLeft}, pacedConfig(), obs, 150*time.Millisecond, 0)
	if g := r.res.Gestures[0]; g.Failure != failEarly || !g.InstructedAt.Equal(r.instructed[0].Add(150*time.Millisecond)) {
		t.Fatalf("sent 150 ms late: failure %q instructed_at %v; want early, %v", g.Failure, g.InstructedAt, r.instructed[0].Add(150*time.Millisecond))
	}
}

func TestPacingTwoGestures(t *testing.T) {
	// The second wait starts when the user is back at neutral; each
	// gesture is asked after its own wait.
	var asked []int
	cfg := ChallengeConfig{InstructionDelay: func(i int) time.Duration {
		asked = append(asked, i)
		return pacedWait + time.Duration(i)*500*time.Millisecond
	}}
	instr := instructionAt(t)
	segs := []seg{{dur: instr + 600*time.Millisecond}}
	segs = append(segs, gestureSegs(session.HeadLeft, 0)...)
	// Back at neutral ≈ instr + 1.8 s; the second wait is 2.5 s.
	segs = append(segs, seg{dur: 2500*time.Millisecond + 700*time.Millisecond})
	segs = append(segs, gestureSegs(session.HeadOpenMouth, 2*time.Second)...)
	r := runPaced([]session.Gesture{session.HeadLeft, session.HeadOpenMouth}, cfg, timeline(segs...), 0, 0)
	if r.res.Status != session.GestureMatch {
		t.Fatalf("status %q, failures %q %q; want MATCH (events %v)", r.res.Status, r.res.Gestures[0].Failure, r.res.Gestures[1].Failure, types(r.events))
	}
	if len(r.of(EventWait)) != 2 || len(r.instructed) != 2 || len(asked) != 2 || asked[0] != 0 || asked[1] != 1 {
		t.Fatalf("waits %d, instructions %d, delays drawn for %v; want 2, 2, [0 1]", len(r.of(EventWait)), len(r.instructed), asked)
	}
	match0 := r.res.Gestures[0].MatchedAt
	w2 := r.of(EventWait)[1]
	if got := t0.Add(2 * w2.T.Sub(t0)).Add(latency); !got.After(match0) {
		t.Errorf("second wait began %v, not after the first match %v", got, match0)
	}
	if gap := r.instructed[1].Sub(t0.Add(2 * w2.T.Sub(t0)).Add(latency)); gap < 2500*time.Millisecond || gap > 2500*time.Millisecond+70*time.Millisecond {
		t.Errorf("second instruction %v after its wait began; want 2.5 s", gap)
	}
}

func TestPacingTrackChangeDuringTheWaitRestartsIt(t *testing.T) {
	segs := []seg{{dur: time.Second}, {dur: 3 * time.Second, track: 2}}
	r := runPaced([]session.Gesture{session.HeadLeft}, pacedConfig(), timeline(segs...), 0, 0)
	if len(r.of(EventWait)) != 2 || len(r.instructed) != 1 {
		t.Fatalf("waits %d, instructions %d; want 2 (a new face waits anew) and 1", len(r.of(EventWait)), len(r.instructed))
	}
	if got, want := r.instructed[0].Sub(t0.Add(latency)), time.Second+400*time.Millisecond+pacedWait; got < want {
		t.Errorf("asked %v into the clip; want after the second face's baseline and a full wait (%v)", got, want)
	}
}

func TestPacingDefaultDelayIsRandomInItsBounds(t *testing.T) {
	d := newDelay(2*time.Second, 4*time.Second)
	seen := map[time.Duration]bool{}
	var lo, hi = time.Hour, time.Duration(0)
	for i := 0; i < 1000; i++ {
		v := d(i)
		if v < 2*time.Second || v > 4*time.Second {
			t.Fatalf("delay %v outside [2 s, 4 s]", v)
		}
		seen[v] = true
		lo, hi = min(lo, v), max(hi, v)
	}
	if len(seen) < 990 || lo > 2100*time.Millisecond || hi < 3900*time.Millisecond {
		t.Errorf("1000 draws: %d distinct, range %v–%v; want spread over [2 s, 4 s]", len(seen), lo, hi)
	}
	a, b := newDelay(2*time.Second, 4*time.Second), newDelay(2*time.Second, 4*time.Second)
	if a(0) == b(0) && a(1) == b(1) && a(2) == b(2) {
		t.Errorf("two challenges drew the same delays: the source is not seeded per challenge")
	}
}

func TestUnpacedAsksAtOnce(t *testing.T) {
	obs := timeline(append([]seg{{dur: time.Second}}, gestureSegs(session.HeadLeft, time.Second)...)...)
	r := runPaced([]session.Gesture{session.HeadLeft}, ChallengeConfig{Unpaced: true}, obs, 0, 0)
	if r.res.Status != session.GestureMatch || len(r.of(EventWait)) != 0 {
		t.Fatalf("unpaced: status %q, %d waits; want MATCH with no wait", r.res.Status, len(r.of(EventWait)))
	}
	if g := r.res.Gestures[0]; !g.InstructedAt.IsZero() || g.ReactionMS != nil {
		t.Errorf("unpaced: timing evidence %+v; want none", g)
	}
	bl, st := r.of(EventBaseline), r.of(EventGestureStart)
	if len(st) != 1 || !st[0].T.Equal(bl[0].T) {
		t.Errorf("unpaced: gesture_start %v; want on the baseline's frame", st)
	}
}

func types(evs []Event) []EventType {
	var out []EventType
	for _, e := range evs {
		if e.Type != EventProgress && e.Type != EventHint {
			out = append(out, e.Type)
		}
	}
	return out
}

func TestPacingFlickeringTurnDuringTheWaitIsEarly(t *testing.T) {
	// A recorded turn whose pose estimate drops below the release level
	// every 200 ms (as the landmark model does on some faces): no unbroken
	// hold reaches WrongHold, but the turn adds up.
	instr := instructionAt(t)
	segs := []seg{{dur: instr - 1500*time.Millisecond}}
	for i := 0; i < 3; i++ {
		segs = append(segs, seg{dur: 200 * time.Millisecond, to: state{yaw: 24}}, seg{dur: 200 * time.Millisecond, to: state{yaw: 6}})
	}
	segs = append(segs, seg{dur: 4 * time.Second})
	r := runPaced([]session.Gesture{session.HeadRight}, pacedConfig(), timeline(segs...), 0, 0)
	if g := r.res.Gestures[0]; g.Failure != failEarly || len(r.instructed) != 0 {
		t.Fatalf("failure %q after %d instructions; want early before any (events %v)", g.Failure, len(r.instructed), types(r.events))
	}
	if r.res.Detected != session.HeadLeft {
		t.Errorf("detected %q; want HEAD_LEFT", r.res.Detected)
	}
}

func TestPacingWaitDoesNotCountAgainstTheTimeout(t *testing.T) {
	// The turn is held about 2.2 s into the clip's capture times (T runs
	// twice as fast as arrival here), past a GestureTimeout of 1.5 s, but
	// 2 s of that were the server's wait, which is not the user's time.
	cfg := pacedConfig()
	cfg.GestureTimeout = 1500 * time.Millisecond
	instr := instructionAt(t)
	obs := timeline(append([]seg{{dur: instr + 1500*time.Millisecond}}, gestureSegs(session.HeadLeft, time.Second)...)...)
	r := runPaced([]session.Gesture{session.HeadLeft}, cfg, obs, 0, 0)
	if r.res.Status != session.GestureMatch {
		t.Fatalf("status %q failure %q; want MATCH (events %v)", r.res.Status, r.res.Gestures[0].Failure, types(r.events))
	}
}

// A slow turn already under way when the instruction goes out, crossing
// the band only 0.35 s after it, began before the instruction: early. By
// the band crossing alone it read as a 0.35 s reaction, which is how a
// recording slowed by 25 % passed one session in 40.
func TestPacingOnsetIsWhereTheRiseBegan(t *testing.T) {
	instr := instructionAt(t)
	segs := []seg{{dur: instr - 100*time.Millisecond}, {dur: 1500 * time.Millisecond, to: poseOf[session.HeadLeft]}, {dur: 2 * time.Second, to: poseOf[session.HeadLeft]}}
	r := runPaced([]session.Gesture{session.HeadLeft}, pacedConfig(), timeline(segs...), 0, 0)
	if len(r.instructed) != 1 {
		t.Fatalf("asked %d times; want once (the ramp starts below the band)", len(r.instructed))
	}
	g := r.res.Gestures[0]
	if r.res.Status != session.GestureNotMatch || g.Failure != failEarly {
		t.Fatalf("status %q failure %q; want NOT_MATCH early (events %v)", r.res.Status, g.Failure, types(r.events))
	}
	if !g.OnsetAt.Before(r.instructed[0]) {
		t.Errorf("onset %v; want before the instruction %v", g.OnsetAt, r.instructed[0])
	}
}

// TestPacingPreviousGestureStillHeldRestartsTheWait: the first gesture
// matched, the user keeps holding it, and its reading drops to neutral
// for three frames on the way (a noisy pose; enough to re-arm). The rest
// of the hold is the previous gesture, not one made in the wait: the wait
// starts over once the user is really back, and the second gesture,
// performed after its instruction, matches. (It ended the try "early"
// before.) Another gesture held in the wait is still early.
func TestPacingPreviousGestureStillHeldRestartsTheWait(t *testing.T) {
	instr := instructionAt(t)
	const frame = time.Second / 15
	for _, tc := range []struct {
		first, held, second session.Gesture
		status              session.GestureStatus
		failure             string
	}{
		{session.HeadUp, session.HeadUp, session.HeadDown, session.GestureMatch, ""},
		{session.HeadOpenMouth, session.HeadOpenMouth, session.HeadLeft, session.GestureMatch, ""},
		{session.HeadUp, session.HeadRight, session.HeadDown, session.GestureNotMatch, failEarly},
	} {
		t.Run(string(tc.first)+" then "+string(tc.held), func(t *testing.T) {
			first, held := poseOf[tc.first], poseOf[tc.held]
			segs := []seg{{dur: instr + 500*time.Millisecond},
				{dur: 300 * time.Millisecond, to: first}, {dur: 400 * time.Millisecond, to: first},
				// the glitch: three frames read neutral
				{dur: frame}, {dur: 2 * frame},
				// held (back in 0.2 s) 0.8 s more, then back and neutral for 2.5 s
				{dur: 200 * time.Millisecond, to: held}, {dur: 800 * time.Millisecond, to: held},
				{dur: 300 * time.Millisecond}, {dur: 2500 * time.Millisecond}}
			segs = append(segs, gestureSegs(tc.second, 2*time.Second)...)
			cfg := pacedConfig()
			// The glitch moves 20° in a frame, which the motion filter
			// reads as a jump (a break of the picture, also a restart);
			// this test is about the wait.
			cfg.MaxAngularSpeed = 1e6
			r := runPaced([]session.Gesture{tc.first, tc.second}, cfg, timeline(segs...), 0, 0)
			if r.res.Gestures[0].Status != session.GestureMatch {
				t.Fatalf("first gesture %q (%q); want MATCH (events %v)", r.res.Gestures[0].Status, r.res.Gestures[0].Failure, types(r.events))
			}
			g := r.res.Gestures[1]
			if r.res.Status != tc.status || g.Failure != tc.failure {
				t.Fatalf("status %q, second gesture's failure %q; want %q %q (events %v)", r.res.Status, g.Failure, tc.status, tc.failure, types(r.events))
			}
			if tc.failure != "" {
				return
			}
			// The second instruction comes a whole wait after the real return.
			back := t0.Add(latency + instr + 500*time.Millisecond + 700*time.Millisecond + 3*frame + 200*time.Millisecond + 800*time.Millisecond + 300*time.Millisecond)
			if len(r.instructed) != 2 || r.instructed[1].Sub(back) < pacedWait {
				t.Errorf("instructions %v; want the second ≥ %v after the return at %v", r.instructed, pacedWait, back)
			}
		})
	}
}

// TestPacingSwayBeforeTheTurnIsNotItsOnset: a still face that creeps a
// degree or two toward the asked side (4°/s) from just before the
// instruction, then turns 0.4 s after it, reacted in 0.4 s: the creep's
// slow frames do not open the rise (with every rising frame opening it,
// as before OnsetRate, the onset fell before the instruction and the try
// ended "early"). The same creep with the turn begun before the
// instruction (a slow one, that has not left the band when the instruction
// goes out) is still early. No landmark noise: a noisy creep is not
// monotonic and would not open a rise under either rule.
func TestPacingSwayBeforeTheTurnIsNotItsOnset(t *testing.T) {
	instr := instructionAt(t)
	creep := state{yaw: 2}
	for _, tc := range []struct {
		name      string
		turnAt    time.Duration // from the instruction
		turn      time.Duration // from the creep to the full turn
		rate      float64       // OnsetRate; 0: the default
		status    session.GestureStatus
		failure   string
		onsetFrom time.Duration // the onset no earlier than this after the instruction
	}{
		{"turn 0.4 s after", 400 * time.Millisecond, 300 * time.Millisecond, 0, session.GestureMatch, "", 350 * time.Millisecond},
		{"turn 0.4 s after, every rising frame opens the rise", 400 * time.Millisecond, 300 * time.Millisecond, -1, session.GestureNotMatch, failEarly, -200 * time.Millisecond},
		{"slow turn 0.1 s before", -100 * time.Millisecond, time.Second, 0, session.GestureNotMatch, failEarly, -200 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			creepFrom := instr - 100*time.Millisecond
			if tc.turnAt < 0 {
				creepFrom = instr - 600*time.Millisecond
			}
			segs := []seg{{dur: creepFrom}, {dur: instr + tc.turnAt - creepFrom, to: creep},
				{dur: tc.turn, to: poseOf[session.HeadLeft]}, {dur: 2 * time.Second, to: poseOf[session.HeadLeft]}}
			cfg := pacedConfig()
			cfg.OnsetRate = tc.rate
			r := runPaced([]session.Gesture{session.HeadLeft}, cfg, timelineNoise(0, segs...), 0, 0)
			g := r.res.Gestures[0]
			if r.res.Status != tc.status || g.Failure != tc.failure {
				t.Fatalf("status %q failure %q; want %q %q (events %v)", r.res.Status, g.Failure, tc.status, tc.failure, types(r.events))
			}
			if len(r.instructed) != 1 {
				t.Fatalf("asked %d times; want once", len(r.instructed))
			}
			if g.OnsetAt.IsZero() {
				t.Fatal("no onset")
			}
			if got := g.OnsetAt.Sub(r.instructed[0]); got < tc.onsetFrom || got > tc.turnAt+70*time.Millisecond {
				t.Errorf("onset %v after the instruction; want within [%v, %v]", got, tc.onsetFrom, tc.turnAt+70*time.Millisecond)
			}
		})
	}
}

// TestPacingAtLowFrameRates: the reaction window and the wait's rules at
// 7 and 10 frames/s (capture and arrival at the same rate; the frames fall
// at three phases against the motion): a user who reacts in 0.25 to 2.5 s
// passes with every gesture, one who moves during the wait or after
// 3.9 s does not. The onset is read at a frame: up to one frame interval
// (143 ms at 7 frames/s) after the motion began, or a frame early when
// noise rises into it.
func TestPacingAtLowFrameRates(t *testing.T) {
	for _, fps := range []float64{7, 10} {
		for phase := 0; phase < 3; phase++ {
			at := func(segs ...seg) []Observation {
				obs := scenario{noise: 0.3, fps: fps, timed: true, segs: segs,
					phase: time.Duration(float64(phase) / 3 * float64(time.Second) / fps)}.observations()
				for i := range obs {
					obs[i].Arrival = obs[i].T.Add(latency)
				}
				return obs
			}
			// When a neutral face is asked, on the arrival clock.
			r := runPaced([]session.Gesture{session.HeadLeft}, pacedConfig(), at(seg{dur: 5 * time.Second}), 0, 0)
			if len(r.instructed) != 1 {
				t.Fatalf("%v frames/s: a neutral face was asked %d times in 5 s; want once", fps, len(r.instructed))
			}
			instr := r.instructed[0].Sub(t0.Add(latency))
			for _, tc := range []struct {
				start   time.Duration
				perform session.Gesture
				failure string
			}{
				{400 * time.Millisecond, session.HeadLeft, ""},
				{250 * time.Millisecond, session.HeadLeft, ""},
				{300 * time.Millisecond, session.HeadOpenMouth, ""},
				{500 * time.Millisecond, session.HeadUp, ""},
				{time.Second, session.HeadOpenMouth, ""},
				{2500 * time.Millisecond, session.HeadRight, ""},
				{600 * time.Millisecond, session.HeadEyesClosed, ""},
				{-800 * time.Millisecond, session.HeadDown, failEarly},
				{-800 * time.Millisecond, session.HeadOpenMouth, failEarly},
				{3900 * time.Millisecond, session.HeadLeft, failLate},
			} {
				ask := tc.perform
				obs := at(append([]seg{{dur: instr + tc.start}}, gestureSegs(tc.perform, 5*time.Second)...)...)
				r := runPaced([]session.Gesture{ask}, pacedConfig(), obs, 0, 0)
				g := r.res.Gestures[0]
				want := session.GestureMatch
				if tc.failure != "" {
					want = session.GestureNotMatch
				}
				if r.res.Status != want || g.Failure != tc.failure {
					rt := "none"
					if g.ReactionMS != nil {
						rt = (time.Duration(*g.ReactionMS) * time.Millisecond).String()
					}
					t.Errorf("%v frames/s, phase %d/3: %s %v after the instruction: status %q failure %q (reaction %s); want %q %q",
						fps, phase, tc.perform, tc.start, r.res.Status, g.Failure, rt, want, tc.failure)
				}
			}
		}
	}
}

func TestPacingJumpDuringTheWaitRestartsIt(t *testing.T) {
	// A break of the picture (a jump) as a turn begins during the wait
	// disarms the gestures, so the turn does not count as early; the face
	// comes back to neutral and, a second later, performs the asked
	// gesture. Were the wait to run on, the instruction would come just
	// before that gesture and a recording would pass; it starts over
	// instead, and the gesture falls in it.
	instr := instructionAt(t)
	lead := instr - 1500*time.Millisecond
	segs := []seg{{dur: lead},
		{dur: 300 * time.Millisecond, to: state{yaw: -24}}, {dur: 600 * time.Millisecond, to: state{yaw: -24}},
		{dur: 300 * time.Millisecond}, {dur: time.Second}}
	segs = append(segs, gestureSegs(session.HeadLeft, 3*time.Second)...)
	obs := timeline(segs...)
	broke := false
	for i := range obs {
		obs[i].Continuity = 0.95
		if !broke && obs[i].Arrival.Sub(t0.Add(latency)) >= lead {
			obs[i].Continuity, broke = 0.3, true
		}
	}
	r := runPaced([]session.Gesture{session.HeadLeft}, pacedConfig(), obs, 0, 0)
	if len(r.of(EventRejected)) == 0 {
		t.Fatalf("no jump seen at the break (events %v)", types(r.events))
	}
	if g := r.res.Gestures[0]; g.Failure != failEarly || len(r.instructed) != 0 || r.res.Status == session.GestureMatch {
		t.Fatalf("status %q, failure %q after %d instructions; want early before any (events %v)", r.res.Status, g.Failure, len(r.instructed), types(r.events))
	}
	if r.res.Detected != session.HeadLeft {
		t.Errorf("detected %q; want HEAD_LEFT, the gesture the restarted wait saw", r.res.Detected)
	}
}

func TestPacingHoldBeforeTheWaitIsNotEarly(t *testing.T) {
	// A user who held the right eye shut until the tone opens it again;
	// for a moment the eye reads half open, under its closed threshold
	// (back at neutral: the wait begins) but over its release level (the
	// closure's latch still on). The closure held since before the wait is
	// not a gesture made during it.
	half := state{closeR: 0.45}
	segs := []seg{
		{dur: 3 * time.Second},
		{dur: 300 * time.Millisecond, to: poseOf[session.HeadRightClose]},
		{dur: 1200 * time.Millisecond, to: poseOf[session.HeadRightClose]},
		{dur: 200 * time.Millisecond, to: half},
		{dur: 400 * time.Millisecond, to: half},
		{dur: 200 * time.Millisecond},
		{dur: 1800 * time.Millisecond},
	}
	segs = append(segs, gestureSegs(session.HeadUp, 500*time.Millisecond)...)
	obs := scenario{noise: 0.3, segs: segs}.observations()
	for i := range obs {
		obs[i].Arrival = obs[i].T
	}
	r := runPaced([]session.Gesture{session.HeadRightClose, session.HeadUp}, pacedConfig(), obs, 0, 0)
	if r.res.Status != session.GestureMatch {
		t.Fatalf("status %q, failures %q %q; want MATCH (events %v)", r.res.Status, r.res.Gestures[0].Failure, r.res.Gestures[1].Failure, types(r.events))
	}
	// The wait began on the half-open eye, which it must have for the
	// test to mean anything.
	w := r.of(EventWait)
	if len(w) != 2 || w[1].Signals.ClosedRight < 0.6 || w[1].Signals.ClosedRight >= 1 {
		t.Fatalf("waits %d, the second beginning on a right-eye closure of %.2f; want it between the release level and the threshold", len(w), w[len(w)-1].Signals.ClosedRight)
	}
}
