// Package liveness fuses every liveness signal the server has about one
// session or attempt into a liveness_score (0–100) and an attack_type, with a
// per-signal breakdown an integrator can read.
//
// It is pure Go on purpose: the capture side (WebRTC, OpenCV, the
// anti-spoofing model) measures and fills an Evidence value; this package
// only judges it, so every rule is unit-tested with hand-built evidence. The
// stream detectors in detect.go (frame timing, clock drift, repeated, looped
// and frozen frames) need only numbers and 16×16 grey thumbnails and live
// here for the same reason.
//
// # The rules
//
// Each signal gives a sub-score from 0 to 100, or none when it has no data
// (a missing signal is neutral: it neither raises nor lowers the score).
// 50 is every signal's own boundary: at 50 and above it supports a live
// face, below it is attack evidence of a type.
//
//   - model: the median real-probability p of the anti-spoofing model over
//     the sampled frames (the median, so one odd frame does not decide). With
//     the calibrated threshold T (Config.ModelThreshold, default 0.5) it
//     scores 50·p/T below T and 50 + 50·(p − T)/(1 − T) from T up, so the
//     threshold lands on 50. Below 50: presentation.
//   - parallax: the weakest nose parallax p (inter-ocular distances) of the
//     matched head turns scores 50 + 50·clamp((p − 0.04)/0.12): the
//     challenge's minimum (0.04) gives 50, a real head turned 25–30° (≈ 0.16)
//     gives 100. Support only.
//   - flat_turns: a turn held but rejected as flat: 10, presentation.
//   - display: a gesture held on what looked like a display, or a median line
//     ratio of the sampled frames at or over Config.ScreenLineRatio (2.2, the
//     challenge's default): 10, presentation.
//   - loop: a run of moving frames that repeats an earlier run pixel for
//     pixel: 10, injection (see Repeats for why it is injection).
//   - repeats: exact repeats of the previous frame in at least
//     Config.RepeatFraction (0.2) of the frames: 25, injection. A camera's
//     sensor noise makes two captures differ; a virtual camera pacing a 15 fps
//     clip at 30 fps does not.
//   - frozen: a run of unchanging frames of at least Config.FrozenMin (2 s):
//     15, unsure (an injected still and a photo on a stand look the same).
//   - virtual_camera: the page reports a camera label of a known virtual
//     camera: 10, injection.
//   - rtp_drift: the RTP clock runs more than Config.MaxDrift (5 %) faster or
//     slower than arrival time: a file pushed at its own pace, not a camera
//     in real time: 20, injection.
//   - weak stream cues (timing too regular or too irregular for a camera, a
//     resolution or frame-rate change mid-stream) each happen on real
//     cameras too (WebRTC adapts resolution and rate under load), so alone
//     they only cap the score at 60; two or more together score 30,
//     injection. They appear as one signal, stream.
//
// The fusion: the score starts at the mean of the supporting sub-scores (50
// when there are none); the strongest attack evidence (the lowest sub-score
// below 50) caps it, and gives the attack type. Presentation evidence is
// contradicted by a matched 3D turn (a flat picture cannot make one), so
// while there is one, presentation sub-scores are raised to just below the
// pass mark (PassMark − 5; 45 by default) and called unsure. Injection
// evidence is not: a recording of a real head has real parallax. The score
// is rounded to 0.1; attack_type is null at the pass mark and above, and
// "unsure" when the score falls below it with no attack signal to name.
package liveness

import (
	"math"
	"slices"
	"strconv"
	"strings"
)

// Attack types, ADVANCE.AI's attackType spelled as livegate's API does.
const (
	Presentation = "presentation"
	Injection    = "injection"
	Unsure       = "unsure"
)

// Evidence is what the capture side knows about one session or attempt. The
// zero value is "nothing known" and fuses to 50 with no attack type.
type Evidence struct {
	// ModelScores are the anti-spoofing model's real-probabilities (0–1) of
	// the sampled frames; empty when the model did not run.
	ModelScores []float64 `json:"model_scores,omitempty"`
	// Parallax is the median nose parallax of each matched head turn.
	Parallax []float64 `json:"parallax,omitempty"`
	// FlatTurns counts turns held but rejected as flat (planar).
	FlatTurns int `json:"flat_turns,omitempty"`
	// ScreenHolds counts gestures held on what looked like a display.
	ScreenHolds int `json:"screen_holds,omitempty"`
	// LineRatio is the median line ratio of the sampled face boxes; 0 when
	// unknown.
	LineRatio float64 `json:"line_ratio,omitempty"`
	// Frames is what Repeats saw of the decoded frames.
	Frames FrameStats `json:"frames"`
	// Stream is what the transport and the page told about the stream.
	Stream StreamStats `json:"stream"`
}

// StreamStats are the stream cues an injected or virtual camera leaves.
type StreamStats struct {
	// Intervals are the statistics of the frame capture intervals (RTP
	// timestamps where known, else arrival times).
	Intervals IntervalStats `json:"intervals"`
	// RTPRate is the RTP clock's rate against arrival time (ClockDrift.Rate);
	// 0 when unknown.
	RTPRate float64 `json:"rtp_rate,omitempty"`
	// ResolutionChanges and FrameRateChanges count changes mid-stream.
	ResolutionChanges int `json:"resolution_changes,omitempty"`
	FrameRateChanges  int `json:"frame_rate_changes,omitempty"`
	// CameraLabel is the camera's label as the page reported it.
	CameraLabel string `json:"camera_label,omitempty"`
}

// Config holds the fusion's thresholds. The zero value of a field means its
// default (DefaultConfig).
type Config struct {
	// PassMark: scores at or above it pass (default 50).
	PassMark float64
	// ModelThreshold is the model's calibrated real-probability threshold,
	// mapped to a sub-score of 50 (default 0.5).
	ModelThreshold float64
	// ScreenLineRatio is the line ratio from which a face is on a display
	// (default 2.2, as gesture.Config's).
	ScreenLineRatio float64
	// RepeatFraction is the share of exact repeats that marks a stream as
	// injected (default 0.2); MinFrames the frames needed to judge it
	// (default 30).
	RepeatFraction float64
	MinFrames      int
	// FrozenMin is the shortest frozen run, in seconds, that counts (2).
	FrozenMin float64
	// MaxDrift is the largest relative RTP clock drift a camera shows (0.05).
	MaxDrift float64
	// Regular and Irregular bound a camera's capture timing: a standard
	// deviation of the intervals under Regular seconds (default 0.0002) is
	// too regular, a coefficient of variation over Irregular (default 1) too
	// irregular. MinIntervals intervals are needed to judge (default 30).
	Regular, Irregular float64
	MinIntervals       int
	// VirtualCameras are lower-case substrings of camera labels of virtual
	// cameras (default DefaultVirtualCameras).
	VirtualCameras []string
}

// DefaultVirtualCameras are label fragments of common virtual cameras.
var DefaultVirtualCameras = []string{
	"obs virtual", "obs-camera", "manycam", "v4l2loopback", "dummy video", "virtual cam",
	"virtualcam", "snap camera", "xsplit", "splitcam", "e2esoft", "droidcam", "iriun",
	"fake", "akvirtualcamera", "webcamoid",
}

// DefaultConfig returns the documented defaults.
func DefaultConfig() Config {
	return Config{
		PassMark: 50, ModelThreshold: 0.5, ScreenLineRatio: 2.2,
		RepeatFraction: 0.2, MinFrames: 30, FrozenMin: 2, MaxDrift: 0.05,
		Regular: 0.0002, Irregular: 1, MinIntervals: 30,
		VirtualCameras: DefaultVirtualCameras,
	}
}

func (c Config) withDefaults() Config {
	d := DefaultConfig()
	set := func(v *float64, dv float64) {
		if *v == 0 {
			*v = dv
		}
	}
	set(&c.PassMark, d.PassMark)
	set(&c.ModelThreshold, d.ModelThreshold)
	set(&c.ScreenLineRatio, d.ScreenLineRatio)
	set(&c.RepeatFraction, d.RepeatFraction)
	set(&c.FrozenMin, d.FrozenMin)
	set(&c.MaxDrift, d.MaxDrift)
	set(&c.Regular, d.Regular)
	set(&c.Irregular, d.Irregular)
	if c.MinFrames == 0 {
		c.MinFrames = d.MinFrames
	}
	if c.MinIntervals == 0 {
		c.MinIntervals = d.MinIntervals
	}
	if c.VirtualCameras == nil {
		c.VirtualCameras = d.VirtualCameras
	}
	return c
}

// Signal is one line of the breakdown.
type Signal struct {
	// Name is the signal's name (model, parallax, flat_turns, display, loop,
	// repeats, frozen, virtual_camera, rtp_drift, stream).
	Name string `json:"name"`
	// Score is the sub-score 0–100, or nil when the signal had no data.
	Score *float64 `json:"score"`
	// Attack is the attack type this signal points at when its score is
	// below 50; empty otherwise.
	Attack string `json:"attack,omitempty"`
	// Reason says in words what was seen.
	Reason string `json:"reason"`
}

// Verdict is the fused result.
type Verdict struct {
	// Score is liveness_score, 0–100, rounded to 0.1.
	Score float64 `json:"liveness_score"`
	// AttackType is nil at the pass mark and above.
	AttackType *string `json:"attack_type"`
	// Pass reports Score >= PassMark.
	Pass     bool    `json:"pass"`
	PassMark float64 `json:"pass_mark"`
	// Decisive names the signal that capped the score; empty when none did.
	Decisive string   `json:"decisive,omitempty"`
	Signals  []Signal `json:"signals"`
}

// Fuse judges ev under the default configuration.
func Fuse(ev Evidence) Verdict { return DefaultConfig().Fuse(ev) }

// Fuse judges ev: see the package comment for the rules.
func (c Config) Fuse(ev Evidence) Verdict {
	c = c.withDefaults()
	sigs := c.signals(ev)
	v := Verdict{PassMark: c.PassMark, Signals: sigs}

	has3D := len(ev.Parallax) > 0
	var support []float64
	capScore, capAttack := math.Inf(1), ""
	for i := range sigs {
		s := &sigs[i]
		if s.Score == nil {
			continue
		}
		if *s.Score >= 50 {
			if s.Name == "model" || s.Name == "parallax" {
				support = append(support, *s.Score)
			}
			if s.Name == "stream" && *s.Score < capScore { // one weak cue
				capScore, capAttack, v.Decisive = *s.Score, "", s.Name
			}
			continue
		}
		if s.Attack == Presentation && has3D {
			raised := max(*s.Score, c.PassMark-5)
			s.Score, s.Attack = &raised, Unsure
			s.Reason += "; contradicted by a matched 3D turn"
		}
		if *s.Score < capScore {
			capScore, capAttack, v.Decisive = *s.Score, s.Attack, s.Name
		}
	}
	score := 50.0
	if len(support) > 0 {
		score = 0
		for _, x := range support {
			score += x
		}
		score /= float64(len(support))
	}
	if capScore < score {
		score = capScore
	} else {
		v.Decisive = ""
	}
	v.Score = math.Round(score*10) / 10
	v.Pass = v.Score >= c.PassMark
	if !v.Pass {
		a := capAttack
		if a == "" {
			a = Unsure
		}
		v.AttackType = &a
	}
	return v
}

// signals computes every sub-score in a fixed order (the order also breaks
// ties between equal caps).
func (c Config) signals(ev Evidence) []Signal {
	out := make([]Signal, 0, 10)
	add := func(name string, score *float64, attack, reason string) {
		if score == nil || *score >= 50 {
			attack = ""
		}
		out = append(out, Signal{Name: name, Score: score, Attack: attack, Reason: reason})
	}
	num := func(v float64) *float64 { return &v }

	// Signals with no data are listed too, so an integrator sees what was
	// not measured rather than guessing.
	if len(ev.ModelScores) == 0 {
		add("model", nil, "", "model not run")
	} else {
		p := median(ev.ModelScores)
		t := c.ModelThreshold
		s := 50 + 50*(p-t)/(1-t)
		if p < t {
			s = 50 * p / t
		}
		add("model", num(clamp(s, 0, 100)), Presentation, "median real-probability "+ftoa(p, 3)+" of "+itoa(len(ev.ModelScores))+" frames")
	}

	if len(ev.Parallax) == 0 {
		add("parallax", nil, "", "no head turn matched")
	} else {
		p := slices.Min(ev.Parallax)
		add("parallax", num(50+50*clamp((p-0.04)/0.12, 0, 1)), "", "weakest nose parallax "+ftoa(p, 3)+" of "+itoa(len(ev.Parallax))+" turns")
	}

	if ev.FlatTurns > 0 {
		add("flat_turns", num(10), Presentation, itoa(ev.FlatTurns)+" turns moved like a flat picture")
	} else {
		add("flat_turns", nil, "", "none")
	}

	switch {
	case ev.ScreenHolds > 0:
		add("display", num(10), Presentation, itoa(ev.ScreenHolds)+" gestures held on a display")
	case ev.LineRatio >= c.ScreenLineRatio:
		add("display", num(10), Presentation, "line ratio "+ftoa(ev.LineRatio, 2)+" ≥ "+ftoa(c.ScreenLineRatio, 2))
	case ev.LineRatio > 0:
		add("display", nil, "", "line ratio "+ftoa(ev.LineRatio, 2)+" like a camera's")
	default:
		add("display", nil, "", "no display cue measured")
	}

	f := ev.Frames
	if f.Loops > 0 {
		add("loop", num(10), Injection, itoa(f.Loops)+" looped runs of frames")
	} else {
		add("loop", nil, "", "none")
	}
	if f.Frames >= c.MinFrames && float64(f.ExactRepeats) >= c.RepeatFraction*float64(f.Frames) {
		add("repeats", num(25), Injection, itoa(f.ExactRepeats)+" of "+itoa(f.Frames)+" frames repeat the previous exactly")
	} else {
		add("repeats", nil, "", itoa(f.ExactRepeats)+" exact repeats of "+itoa(f.Frames)+" frames")
	}
	if f.LongestFrozen >= c.FrozenMin {
		add("frozen", num(15), Unsure, "frozen for "+ftoa(f.LongestFrozen, 1)+" s")
	} else {
		add("frozen", nil, "", "longest still run "+ftoa(f.LongestFrozen, 1)+" s")
	}

	st := ev.Stream
	if c.virtual(st.CameraLabel) {
		add("virtual_camera", num(10), Injection, "camera label "+strconv.Quote(st.CameraLabel))
	} else {
		add("virtual_camera", nil, "", "no virtual camera label")
	}
	if st.RTPRate > 0 && math.Abs(st.RTPRate-1) > c.MaxDrift {
		add("rtp_drift", num(20), Injection, "RTP clock runs at "+ftoa(st.RTPRate, 3)+"× arrival time")
	} else {
		add("rtp_drift", nil, "", "no drift measured")
	}

	var weak []string
	if iv := st.Intervals; iv.N >= c.MinIntervals {
		if iv.StdDev < c.Regular {
			weak = append(weak, "frame timing too regular for a camera")
		} else if iv.Mean > 0 && iv.StdDev/iv.Mean > c.Irregular {
			weak = append(weak, "frame timing too irregular for a camera")
		}
	}
	if st.ResolutionChanges > 0 {
		weak = append(weak, "resolution changed mid-stream")
	}
	if st.FrameRateChanges > 0 {
		weak = append(weak, "frame rate changed mid-stream")
	}
	switch len(weak) {
	case 0:
		add("stream", nil, "", "no stream cue")
	case 1:
		add("stream", num(60), "", weak[0])
	default:
		add("stream", num(30), Injection, strings.Join(weak, "; "))
	}
	return out
}

func (c Config) virtual(label string) bool {
	l := strings.ToLower(label)
	for _, v := range c.VirtualCameras {
		if v != "" && strings.Contains(l, v) {
			return true
		}
	}
	return false
}

// median of xs, which it does not modify.
func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

func clamp(x, lo, hi float64) float64 { return max(lo, min(hi, x)) }

func ftoa(x float64, prec int) string { return strconv.FormatFloat(x, 'f', prec, 64) }

func itoa(n int) string { return strconv.Itoa(n) }
