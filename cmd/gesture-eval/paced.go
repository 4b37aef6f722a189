package main

import (
	"time"

	"github.com/livegate/livegate/internal/facegen"
	"github.com/livegate/livegate/internal/gesture"
	"github.com/livegate/livegate/internal/session"
)

// The paced matrix (-paced) plays each clip the way the production
// challenge meets a person who reacts: the instruction of each asked
// gesture goes out a reaction time (-reaction) before the clip's scripted
// interval of it begins, so that the scripted onset is the reaction to it,
// and the challenge applies the production rules to it: the wait before
// the instruction (a clear gesture in it ends the try "early"), the onset
// from the neutral band within the reaction window, the wrong-gesture rule.

// defaultReaction is -reaction: a person's time from reading an instruction
// to starting to move, well inside the 0.15–3.5 s window
// (ChallengeConfig.ReactionMin and ReactionMax).
const defaultReaction = 500 * time.Millisecond

// instructor stands in for the server's choice of when to ask: the
// challenge asks gesture i once the wait it was given has passed since the
// wait began (the first armed neutral frame), and the instructor gives it
// the wait that ends at at[i], whatever the frame the wait began on.
type instructor struct {
	at  []time.Duration // per asked gesture, the clip time of its instruction
	now time.Duration   // the clip time of the frame being observed
}

// delay is the ChallengeConfig.InstructionDelay of the replay. When the
// wait begins after at[i] (the baseline, or the return to neutral after
// the previous gesture, came later), it is 0: the gesture is asked on the
// first frame the challenge allows. The challenge also holds the
// instruction back while the face is not neutral, and starts the wait
// over (asking for a new delay, which the instructor times to at[i] again)
// after a jump or while the previous gesture is still held, so an
// instruction may come later than at[i], never earlier; a clip whose motion then starts under ReactionMin after it
// fails "early", as a person who moved before being asked would.
func (in *instructor) delay(i int) time.Duration {
	if i >= len(in.at) {
		return 0
	}
	return max(0, in.at[i]-in.now)
}

// pacedConfig is the production challenge for an offline clip: every rule
// at its default (DefaultChallengeConfig, the zero fields), the
// wrong-gesture limit too (1: a clear other gesture after the instruction
// ends the try), and the per-gesture timeout of -timeout. What a clip
// cannot have is left out:
//   - the random 2.5–4 s wait: the scripts' neutral gaps are 0.1–2 s and a
//     clip cannot wait for the server, so the instructor times each
//     instruction to the clip instead (see instructor);
//   - the connection: frames arrive at their capture time (Arrival zero)
//     and the round-trip time is 0 (no SetRTT);
//   - the send time (Challenge.Instructed): the arrival of the frame that
//     asked the gesture stands in for it, as in the challenge until told.
func pacedConfig(timeout time.Duration, in *instructor) gesture.ChallengeConfig {
	return gesture.ChallengeConfig{GestureTimeout: timeout, InstructionDelay: in.delay}
}

// neutralState reports whether g is a neutral state (eyes open, mouth
// closed): asked from neutral it needs no motion, so no one reacts to it.
// Production never draws them, but an integrator may ask them.
func neutralState(g session.Gesture) bool {
	return g == session.HeadEyesOpen || g == session.HeadCloseMouth
}

// instructionAt is the clip time at which g is asked to be performed over
// iv: reaction before the interval's first frame, or at that frame for a
// neutral state (asked earlier, the neutral face before the interval would
// already be it, and match before the script performs it).
func instructionAt(tr *facegen.Truth, iv facegen.Interval, g session.Gesture, reaction time.Duration) time.Duration {
	t := time.Duration(iv.StartFrame) * time.Second / time.Duration(tr.FPS)
	if neutralState(g) {
		return t
	}
	return max(0, t-reaction)
}

// replayPaced plays ask over obs paced, gesture i instructed for the
// scripted interval ivs[i].
func replayPaced(obs []gesture.Observation, tr *facegen.Truth, ask []session.Gesture, ivs []facegen.Interval, o matrixOpts) *played {
	in := &instructor{}
	for i, g := range ask {
		in.at = append(in.at, instructionAt(tr, ivs[i], g, o.reaction))
	}
	return replay(obs, ask, pacedConfig(o.timeout, in), func(t time.Time) { in.now = t.Sub(clipZero) })
}

// unperformedPaced reports whether g, which the clip never performs,
// matched when asked alone for any of the clip's scripted intervals: an
// attacker who knows when the instruction comes times a recording of
// another gesture to it, and needs only one of them to pass for g.
func unperformedPaced(obs []gesture.Observation, tr *facegen.Truth, g session.Gesture, o matrixOpts) bool {
	for _, iv := range tr.Gestures {
		if len(replayPaced(obs, tr, []session.Gesture{g}, []facegen.Interval{iv}, o).matches) > 0 {
			return true
		}
	}
	return false
}
