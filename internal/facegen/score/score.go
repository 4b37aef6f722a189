// Package score scores the gesture engine against facegen's ground truth:
// the tools that play facegen clips (cmd/gesture-eval, cmd/livegate-client)
// measure the delay from the truth crossing a threshold to the engine's
// match in the same way.
package score

import (
	"github.com/livegate/livegate/internal/facegen"
	"github.com/livegate/livegate/internal/gesture"
	"github.com/livegate/livegate/internal/session"
)

// Crossing is the first frame of the interval where the truth passes the
// engine's threshold for the gesture, relative to the frame before the step.
func Crossing(tr *facegen.Truth, iv facegen.Interval, cfg gesture.ChallengeConfig) (int, bool) {
	if iv.StartFrame < 0 || iv.StartFrame >= len(tr.Frames) {
		return 0, false
	}
	b := tr.Frames[max(0, iv.StartFrame-1)]
	for i := iv.StartFrame; i <= iv.EndFrame && i < len(tr.Frames); i++ {
		f := tr.Frames[i]
		dy, dp := float64(f.Yaw-b.Yaw), float64(f.Pitch-b.Pitch)
		var on bool
		switch session.Gesture(iv.Code) {
		case session.HeadLeft:
			on = dy >= cfg.TurnOn
		case session.HeadRight:
			on = -dy >= cfg.TurnOn
		case session.HeadUp:
			on = dp >= cfg.TiltOn
		case session.HeadDown:
			on = -dp >= cfg.TiltOn
		case session.HeadEyesClosed:
			on = float64(f.LeftEye) <= cfg.EyeClosedOn && float64(f.RightEye) <= cfg.EyeClosedOn
		case session.HeadRightClose:
			on = float64(f.RightEye) <= cfg.EyeClosedOn
		case session.HeadLeftClose:
			on = float64(f.LeftEye) <= cfg.EyeClosedOn
		case session.HeadEyesOpen:
			on = float64(f.LeftEye) >= cfg.EyeClosedOff && float64(f.RightEye) >= cfg.EyeClosedOff
		case session.HeadOpenMouth:
			on = float64(f.Mouth) >= iv.Amount/2
		case session.HeadCloseMouth:
			on = float64(f.Mouth) <= 0.1
		}
		if on {
			return i, true
		}
	}
	return 0, false
}
