package facegen

import (
	"math"
	"testing"
	"time"
)

func sec(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

// A person asked to turn left at 1 s with a 0.5 s reaction starts at 1.5 s,
// is at 30° after the 0.45 s movement, holds the minimum 0.8 s when the
// match came early, and is back to neutral 0.45 s later.
func TestPersonTurnsAfterTheReaction(t *testing.T) {
	p := NewPerson(sec(0.5), 0, 1)
	onset, err := p.Instruct("HEAD_LEFT", sec(1))
	if err != nil || onset != sec(1.5) {
		t.Fatalf("onset %v, %v; want 1.5s", onset, err)
	}
	p.Release(sec(2.0)) // matched while turning
	for _, c := range []struct {
		at, yaw float64
	}{{0, 0}, {1.49, 0}, {1.5 + 0.225, 15}, {1.95, 30}, {2.7, 30}, {2.75 + 0.225, 15}, {3.2, 0}, {5, 0}} {
		if got := p.State(sec(c.at)); math.Abs(got.Yaw-c.yaw) > 0.01 || got.Pitch != 0 || got.LeftEye != 1 || got.Mouth != 0 {
			t.Errorf("at %.3fs: %+v; want yaw %v and otherwise neutral", c.at, got, c.yaw)
		}
	}
}

// Without a match the pose is held until the person gives up
// (PersonMaxHold); a match late in the hold ends it then.
func TestPersonHoldsUntilMatched(t *testing.T) {
	p := NewPerson(sec(0.3), 0, 1)
	p.Instruct("HEAD_00", 0) // eyes close over 0.1 s from 0.3 s
	if got := p.State(sec(0.4)); got.LeftEye != 0 || got.RightEye != 0 {
		t.Errorf("at 0.4s eyes %v %v; want closed", got.LeftEye, got.RightEye)
	}
	if got := p.State(sec(0.4) + PersonMaxHold - sec(0.01)); got.LeftEye != 0 {
		t.Errorf("eyes open before the maximum hold: %v", got.LeftEye)
	}
	if got := p.State(sec(0.4) + PersonMaxHold + sec(0.1)); got.LeftEye != 1 {
		t.Errorf("eyes not open after the maximum hold: %v", got.LeftEye)
	}
	q := NewPerson(sec(0.3), 0, 1)
	q.Instruct("HEAD_OPEN_MOUTH", 0)
	q.Release(sec(2))
	if m := q.State(sec(1.99)).Mouth; m != 1 {
		t.Errorf("mouth %v before the match; want open", m)
	}
	if m := q.State(sec(2) + sec(0.25)).Mouth; m != 0 {
		t.Errorf("mouth %v after match and closing; want closed", m)
	}
}

// A gesture never accepted is made again after a pause, PersonRepeats
// more times; a match stops the repeats, even one already planned.
func TestPersonRepeatsUntilAccepted(t *testing.T) {
	p := NewPerson(sec(0.5), 0, 1)
	p.Instruct("HEAD_UP", 0)
	var starts []float64
	was := 0.0
	for ms := 0; ms < 30000; ms += 10 {
		st := p.State(time.Duration(ms) * time.Millisecond)
		if st.Pitch > 0 && was == 0 {
			starts = append(starts, float64(ms)/1000)
		}
		was = st.Pitch
	}
	// Each try: 0.45 s up, 3 s held, 0.45 s back, then the pause.
	want := []float64{0.51, 0.51 + 4.4, 0.51 + 8.8}
	if len(starts) != len(want) {
		t.Fatalf("tries start at %v; want %v", starts, want)
	}
	for i := range want {
		if math.Abs(starts[i]-want[i]) > 0.011 {
			t.Errorf("try %d at %.2fs; want %.2fs", i, starts[i], want[i])
		}
	}
	q := NewPerson(sec(0.5), 0, 1)
	q.Instruct("HEAD_UP", 0)
	q.State(sec(4.5)) // the repeat is planned for 4.9 s
	q.Release(sec(4.6))
	if got := q.State(sec(6)); got != Neutral {
		t.Errorf("after the match: %+v; want neutral, no repeat", got)
	}
}

// Reaction delays are drawn in Reaction ± Jitter, never below
// PersonMinReaction, and spread over the range.
func TestPersonReactionJitter(t *testing.T) {
	p := NewPerson(sec(0.6), sec(0.2), 42)
	lo, hi := time.Hour, time.Duration(0)
	for i := 0; i < 400; i++ {
		at := time.Duration(i) * time.Minute
		onset, _ := p.Instruct("HEAD_UP", at)
		d := onset - at
		lo, hi = min(lo, d), max(hi, d)
	}
	if lo < sec(0.4) || hi > sec(0.8) || lo > sec(0.45) || hi < sec(0.75) {
		t.Errorf("delays %v..%v; want spread over 0.4s..0.8s", lo, hi)
	}
	q := NewPerson(sec(0.1), 0, 1)
	if onset, _ := q.Instruct("HEAD_UP", 0); onset != PersonMinReaction {
		t.Errorf("a 0.1s reaction starts at %v; want %v", onset, PersonMinReaction)
	}
	if _, err := q.Instruct("HEAD_SIDEWAYS", 0); err == nil {
		t.Error("unknown gesture: no error")
	}
}

// Every drawable gesture moves the face the way the script's gesture does;
// a new instruction releases the pose still held; Reset is neutral at once.
func TestPersonGestures(t *testing.T) {
	for _, c := range []struct {
		code string
		want State
	}{
		{"HEAD_LEFT", State{Yaw: 30, LeftEye: 1, RightEye: 1}},
		{"HEAD_RIGHT", State{Yaw: -30, LeftEye: 1, RightEye: 1}},
		{"HEAD_UP", State{Pitch: 20, LeftEye: 1, RightEye: 1}},
		{"HEAD_DOWN", State{Pitch: -20, LeftEye: 1, RightEye: 1}},
		{"HEAD_00", State{}},
		{"HEAD_01", State{LeftEye: 1}},
		{"HEAD_10", State{RightEye: 1}},
		{"HEAD_OPEN_MOUTH", State{LeftEye: 1, RightEye: 1, Mouth: 1}},
		{"HEAD_11", Neutral},
	} {
		p := NewPerson(sec(0.5), 0, 1)
		p.Instruct(c.code, 0)
		if got := p.State(sec(1.5)); got != c.want {
			t.Errorf("%s: %+v; want %+v", c.code, got, c.want)
		}
	}
	// A quick person asked again while holding a turn: the turn (from 0.3 s,
	// 0.45 s up, held its minimum 0.8 s) is back to neutral at 2.0 s, and
	// the tilt starts after a pause at neutral, later than the 0.3 s
	// reaction.
	p := NewPerson(sec(0.3), 0, 1)
	p.Instruct("HEAD_LEFT", 0)
	onset, _ := p.Instruct("HEAD_DOWN", sec(1.0))
	if onset != sec(2.0)+PersonPause {
		t.Errorf("second onset %v; want 2s and the pause, once the turn is undone", onset)
	}
	if got := p.State(sec(1.9)); got.Pitch != 0 || got.Yaw <= 0 {
		t.Errorf("at 1.9s: %+v; want the turn going back, no tilt", got)
	}
	if got := p.State(sec(2.1)); got != Neutral {
		t.Errorf("at 2.1s: %+v; want the pause at neutral", got)
	}
	if got := p.State(onset + sec(0.45)); math.Abs(got.Yaw) > 1e-9 || got.Pitch != -20 {
		t.Errorf("after the second instruction: %+v; want only the tilt", got)
	}
	p.Reset()
	if got := p.State(sec(2.5)); got != Neutral {
		t.Errorf("after Reset: %+v", got)
	}
}
