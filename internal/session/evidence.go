package session

// GestureEvidence is what decided one asked gesture, for an integrator's
// back office: the gesture's own measure sampled about ten times a second
// against its threshold, the pose, eyes and mouth against the user's
// neutral face, when the condition held, the 3D and display figures and
// why the gesture failed. Every time is in milliseconds from the
// instruction (from the start of the gesture's wait or turn when it was
// never asked); negative times are the wait before it.
type GestureEvidence struct {
	Gesture Gesture       `json:"gesture"`
	Status  GestureStatus `json:"gesture_status"`
	// Failure is why the gesture failed: "early", "late", "wrong_gesture",
	// "timeout", "screen", "planar" (a flat picture), "jump",
	// "lost_face" or "too_many_faces". Empty when it matched.
	Failure string `json:"failure,omitempty"`
	// Measure names the gesture's own measure: "yaw" and "pitch" (degrees
	// from the neutral face, positive toward the asked side), "eye_closure"
	// (1 at the closed threshold), "mouth" (openness over the neutral
	// face's).
	Measure string `json:"measure"`
	// Threshold is where the condition starts to hold and Release where it
	// stops (hysteresis); Below is true when the condition holds below the
	// threshold (eyes open, mouth closed).
	Threshold float64 `json:"threshold"`
	Release   float64 `json:"release"`
	Below     bool    `json:"below,omitempty"`
	// Baseline is the user's neutral face.
	Baseline EvidenceBaseline `json:"baseline"`
	// The moments of the gesture, nil when they did not happen.
	OnsetMS   *int64 `json:"onset_ms,omitempty"`
	HeldMS    *int64 `json:"held_ms,omitempty"`
	MatchedMS *int64 `json:"matched_ms,omitempty"`
	// EndMS is the last frame's time: the match or the failure.
	EndMS int64 `json:"end_ms"`
	// Held lists the spans [from, to] when the condition held.
	Held [][2]int64 `json:"held"`
	// Turn holds the 3D figures of a turn or tilt that was held long
	// enough to be judged; Screen the display test's.
	Turn   *TurnEvidence   `json:"turn,omitempty"`
	Screen *ScreenEvidence `json:"screen,omitempty"`
	// Samples are the downsampled signals.
	Samples EvidenceSamples `json:"samples"`
}

// EvidenceBaseline is the neutral face a gesture was measured against.
type EvidenceBaseline struct {
	Yaw      float64 `json:"yaw"`
	Pitch    float64 `json:"pitch"`
	EyeLeft  float64 `json:"eye_left"`
	EyeRight float64 `json:"eye_right"`
	Mouth    float64 `json:"mouth"`
}

// TurnEvidence is a held turn's test of a 3D head: the planarity residual
// and the nose parallax (medians over the held frames, in inter-ocular
// distances) against the least a real head shows.
type TurnEvidence struct {
	Planar      float64 `json:"planar"`
	PlanarMin   float64 `json:"planar_min"`
	Parallax    float64 `json:"parallax"`
	ParallaxMin float64 `json:"parallax_min"`
}

// ScreenEvidence is the display test: the picture's line ratio of the
// neutral face and over the held frames against the limit from which it
// reads as a display.
type ScreenEvidence struct {
	BaselineLineRatio float64 `json:"baseline_line_ratio"`
	HeldLineRatio     float64 `json:"held_line_ratio"`
	Limit             float64 `json:"limit"`
}

// EvidenceSamples are parallel arrays, one entry a sample: the time, yaw
// and pitch from the neutral face (degrees), eye openness over the neutral
// face's (1 = as open, the mean of both eyes), mouth openness over the
// neutral face's, and the gesture's measure.
type EvidenceSamples struct {
	T       []int64   `json:"t_ms"`
	Yaw     []float32 `json:"yaw"`
	Pitch   []float32 `json:"pitch"`
	Eye     []float32 `json:"eye"`
	Mouth   []float32 `json:"mouth"`
	Measure []float32 `json:"measure"`
}

// Len is the number of samples.
func (s *EvidenceSamples) Len() int { return len(s.T) }

func (e GestureEvidence) clone() GestureEvidence {
	c := e
	c.OnsetMS, c.HeldMS, c.MatchedMS = clonePtr(e.OnsetMS), clonePtr(e.HeldMS), clonePtr(e.MatchedMS)
	c.Held = append([][2]int64(nil), e.Held...)
	c.Turn, c.Screen = clonePtr(e.Turn), clonePtr(e.Screen)
	s := &c.Samples
	s.T = append([]int64(nil), s.T...)
	s.Yaw = append([]float32(nil), s.Yaw...)
	s.Pitch = append([]float32(nil), s.Pitch...)
	s.Eye = append([]float32(nil), s.Eye...)
	s.Mouth = append([]float32(nil), s.Mouth...)
	s.Measure = append([]float32(nil), s.Measure...)
	return c
}

func clonePtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}
