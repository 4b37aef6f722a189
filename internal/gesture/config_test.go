package gesture

import (
	"reflect"
	"testing"
	"time"
)

func TestChallengeConfigWithDefaults(t *testing.T) {
	d := DefaultChallengeConfig()
	tests := []struct {
		name string
		in   ChallengeConfig
		want func(c ChallengeConfig) bool
	}{
		{"zero is the defaults but WrongHold", ChallengeConfig{}, func(c ChallengeConfig) bool {
			c.WrongHold = d.WrongHold
			return reflect.DeepEqual(c, d)
		}},
		{"pacing on by default: 2.5–4 s waits, 0.15–3.5 s reactions, onset band 0.5 and rate 0.6, one wrong gesture ends", ChallengeConfig{}, func(c ChallengeConfig) bool {
			return !c.Unpaced && c.InstructionDelay == nil && c.InstructionDelayMin == 2500*time.Millisecond && c.InstructionDelayMax == 4*time.Second &&
				c.ReactionMin == 150*time.Millisecond && c.ReactionMax == 3500*time.Millisecond && c.OnsetBand == 0.5 && c.OnsetRate == 0.6 && c.MaxWrong == 1
		}},
		{"WrongHold is twice the hold", ChallengeConfig{HoldTime: 100 * time.Millisecond}, func(c ChallengeConfig) bool {
			return c.WrongHold == 200*time.Millisecond
		}},
		{"set fields stay", ChallengeConfig{TurnOn: 25, MaxWrong: -1, ScreenLineRatio: -1, WrongHold: time.Second}, func(c ChallengeConfig) bool {
			return c.TurnOn == 25 && c.MaxWrong == -1 && c.ScreenLineRatio == -1 && c.WrongHold == time.Second && c.TurnOff == d.TurnOff
		}},
		{"no attempt bound, no blur hint by default", ChallengeConfig{}, func(c ChallengeConfig) bool {
			return c.AttemptTimeout == 0 && c.MinSharpness == 0
		}},
	}
	for _, tc := range tests {
		if got := tc.in.withDefaults(); !tc.want(got) {
			t.Errorf("%s: got %+v", tc.name, got)
		}
	}
}

func TestChallengeConfigHelpers(t *testing.T) {
	c := DefaultChallengeConfig()
	tests := []struct {
		g    class
		want time.Duration
	}{
		{clsLeft, c.HoldTime}, {clsEyes00, c.EyeHoldTime}, {clsEye01, c.EyeHoldTime}, {clsEye10, c.EyeHoldTime},
		{clsEyes11, c.HoldTime}, {clsMouthOpen, c.HoldTime},
	}
	for _, tc := range tests {
		if got := c.holdTime(tc.g); got != tc.want {
			t.Errorf("holdTime(%s): got %v; want %v", classGesture[tc.g], got, tc.want)
		}
	}
	if got, want := c.openLevel(), 0.25/0.45; got != want {
		t.Errorf("openLevel: got %v; want %v", got, want)
	}
	for _, tc := range []struct {
		yaw, pitch float64
		want       bool
	}{{0, 0, true}, {15, -20, true}, {15.1, 0, false}, {0, 20.1, false}} {
		if got := c.frontal(&Observation{Yaw: tc.yaw, Pitch: tc.pitch}); got != tc.want {
			t.Errorf("frontal(%v, %v): got %v; want %v", tc.yaw, tc.pitch, got, tc.want)
		}
	}
}
