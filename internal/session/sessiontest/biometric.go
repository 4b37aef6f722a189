package sessiontest

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/livegate/livegate/internal/session"
)

// sealedRef stands for a sealed reference embedding: the stores never open
// it, so any bytes do.
var sealedRef = []byte{0x5e, 0xa1, 0xed, 0x00, 0xff}

// dataExpired returns the trail's "data_expired" entries, after checking
// that the store chained them into the trail like any other.
func dataExpired(t *testing.T, st session.Store, id string) []session.AuditEntry {
	t.Helper()
	es, err := st.Audit(context.Background(), id)
	if err != nil {
		t.Fatalf("Audit(%s): %v", id, err)
	}
	if err := session.VerifyAudit(es); err != nil {
		t.Fatalf("Audit(%s): the trail with the store's own entries does not verify: %v", id, err)
	}
	var out []session.AuditEntry
	for _, e := range es {
		if e.Event == session.EventDataExpired {
			out = append(out, e)
		}
	}
	return out
}

// testBiometricRetention: a session's reference embedding outlives its
// verdict by the session's own biometric retention, to the second, and is
// then gone from every read while the verdict and the grade stay; the store
// records the purge once, dated at the deadline.
func testBiometricRetention(t *testing.T, st session.Store, clock *Clock) {
	const keep = 2 * time.Hour
	s := NewSession(t, clock.Now())
	s.BiometricRetention = keep
	s.Reference = &session.Reference{Sealed: bytes.Clone(sealedRef), Quality: "high"}
	create(t, st, s)
	if got := get(t, st, s.ID); !got.HasBiometrics() || !bytes.Equal(got.Reference.Sealed, sealedRef) || got.BiometricRetention != keep {
		t.Fatalf("Get after Create: reference %+v, retention %s; want the embedding and %s", got.Reference, got.BiometricRetention, keep)
	}
	if err := st.AppendAudit(context.Background(), s.ID, session.AuditEntry{Time: clock.Now(), Event: "created"}); err != nil {
		t.Fatal(err)
	}
	clock.Advance(10 * time.Minute)
	end := clock.Now()
	update(t, st, s.ID, func(s *session.Session) error { return s.Finish(success(clock), clock.Now()) })

	clock.Set(end.Add(keep - time.Second))
	if got := get(t, st, s.ID); !got.HasBiometrics() {
		t.Fatalf("a second before its retention: the embedding is gone")
	}
	if es := dataExpired(t, st, s.ID); len(es) != 0 {
		t.Fatalf("a second before its retention: audit %+v; want no data_expired", es)
	}

	clock.Set(end.Add(keep))
	for i := range 2 {
		got := get(t, st, s.ID)
		if got.HasBiometrics() || got.Reference == nil || got.Reference.Quality != "high" {
			t.Fatalf("read %d at its retention: reference %+v; want the grade only", i, got.Reference)
		}
		if got.Status != session.StatusFinished || got.Result == nil || got.Result.Status != "success" {
			t.Fatalf("read %d at its retention: %s, result %v; want the verdict kept", i, got.Status, got.Result)
		}
	}
	up := update(t, st, s.ID, func(*session.Session) error { return nil })
	if up.HasBiometrics() {
		t.Errorf("Update at its retention: the embedding came back")
	}
	es := dataExpired(t, st, s.ID)
	if len(es) != 1 || es[0].Outcome != session.BiometricReference || !es[0].Time.Equal(end.Add(keep)) {
		t.Errorf("audit: data_expired entries %+v; want one, of %s at %s", es, session.BiometricReference, end.Add(keep))
	}
}

// testBiometricRetentionZero: under a retention of 0, the embedding of a
// session that expires unfinished goes at the expiry (audited), and that of a
// finished session goes in the very write of its verdict.
func testBiometricRetentionZero(t *testing.T, st session.Store, clock *Clock) {
	expiring := NewSession(t, clock.Now())
	expiring.Reference = &session.Reference{Sealed: bytes.Clone(sealedRef), Quality: "medium"}
	create(t, st, expiring)
	finished := NewSession(t, clock.Now())
	finished.Reference = &session.Reference{Sealed: bytes.Clone(sealedRef), Quality: "medium"}
	create(t, st, finished)

	clock.Advance(time.Minute)
	if got := update(t, st, finished.ID, func(s *session.Session) error { return s.Finish(success(clock), clock.Now()) }); got.HasBiometrics() {
		t.Errorf("finished under retention 0: the embedding outlived the verdict")
	}
	if got := get(t, st, finished.ID); got.HasBiometrics() || got.Reference.Quality != "medium" {
		t.Errorf("finished under retention 0: reference %+v; want the grade only", got.Reference)
	}
	if got := get(t, st, expiring.ID); !got.HasBiometrics() {
		t.Fatalf("pending: the embedding is gone before the session ends")
	}

	clock.Set(expiring.ExpiresAt)
	got := get(t, st, expiring.ID)
	if got.Status != session.StatusExpired || got.HasBiometrics() {
		t.Errorf("at its expiry: %s, reference %+v; want EXPIRED without the embedding", got.Status, got.Reference)
	}
	if es := dataExpired(t, st, expiring.ID); len(es) != 1 || !es[0].Time.Equal(expiring.ExpiresAt) {
		t.Errorf("audit at its expiry: data_expired %+v; want one at %s", es, expiring.ExpiresAt)
	}
}

// testBiometricDeletedBeforeRetention: deleting a session's biometric
// values on demand, while its retention would still keep them, removes them
// from every later read at once; the retention's end then finds nothing to
// purge and records no data_expired.
func testBiometricDeletedBeforeRetention(t *testing.T, st session.Store, clock *Clock) {
	s := NewSession(t, clock.Now())
	s.BiometricRetention = time.Hour
	s.Reference = &session.Reference{Sealed: bytes.Clone(sealedRef), Quality: "high"}
	create(t, st, s)
	update(t, st, s.ID, func(s *session.Session) error { return s.Finish(success(clock), clock.Now()) })
	deadline := clock.Now().Add(time.Hour)
	clock.Advance(time.Minute)
	var deleted []string
	update(t, st, s.ID, func(s *session.Session) error { deleted = s.DeleteBiometrics(clock.Now()); return nil })
	if len(deleted) != 1 {
		t.Fatalf("DeleteBiometrics within the retention deleted %v; want the reference", deleted)
	}
	if got := get(t, st, s.ID); got.HasBiometrics() || got.Status != session.StatusFinished {
		t.Fatalf("after the deletion: %s, reference %+v; want FINISHED without the embedding", got.Status, got.Reference)
	}
	clock.Set(deadline)
	if got := get(t, st, s.ID); got.HasBiometrics() {
		t.Fatalf("at the deadline: the embedding came back")
	}
	if es := dataExpired(t, st, s.ID); len(es) != 0 {
		t.Errorf("audit: %+v; want no data_expired for data already deleted", es)
	}
}
