package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/livegate/livegate/internal/session"
	"github.com/livegate/livegate/internal/session/memstore"
	"github.com/livegate/livegate/internal/session/sessiontest"
)

// trail appends n entries to a new session in a memory store and returns the
// session id and the trail, as a server would have written them.
func trail(t *testing.T, n int) (string, []session.AuditEntry) {
	t.Helper()
	clock := sessiontest.NewClock(sessiontest.Start)
	st := memstore.New(memstore.WithClock(clock.Now), memstore.WithSweepInterval(0))
	t.Cleanup(func() { st.Close() })
	s := sessiontest.NewSession(t, clock.Now())
	ctx := context.Background()
	if err := st.Create(ctx, s); err != nil {
		t.Fatal(err)
	}
	for i := range n {
		clock.Advance(time.Second)
		e := session.AuditEntry{Time: clock.Now(), Attempt: i, Event: "attempt_ended", Outcome: "NOT_MATCH", ClientIP: "192.0.2.1"}
		if err := st.AppendAudit(ctx, s.ID, e); err != nil {
			t.Fatal(err)
		}
	}
	a, err := st.Audit(ctx, s.ID)
	if err != nil {
		t.Fatal(err)
	}
	return s.ID, a
}

// answerJSON encodes an audit answer as the API sends it.
func answerJSON(t *testing.T, sid, head string, es []session.AuditEntry) string {
	t.Helper()
	b, err := json.Marshal(map[string]any{"sid": sid, "head": head, "entries": es})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestRun(t *testing.T) {
	sid, es := trail(t, 6)
	good := answerJSON(t, sid, session.AuditHead(es), es)
	dir := t.TempDir()
	file := filepath.Join(dir, "audit.json")
	if err := os.WriteFile(file, []byte(good), 0o600); err != nil {
		t.Fatal(err)
	}

	forged := append([]session.AuditEntry{}, es...)
	forged[2].Outcome = "MATCH"
	swapped := append([]session.AuditEntry{}, es...)
	swapped[3], swapped[4] = swapped[4], swapped[3]
	removed := append(append([]session.AuditEntry{}, es[:1]...), es[2:]...)
	bigSID, big := trail(t, session.MaxAuditEntries+30)

	tests := []struct {
		name  string
		args  []string
		stdin string
		code  int
		out   string // in stdout (code 0 or 1) or stderr (code 2)
	}{
		{"intact file", []string{file}, "", 0, "intact: sid " + sid + ", 6 entries (seq 0–5, 0 dropped before), head " + session.AuditHead(es)},
		{"intact stdin", nil, good, 0, "intact: sid " + sid},
		{"intact stdin dash", []string{"-"}, good, 0, "intact:"},
		{"intact past the cap", nil, answerJSON(t, bigSID, session.AuditHead(big), big), 0, "50 dropped before"},
		{"entry changed", nil, answerJSON(t, sid, session.AuditHead(forged), forged), 1, "broken: sid " + sid + ": audit trail broken at entry 2 (seq 2): hash"},
		{"entries swapped", nil, answerJSON(t, sid, session.AuditHead(swapped), swapped), 1, "broken at entry 3 (seq 4)"},
		{"entry removed", nil, answerJSON(t, sid, session.AuditHead(removed), removed), 1, "broken at entry 1 (seq 2)"},
		{"last entry removed, head kept", nil, answerJSON(t, sid, session.AuditHead(es), es[:5]), 1, "is not the last entry's hash"},
		{"kept head still there", []string{"-head", es[3].Hash, file}, "", 0, "intact:"},
		{"kept head gone", []string{"-head", strings.Repeat("ab", 32), file}, "", 1, "no entry has the kept head"},
		{"bad kept head", []string{"-head", "xyz", file}, "", 2, "not 64 lower-case hex digits"},
		{"not JSON", nil, "<html>", 2, "not an audit answer"},
		{"no entries", nil, `{"sid":"x","head":"y"}`, 2, `no "entries"`},
		{"two answers", nil, good + good, 2, "data after the JSON object"},
		{"missing file", []string{filepath.Join(dir, "none.json")}, "", 2, "no such file"},
		{"two files", []string{file, file}, "", 2, "usage:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(tt.args, strings.NewReader(tt.stdin), &stdout, &stderr)
			out := stdout.String()
			if tt.code == 2 {
				out = stderr.String()
			}
			if code != tt.code || !strings.Contains(out, tt.out) {
				t.Fatalf("exit %d, stdout %q, stderr %q; want exit %d with %q", code, stdout.String(), stderr.String(), tt.code, tt.out)
			}
		})
	}
}
