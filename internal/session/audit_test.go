package session_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/livegate/livegate/internal/session"
)

// TestAuditCanonical pins the canonical encoding and its hash to values
// computed outside Go (Python's hashlib over the documented netstrings), so
// that the format cannot drift from what the README tells verifiers.
func TestAuditCanonical(t *testing.T) {
	loc := time.FixedZone("WIB", 7*3600)
	e := session.AuditEntry{
		Time:      time.Date(2026, 1, 2, 10, 4, 5, 500_000_000, loc), // 03:04:05.5 UTC
		Attempt:   1,
		Event:     "created",
		ClientIP:  "192.0.2.1",
		UserAgent: "ua/1",
		Prev:      session.AuditGenesis,
	}
	const wantEnc = "17:livegate-audit-v1,1:0,22:2026-01-02T03:04:05.5Z,1:1,7:created,0:,0:,9:192.0.2.1,4:ua/1,1:0,0:,64:" + session.AuditGenesis + ","
	if got := string(e.Canonical()); got != wantEnc {
		t.Fatalf("Canonical:\ngot  %s\nwant %s", got, wantEnc)
	}
	if got, want := e.ComputeHash(), "6c2ab6f1e5bb9799599955f622b951e2e31ce0b929d01c1aba5c241284a3fcbd"; got != want {
		t.Fatalf("ComputeHash: got %s; want %s", got, want)
	}
	// Lengths are in bytes, so a field cannot spill into the next one.
	a, b := e, e
	a.Outcome, a.Gesture = "x,1:y", ""
	b.Outcome, b.Gesture = "x", "y"
	if a.ComputeHash() == b.ComputeHash() {
		t.Fatal("two entries with different fields hash alike")
	}
}

// chain builds a trail of n appends the way a store does.
func chain(t testing.TB, n int) []session.AuditEntry {
	t.Helper()
	var trail []session.AuditEntry
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for i := range n {
		var head, last *session.AuditEntry
		if len(trail) > 0 {
			head = &trail[len(trail)-1]
		}
		if len(trail) >= session.MaxAuditEntries {
			last = &trail[session.AuditDropBatch-1]
		}
		drop, add, err := session.ChainAudit(len(trail), head, last, session.AuditEntry{Time: t0.Add(time.Duration(i) * time.Second), Attempt: i, Event: "attempt"})
		if err != nil {
			t.Fatalf("ChainAudit %d: %v", i, err)
		}
		trail = append(trail[drop:], add...)
	}
	return trail
}

func TestChainAudit(t *testing.T) {
	if err := session.VerifyAudit(nil); err != nil {
		t.Fatalf("VerifyAudit of an empty trail: %v", err)
	}
	if got := session.AuditHead(nil); got != session.AuditGenesis {
		t.Fatalf("AuditHead of an empty trail: got %s; want the genesis value", got)
	}
	for _, n := range []int{1, 2, session.MaxAuditEntries, session.MaxAuditEntries + 1, 5 * session.MaxAuditEntries} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			trail := chain(t, n)
			if err := session.VerifyAudit(trail); err != nil {
				t.Fatalf("VerifyAudit: %v", err)
			}
			if len(trail) > session.MaxAuditEntries {
				t.Fatalf("%d entries; want at most %d", len(trail), session.MaxAuditEntries)
			}
			if got := session.AuditHead(trail); got != trail[len(trail)-1].Hash {
				t.Fatalf("AuditHead: got %s; want the last entry's hash", got)
			}
		})
	}
}

func TestChainAuditErrors(t *testing.T) {
	if _, _, err := session.ChainAudit(0, nil, nil, session.AuditEntry{Event: session.AuditTruncated}); session.ErrorCode(err) != session.EInvalid {
		t.Errorf("a caller's checkpoint: got %v; want invalid", err)
	}
	if _, _, err := session.ChainAudit(3, nil, nil, session.AuditEntry{Event: "x"}); session.ErrorCode(err) != session.EInternal {
		t.Errorf("no head for a non-empty trail: got %v; want internal", err)
	}
	head := chain(t, 1)[0]
	if _, _, err := session.ChainAudit(session.MaxAuditEntries, &head, nil, session.AuditEntry{Event: "x"}); session.ErrorCode(err) != session.EInternal {
		t.Errorf("a full trail without its last dropped entry: got %v; want internal", err)
	}
}

// TestVerifyAuditForgedCheckpoint covers breaks the store contract's tamper
// cases do not: checkpoints that lie, or an entry posing as one.
func TestVerifyAuditForgedCheckpoint(t *testing.T) {
	rehash := func(a []session.AuditEntry, from int) {
		for i := from; i < len(a); i++ {
			if i > 0 {
				a[i].Prev = a[i-1].Hash
			}
			a[i].Hash = a[i].ComputeHash()
		}
	}
	base := chain(t, session.MaxAuditEntries+3) // seq 50…203, checkpoint at seq 200
	cp := -1
	for i, e := range base {
		if e.Event == session.AuditTruncated {
			cp = i
		}
	}
	if cp < 0 {
		t.Fatal("no checkpoint")
	}
	tests := []struct {
		name   string
		tamper func(a []session.AuditEntry) []session.AuditEntry
		at     int
	}{
		{"genesis replaced", func([]session.AuditEntry) []session.AuditEntry {
			a := chain(t, 3)
			a[0].Prev = "ff" + a[0].Prev[2:]
			rehash(a, 0)
			return a
		}, 0},
		{"checkpoint count rewritten and rehashed", func(a []session.AuditEntry) []session.AuditEntry {
			a[cp].Dropped++
			rehash(a, cp)
			return a
		}, 1},
		{"checkpoint hash rewritten and rehashed", func(a []session.AuditEntry) []session.AuditEntry {
			a[cp].DroppedHash = a[1].Hash
			rehash(a, cp)
			return a
		}, 0},
		{"an ordinary entry claims a drop", func(a []session.AuditEntry) []session.AuditEntry {
			a[7].Dropped = 1
			rehash(a, 7)
			return a
		}, 7},
		{"checkpoint removed and the rest rehashed", func(a []session.AuditEntry) []session.AuditEntry {
			a = append(a[:cp:cp], a[cp+1:]...)
			for i := cp; i < len(a); i++ {
				a[i].Seq--
			}
			rehash(a, cp)
			return a
		}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := tt.tamper(append([]session.AuditEntry{}, base...))
			err := session.VerifyAudit(a)
			var b *session.AuditBreak
			if !errors.As(err, &b) || b.Index != tt.at {
				t.Fatalf("VerifyAudit: got %v; want a break at entry %d", err, tt.at)
			}
		})
	}
}

// BenchmarkVerifyAudit verifies a full trail (MaxAuditEntries entries, with
// checkpoints), as the audit answer and cmd/audit-verify do.
func BenchmarkVerifyAudit(b *testing.B) {
	trail := chain(b, 3*session.MaxAuditEntries)
	if err := session.VerifyAudit(trail); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if err := session.VerifyAudit(trail); err != nil {
			b.Fatal(err)
		}
	}
}
