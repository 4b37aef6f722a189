package live

import (
	"time"

	"github.com/livegate/livegate/internal/capture"
	"github.com/livegate/livegate/internal/gesture"
	"github.com/livegate/livegate/internal/session"
)

// A passive-liveness session's attempt (docs/protocol.md, "Passive
// sessions"): no gestures; passiveCheck waits for one still, frontal face,
// collects a short burst of frames, and the attempt ends. The sampler
// keeps the burst's best frontal frames, the stream cues see every frame
// from ready on, and the attempt's end goes through conn.ended like an
// active one's: the model runs on the samples there and the fusion
// decides, with no parallax (no head turn is asked) to support the score.

// passiveFrame is conn.frame for a passive session (the peer's analysis
// goroutine, only while an attempt runs).
func (c *conn) passiveFrame(f capture.Frame) {
	c.mu.Lock()
	pv, smp := c.pv, c.smp
	c.mu.Unlock()
	if pv == nil {
		return
	}
	start := time.Now()
	if pv != c.lastPv {
		c.engine.Reset() // a new attempt starts with a fresh track
		c.lastPv = pv
	}
	o := c.engine.Process(f.Img, f.T)
	o.Arrival = f.Arrival
	evs, burst := pv.observe(&o)
	if burst && smp != nil && f.Colour != nil {
		smp.offer(f.Colour, &o)
	}

	c.mu.Lock()
	if c.pv != pv {
		c.mu.Unlock()
		return // the attempt was stopped meanwhile
	}
	var end *attemptEnd
	if st, timeout, over := pv.result(); over {
		if m, ok := pv.burstMotion(); ok {
			c.log.Debug("live: passive burst", "motion", m)
		}
		// A face that did not move at all during the burst is a frozen
		// picture at the face's own scale, even when the encoder's
		// refinements keep the frames from repeating (Chromium's VP8 does):
		// it joins the frozen run of the stream cues.
		if d := pv.frozenFor(); d > 0 && c.cues != nil {
			c.cues.atLeastFrozen(d)
		}
		end = &attemptEnd{res: gesture.Result{Status: st}, timeout: timeout, ev: attemptEvidence{samples: c.smp, cues: c.cues}}
		c.pv, c.pending, c.smp, c.cues = nil, true, nil, nil
	}
	c.mu.Unlock()

	now := time.Now()
	c.svc.m.analysis.Observe(now.Sub(start).Seconds())
	c.svc.m.delay.Observe(now.Sub(f.T).Seconds())
	for i := range evs {
		c.send(passiveMessage(&evs[i]))
	}
	if end != nil {
		c.results <- *end
	}
}

// passiveMessage is the protocol message of a passive attempt's event.
func passiveMessage(e *passiveEvent) []byte {
	switch e.Kind {
	case pvHint:
		return encode(msg{Type: "hint", Code: string(e.Hint)})
	case pvFace:
		return encode(msg{Type: "face", Present: ptr(e.Present)})
	default:
		v := round2(e.Value)
		return encode(msg{Type: "progress", Value: &v, Overall: &v})
	}
}

// passiveSpoof is a passive session's GLAIR spoof_percentage (0–1, five
// decimals, as GLAIR's samples): the fused liveness score turned around,
// so that it answers for every signal and not the model alone (a frozen
// stream whose frames the model likes is still a likely spoof); 1 when no
// face was judged, as GLAIR answers "face not detected".
func passiveSpoof(st session.GestureStatus, score float64) float64 {
	if st != session.GestureMatch {
		return 1
	}
	s := max(0, min(1, 1-score/100))
	return float64(int(s*1e5+0.5)) / 1e5
}

// atLeastFrozen raises the longest frozen run to d.
func (s *streamCues) atLeastFrozen(d time.Duration) {
	s.mu.Lock()
	s.frozen = max(s.frozen, d)
	s.mu.Unlock()
}
