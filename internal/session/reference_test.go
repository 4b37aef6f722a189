package session_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/livegate/livegate/internal/session"
)

// TestReferenceClonedAndSerialised: a session's reference face survives the stores'
// JSON and is deep-copied by Clone, so no caller shares the embedding with a store.
func TestReferenceClonedAndSerialised(t *testing.T) {
	s := &session.Session{ID: "x", Reference: &session.Reference{Sealed: []byte{5, 25}, Quality: "high"}}
	c := s.Clone()
	c.Reference.Sealed[0] = 9
	c.Reference.Quality = "low"
	if s.Reference.Sealed[0] != 5 || s.Reference.Quality != "high" {
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
	if back.Reference == nil || back.Reference.Quality != "high" || !bytes.Equal(back.Reference.Sealed, []byte{5, 25}) {
		t.Errorf("round trip: %+v", back.Reference)
	}
	if c := (&session.Session{}).Clone(); c.Reference != nil {
		t.Error("Clone invented a reference")
	}
}

// TestEndedSessionHoldsNoEmbedding: however a session ends (finished,
// canceled, expired), its reference embedding is dropped at once and only the
// grade stays; a failed transition drops nothing.
func TestEndedSessionHoldsNoEmbedding(t *testing.T) {
	ends := []struct {
		name string
		end  func(s *session.Session) error
	}{
		{"finish", func(s *session.Session) error { return s.Finish(okResult, t0.Add(time.Minute)) }},
		{"cancel", func(s *session.Session) error { return s.Cancel(t0.Add(time.Minute)) }},
		{"expire", func(s *session.Session) error {
			if !s.Expire(s.ExpiresAt.Add(time.Second)) {
				return errors.New("Expire changed nothing")
			}
			return nil
		}},
	}
	for _, e := range ends {
		t.Run(e.name, func(t *testing.T) {
			s := newSession(t)
			s.Reference = &session.Reference{Sealed: []byte{5, 25}, Quality: "high"}
			if err := e.end(s); err != nil {
				t.Fatal(err)
			}
			if s.Reference == nil || s.Reference.Sealed != nil || s.Reference.Quality != "high" {
				t.Errorf("after %s: reference %+v; want the grade and no embedding", e.name, s.Reference)
			}
			b, err := json.Marshal(s)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(string(b), "sealed") {
				t.Errorf("the stored form still holds an embedding: %s", b)
			}
		})
	}
	s := newSession(t)
	s.Reference = &session.Reference{Sealed: []byte{5}, Quality: "high"}
	if err := s.Finish(session.Result{Status: "ok"}, t0); err == nil || len(s.Reference.Sealed) != 1 {
		t.Errorf("a refused Finish (err %v) dropped the embedding: %+v", err, s.Reference)
	}
}

// TestDeleteBiometrics: the erasure of a session's biometric data removes
// the sealed reference and names it, cancels a pending session, and leaves
// an ended session's status and result as they were.
func TestDeleteBiometrics(t *testing.T) {
	s := newSession(t)
	s.Reference = &session.Reference{Sealed: []byte{5, 25}, Quality: "high"}
	if got := s.DeleteBiometrics(t0.Add(time.Minute)); len(got) != 1 || got[0] != session.BiometricReference {
		t.Errorf("pending: deleted %v; want the reference", got)
	}
	if s.Status != session.StatusCanceled || s.Reference.Sealed != nil || s.Reference.Quality != "high" {
		t.Errorf("pending: after the deletion %s %+v; want CANCELED, the grade and no embedding", s.Status, s.Reference)
	}
	if got := s.DeleteBiometrics(t0.Add(2 * time.Minute)); len(got) != 0 {
		t.Errorf("again: deleted %v; want nothing", got)
	}

	s = newSession(t)
	if err := s.Finish(okResult, t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	s.Reference = &session.Reference{Sealed: []byte{5}, Quality: "low"} // as a store might still hold it
	if got := s.DeleteBiometrics(t0.Add(2 * time.Minute)); len(got) != 1 || s.Status != session.StatusFinished || s.Result == nil || s.Reference.Sealed != nil {
		t.Errorf("finished: deleted %v, %s, result %v, reference %+v; want the reference gone and the verdict kept", got, s.Status, s.Result, s.Reference)
	}
}

// TestBiometricRetention: under a retention above 0 the embedding outlives
// the verdict until the end plus that retention, no longer; the verdict and
// the grade stay after it goes, and the audit entry is dated at the deadline.
func TestBiometricRetention(t *testing.T) {
	const keep = 2 * time.Hour
	s := newSession(t)
	s.BiometricRetention = keep
	s.Reference = &session.Reference{Sealed: []byte{5, 25}, Quality: "high"}
	end := t0.Add(time.Minute)
	if err := s.Finish(okResult, end); err != nil {
		t.Fatal(err)
	}
	if !s.HasBiometrics() {
		t.Fatalf("retention %s: the finish dropped the embedding", keep)
	}
	if got, want := s.BiometricUntil(), end.Add(keep); !got.Equal(want) {
		t.Errorf("BiometricUntil = %s; want %s", got, want)
	}
	if got := s.ExpireBiometrics(end.Add(keep - time.Nanosecond)); got != nil || !s.HasBiometrics() {
		t.Errorf("a nanosecond before its retention: dropped %v", got)
	}
	got := s.ExpireBiometrics(end.Add(keep))
	if len(got) != 1 || got[0] != session.BiometricReference || s.HasBiometrics() {
		t.Fatalf("at its retention: dropped %v, still holds %v; want the reference gone", got, s.HasBiometrics())
	}
	if s.Status != session.StatusFinished || s.Result == nil || s.Reference.Quality != "high" {
		t.Errorf("after the purge: %s, result %v, reference %+v; want the verdict and grade kept", s.Status, s.Result, s.Reference)
	}
	if again := s.ExpireBiometrics(end.Add(2 * keep)); again != nil {
		t.Errorf("a second purge dropped %v; want nothing", again)
	}
	e := s.DataExpiredEntry(got)
	if e.Event != "data_expired" || e.Outcome != session.BiometricReference || !e.Time.Equal(end.Add(keep)) {
		t.Errorf("audit entry %+v; want data_expired of %s at %s", e, session.BiometricReference, end.Add(keep))
	}
}

// TestBiometricRetentionFromParams: New takes the retention from its
// params, a negative one read as 0.
func TestBiometricRetentionFromParams(t *testing.T) {
	for _, tc := range []struct{ in, want time.Duration }{{0, 0}, {-time.Hour, 0}, {36 * time.Hour, 36 * time.Hour}} {
		s, err := session.New(session.Params{Kind: session.KindActive, SuccessURL: "https://example.com/ok", BiometricRetention: tc.in}, t0)
		if err != nil {
			t.Fatal(err)
		}
		if s.BiometricRetention != tc.want {
			t.Errorf("BiometricRetention(%s) = %s; want %s", tc.in, s.BiometricRetention, tc.want)
		}
	}
}
