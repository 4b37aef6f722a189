package live

import (
	"context"
	"image"
	"slices"

	"github.com/livegate/livegate/internal/capture"
	"github.com/livegate/livegate/internal/gesture"
	"github.com/livegate/livegate/internal/liveness"
	"github.com/livegate/livegate/internal/session"
)

// AntiSpoof scores how likely the face in a colour frame is a real one
// rather than a presentation attack, as a probability in [0, 1]. The frames
// are decoded VP8, *image.YCbCr in BT.601 studio range (luma 16–235), not a
// JPEG's full range: perception.AntiSpoof's ScoreVideo reads them so (its
// Score would show the model a washed-out picture). It reaches the Service
// through Config so that capture never imports OpenCV. It must be safe for
// concurrent use: the control goroutines of several connections call it.
type AntiSpoof interface {
	Score(img image.Image, face gesture.Face) (float64, error)
}

// attemptEvidence is what one attempt measured besides its gestures,
// handed from the analysis goroutine to the control goroutine with the
// attempt's end: the sampled frames for the model and the stream cues.
type attemptEvidence struct {
	samples *sampler
	cues    *streamCues
}

// sessionEvidence is what the attempts of a session on this instance
// showed, judged by liveness.Config.Fuse when the session finishes.
//
// The gesture evidence (parallax, flat turns, display holds) adds up over
// the attempts, as it always has: a print turned in one attempt is
// evidence about the session. The model's scores and the stream cues are
// those of the last attempt only, the one whose gestures decide the
// session: an earlier attempt that timed out while the page kept sending
// an unchanging picture, or that a user spent half out of the frame, must
// not sink a clean attempt that follows.
type sessionEvidence struct {
	ev         liveness.Evidence
	lineRatios []float64 // of the last attempt's sampled frames
}

// addResult records an attempt's gesture outcomes: the nose parallax of
// each matched turn, turns rejected as flat and gestures held on a display.
func (s *sessionEvidence) addResult(r gesture.Result) {
	for _, g := range r.Gestures {
		s.ev.FlatTurns += g.Rejected
		s.ev.ScreenHolds += g.Screen
		if g.Status == session.GestureMatch && g.Parallax > 0 {
			s.ev.Parallax = append(s.ev.Parallax, g.Parallax)
		}
	}
}

// addAttempt records an attempt's model scores and stream cues in place of
// the previous attempt's.
func (s *sessionEvidence) addAttempt(a attemptEvidence, scores []float64) {
	s.ev.ModelScores = slices.Clone(scores)
	s.lineRatios = s.lineRatios[:0]
	s.ev.Frames = liveness.FrameStats{}
	s.ev.Stream = liveness.StreamStats{CameraLabel: s.ev.Stream.CameraLabel}
	if a.samples != nil {
		for _, smp := range a.samples.kept {
			if smp.lineRatio > 0 {
				s.lineRatios = append(s.lineRatios, smp.lineRatio)
			}
		}
	}
	if a.cues == nil {
		return
	}
	fs, st := a.cues.evidence()
	st.CameraLabel = s.ev.Stream.CameraLabel
	s.ev.Frames, s.ev.Stream = fs, st
}

// evidence returns the evidence to fuse.
func (s *sessionEvidence) evidence() liveness.Evidence {
	ev := s.ev
	ev.ModelScores = slices.Clone(ev.ModelScores)
	ev.Parallax = slices.Clone(ev.Parallax)
	if len(s.lineRatios) > 0 {
		lr := slices.Clone(s.lineRatios)
		slices.Sort(lr)
		ev.LineRatio = lr[len(lr)/2]
	}
	return ev
}

// scoreSamples runs the anti-spoofing model on an attempt's sampled frames
// (none when no model is configured). A frame the model refuses is
// logged and left out: the other frames still count.
func (s *Service) scoreSamples(ctx context.Context, smp *sampler) []float64 {
	if s.cfg.AntiSpoof == nil || smp == nil {
		return nil
	}
	var out []float64
	for _, k := range smp.samples() {
		p, err := s.cfg.AntiSpoof.Score(&k.img, gesture.Face{Box: k.box, Score: 1})
		if err != nil {
			s.log.WarnContext(ctx, "live: anti-spoofing model", "err", err)
			continue
		}
		out = append(out, p)
	}
	return out
}

// verdict fuses ev into the session result's liveness fields.
func (s *Service) verdict(ev liveness.Evidence) (liveness.Verdict, *session.LivenessDetail) {
	v := s.cfg.Liveness.Fuse(ev)
	d := &session.LivenessDetail{PassMark: v.PassMark, Decisive: v.Decisive}
	for _, sig := range v.Signals {
		d.Signals = append(d.Signals, session.LivenessSignal{Name: sig.Name, Score: sig.Score, Attack: sig.Attack, Reason: sig.Reason})
	}
	return v, d
}

// StreamFrame is the capture.StreamWatcher: it runs on the peer's receive
// goroutine for every decoded frame and feeds the running attempt's stream
// cues.
func (c *conn) StreamFrame(f *capture.StreamFrame) {
	c.mu.Lock()
	cues := c.cues
	c.mu.Unlock()
	if cues != nil {
		cues.add(f)
	}
}

var (
	_ capture.ColourSink    = (*conn)(nil)
	_ capture.StreamWatcher = (*conn)(nil)
	_ AntiSpoof             = AntiSpoofFunc(nil)
)

// AntiSpoofFunc adapts a function to AntiSpoof.
type AntiSpoofFunc func(img image.Image, face gesture.Face) (float64, error)

// Score calls f.
func (f AntiSpoofFunc) Score(img image.Image, face gesture.Face) (float64, error) {
	return f(img, face)
}
