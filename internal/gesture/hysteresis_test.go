package gesture

import (
	"testing"
	"time"
)

func TestLatch(t *testing.T) {
	tests := []struct {
		name string
		vals []float64
		want []bool
	}{
		{"turns on at the on level", []float64{0, 17.9, 18, 30}, []bool{false, false, true, true}},
		{"stays on down to the off level", []float64{20, 13, 10, 9.9}, []bool{true, true, true, false}},
		{"off stays off between the levels", []float64{15, 12, 17}, []bool{false, false, false}},
		{"on again after off", []float64{19, 5, 18}, []bool{true, false, true}},
	}
	for _, tc := range tests {
		var l latch
		for i, v := range tc.vals {
			if got := l.update(v, 18, 10); got != tc.want[i] {
				t.Errorf("%s: value %d (%v): got %v; want %v", tc.name, i, v, got, tc.want[i])
			}
		}
	}
}

func TestHold(t *testing.T) {
	ms := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Millisecond) }
	tests := []struct {
		name     string
		active   []bool // one frame each 50 ms
		frames   int
		d        time.Duration
		wantN    int
		wantHeld time.Duration
		wantDone bool
	}{
		{"never", []bool{false, false}, 3, 100 * time.Millisecond, 0, 0, false},
		{"three frames, 100 ms", []bool{true, true, true}, 3, 100 * time.Millisecond, 3, 100 * time.Millisecond, true},
		{"frames but not time", []bool{true, true, true}, 3, 130 * time.Millisecond, 3, 100 * time.Millisecond, false},
		{"time but not frames", []bool{true, true, true}, 4, 50 * time.Millisecond, 3, 100 * time.Millisecond, false},
		{"a break restarts", []bool{true, true, false, true, true}, 2, 50 * time.Millisecond, 2, 50 * time.Millisecond, true},
		{"broken at the end", []bool{true, true, true, false}, 1, 0, 0, 0, false},
	}
	for _, tc := range tests {
		var h hold
		var at time.Time
		for i, a := range tc.active {
			at = ms(50 * i)
			h.update(a, at)
		}
		if h.n != tc.wantN {
			t.Errorf("%s: got %d frames; want %d", tc.name, h.n, tc.wantN)
		}
		if got := h.held(at); got != tc.wantHeld {
			t.Errorf("%s: got held %v; want %v", tc.name, got, tc.wantHeld)
		}
		if got := h.done(at, tc.frames, tc.d); got != tc.wantDone {
			t.Errorf("%s: got done %v; want %v", tc.name, got, tc.wantDone)
		}
	}
	var h hold
	h.update(true, ms(0))
	h.update(true, ms(50))
	if got, want := h.fraction(ms(50), 4, 200*time.Millisecond), 0.25; got != want {
		t.Errorf("fraction of 2 frames of 4 over 50 ms of 200: got %v; want %v", got, want)
	}
	h.reset()
	if h.done(ms(1000), 1, 0) || h.held(ms(1000)) != 0 {
		t.Errorf("after reset: got done or held; want neither")
	}
}

func TestConditions(t *testing.T) {
	cfg := DefaultChallengeConfig()
	closed := 1.2 // closure score past the closed threshold
	tests := []struct {
		name        string
		m           measures
		want        []class
		wantTurning bool
	}{
		{"neutral", measures{}, []class{clsEyes11, clsMouthClosed}, false},
		{"left", measures{dYaw: 20}, []class{clsLeft, clsMouthClosed}, true},
		{"right", measures{dYaw: -20}, []class{clsRight, clsMouthClosed}, true},
		{"up", measures{dPitch: 13}, []class{clsUp, clsMouthClosed}, true},
		{"down", measures{dPitch: -13}, []class{clsDown, clsMouthClosed}, true},
		{"both eyes", measures{closedL: closed, closedR: closed}, []class{clsEyes00, clsMouthClosed}, false},
		{"right eye", measures{closedR: closed}, []class{clsEye01, clsMouthClosed}, false},
		{"left eye", measures{closedL: closed}, []class{clsEye10, clsMouthClosed}, false},
		{"eyes not judged while turned", measures{dYaw: 12, closedL: closed, closedR: closed}, []class{clsMouthClosed}, true},
		{"mouth judged while turned", measures{dPitch: -20, dMouth: 0.2}, []class{clsDown, clsMouthOpen}, true},
	}
	for _, tc := range tests {
		var s conditions
		active, turning := s.update(tc.m, &cfg)
		var got []class
		for k, a := range active {
			if a {
				got = append(got, class(k))
			}
		}
		if !equalClasses(got, tc.want) || turning != tc.wantTurning {
			t.Errorf("%s: got %v turning %v; want %v turning %v", tc.name, got, turning, tc.want, tc.wantTurning)
		}
		if want := tc.want[0] == clsEyes11; s.neutral(tc.m, turning) != want {
			t.Errorf("%s: got neutral %v; want %v", tc.name, !want, want)
		}
	}
	// The release levels: an eye closed at 1 stays closed down to
	// openLevel, the mouth down to MouthOff.
	var s conditions
	s.update(measures{closedL: 1, dMouth: 0.2}, &cfg)
	active, _ := s.update(measures{closedL: cfg.openLevel(), dMouth: cfg.MouthOff}, &cfg)
	if !active[clsEye10] || !active[clsMouthOpen] {
		t.Errorf("at the release levels: got %v; want the left eye closed and the mouth open", active)
	}
	active, _ = s.update(measures{closedL: cfg.openLevel() - 0.01, dMouth: cfg.MouthOff - 0.01}, &cfg)
	if !active[clsEyes11] || !active[clsMouthClosed] {
		t.Errorf("below the release levels: got %v; want eyes open and mouth closed", active)
	}
}

func equalClasses(a, b []class) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestArming(t *testing.T) {
	tests := []struct {
		name    string
		step    time.Duration // between frames
		neutral []bool
		want    bool
	}{
		{"one neutral frame is not enough", 67 * time.Millisecond, []bool{true}, false},
		{"two neutral frames at 15 frames/s re-arm", 67 * time.Millisecond, []bool{true, true}, true},
		{"a break restarts the count", 67 * time.Millisecond, []bool{true, false, true}, false},
		{"never neutral", 67 * time.Millisecond, []bool{false, false, false}, false},
		{"two frames at 30 frames/s re-arm", 33 * time.Millisecond, []bool{true, true}, true},
		{"one frame at 30 frames/s is not enough", 33 * time.Millisecond, []bool{false, true}, false},
		{"one frame at 10 frames/s re-arms", 100 * time.Millisecond, []bool{false, true}, true},
		{"one frame at 7 frames/s re-arms", 143 * time.Millisecond, []bool{false, true}, true},
		{"one frame at 12 frames/s is not enough", 83 * time.Millisecond, []bool{false, true}, false},
	}
	for _, tc := range tests {
		var a arming
		a.armed = true
		a.disarm(t0)
		var got bool
		for i, n := range tc.neutral {
			got = a.observe(n, t0.Add(time.Duration(i+1)*tc.step))
		}
		if got != tc.want {
			t.Errorf("%s: got armed %v; want %v", tc.name, got, tc.want)
		}
	}

	// awayFor counts from the first disarm until re-armed by neutral.
	var a arming
	a.armed = true
	a.disarm(t0)
	a.disarm(t0.Add(time.Second))
	if got := a.awayFor(t0.Add(1600*time.Millisecond), 1500*time.Millisecond); !got {
		t.Errorf("disarmed 1.6 s ago (again 0.6 s ago): got away %v; want true", got)
	}
	a.observe(true, t0.Add(1700*time.Millisecond))
	a.observe(true, t0.Add(1800*time.Millisecond))
	if got := a.awayFor(t0.Add(time.Hour), 1500*time.Millisecond); got {
		t.Errorf("re-armed: got away %v; want false", got)
	}
	if got := a.observe(false, t0.Add(1900*time.Millisecond)); !got {
		t.Errorf("armed and not neutral: got armed %v; want true (only a disarm disarms)", got)
	}
}
