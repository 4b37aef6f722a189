package session_test

import (
	"testing"

	"github.com/livegate/livegate/internal/session"
)

// Finish refuses a success that the evidence contradicts: gestures not all
// matched, or a liveness score under the pass mark. The same result as
// "failed" (with its attack type) is accepted.
func TestFinishRefusesSuccessBelowThePassMark(t *testing.T) {
	low, high, attack := 20.0, 75.0, "injection"
	detail := &session.LivenessDetail{PassMark: 50, Decisive: "loop", Signals: []session.LivenessSignal{{Name: "loop", Score: &low, Attack: attack, Reason: "1 looped run"}}}
	for _, c := range []struct {
		name string
		r    session.Result
		ok   bool
	}{
		{"success below the pass mark", session.Result{Status: "success", GestureStatus: session.GestureMatch, LivenessScore: &low, AttackType: &attack, Liveness: detail}, false},
		{"success without a score but judged", session.Result{Status: "success", GestureStatus: session.GestureMatch, Liveness: detail}, false},
		{"success without MATCH", session.Result{Status: "success", GestureStatus: session.GestureNotMatch}, false},
		{"failed below the pass mark", session.Result{Status: "failed", GestureStatus: session.GestureMatch, LivenessScore: &low, AttackType: &attack, Liveness: detail}, true},
		{"success at or over the pass mark", session.Result{Status: "success", GestureStatus: session.GestureMatch, LivenessScore: &high, Liveness: detail}, true},
		{"success not judged (no breakdown)", okResult, true},
	} {
		s := newSession(t)
		err := s.Finish(c.r, t0)
		if c.ok != (err == nil) {
			t.Errorf("%s: Finish error %v; want ok %v", c.name, err, c.ok)
			continue
		}
		if !c.ok && (session.ErrorCode(err) != session.EInvalid || s.Status != session.StatusPending) {
			t.Errorf("%s: code %q status %s; want %q and the session still PENDING", c.name, session.ErrorCode(err), s.Status, session.EInvalid)
		}
	}
}
