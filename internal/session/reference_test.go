package session_test

import (
	"encoding/json"
	"testing"

	"github.com/livegate/livegate/internal/session"
)

// TestReferenceClonedAndSerialised: a session's reference face survives the stores'
// JSON and is deep-copied by Clone, so no caller shares the embedding with a store.
func TestReferenceClonedAndSerialised(t *testing.T) {
	s := &session.Session{ID: "x", Reference: &session.Reference{Embedding: []float32{0.5, -0.25}, Quality: "high"}}
	c := s.Clone()
	c.Reference.Embedding[0] = 9
	c.Reference.Quality = "low"
	if s.Reference.Embedding[0] != 0.5 || s.Reference.Quality != "high" {
		t.Errorf("Clone shares the reference: %+v", s.Reference)
	}
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	var back session.Session
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back.Reference == nil || back.Reference.Quality != "high" || len(back.Reference.Embedding) != 2 || back.Reference.Embedding[1] != -0.25 {
		t.Errorf("round trip: %+v", back.Reference)
	}
	if c := (&session.Session{}).Clone(); c.Reference != nil {
		t.Error("Clone invented a reference")
	}
}
