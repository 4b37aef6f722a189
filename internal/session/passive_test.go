package session_test

import (
	"encoding/json"
	"testing"

	"github.com/livegate/livegate/internal/session"
)

// A passive result's spoof_percentage survives Clone (a copy, not shared)
// and the JSON a store keeps; an active result has none.
func TestSpoofPercentageIsCopiedAndStored(t *testing.T) {
	score, spoof := 97.4, 0.026
	s := newSession(t)
	s.Result = &session.Result{Status: "success", GestureStatus: session.GestureMatch, LivenessScore: &score, SpoofPercentage: &spoof}
	c := s.Clone()
	*s.Result.SpoofPercentage = 0.9
	if c.Result.SpoofPercentage == nil || *c.Result.SpoofPercentage != 0.026 {
		t.Fatalf("clone's spoof_percentage %v; want its own 0.026", c.Result.SpoofPercentage)
	}
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	var back session.Session
	if err := json.Unmarshal(b, &back); err != nil || back.Result.SpoofPercentage == nil || *back.Result.SpoofPercentage != 0.026 {
		t.Errorf("stored %s → %v (%v); want spoof_percentage 0.026", b, back.Result, err)
	}
	active, _ := json.Marshal(session.Result{Status: "success"})
	var m map[string]any
	_ = json.Unmarshal(active, &m)
	if _, ok := m["spoof_percentage"]; ok {
		t.Errorf("an active result has spoof_percentage: %s", active)
	}
}
