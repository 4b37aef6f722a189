package sessiontest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/livegate/livegate/internal/session"
)

// The contract's audit, eviction and ping cases.

func auditEntry(clock *Clock, i int) session.AuditEntry {
	return session.AuditEntry{
		Time:      clock.Now().Add(time.Duration(i) * time.Millisecond),
		Attempt:   i,
		Event:     "attempt",
		Outcome:   string(session.GestureNotMatch),
		ClientIP:  "2001:db8::1",
		UserAgent: fmt.Sprintf("test/%d", i),
	}
}

// chainIntact fails t unless the trail is an intact hash chain.
func chainIntact(t *testing.T, what string, a []session.AuditEntry) {
	t.Helper()
	if err := session.VerifyAudit(a); err != nil {
		t.Fatalf("%s: VerifyAudit: %v", what, err)
	}
}

// audit returns the session's trail, failing t on an error.
func audit(t *testing.T, st session.Store, id string) []session.AuditEntry {
	t.Helper()
	a, err := st.Audit(context.Background(), id)
	if err != nil {
		t.Fatalf("Audit(%s): %v", id, err)
	}
	return a
}

func testAuditOrder(t *testing.T, st session.Store, clock *Clock) {
	ctx := context.Background()
	s := NewSession(t, clock.Now())
	create(t, st, s)
	a, err := st.Audit(ctx, s.ID)
	if err != nil || len(a) != 0 {
		t.Fatalf("Audit of a new session: got %v, %v; want no entries", a, err)
	}
	var want []session.AuditEntry
	for i := range 5 {
		e := auditEntry(clock, i)
		// Chain fields from the caller are not trusted: the store sets them.
		e.Seq, e.Prev, e.Hash, e.Dropped, e.DroppedHash = 99, "forged", "forged", 3, "forged"
		if err := st.AppendAudit(ctx, s.ID, e); err != nil {
			t.Fatalf("AppendAudit %d: %v", i, err)
		}
		e.Dropped, e.DroppedHash = 0, ""
		want = append(want, e)
	}
	a = audit(t, st, s.ID)
	if got := normAudit(a); !reflect.DeepEqual(got, normAudit(want)) {
		t.Fatalf("Audit:\ngot  %+v\nwant %+v", got, want)
	}
	chainIntact(t, "Audit", a)
	for i, e := range a {
		if e.Seq != int64(i) {
			t.Errorf("Audit[%d].Seq: got %d; want %d", i, e.Seq, i)
		}
	}
	if a[0].Prev != session.AuditGenesis {
		t.Errorf("Audit[0].Prev: got %q; want the genesis value", a[0].Prev)
	}
	// The audit trail of a session survives its end and is kept with it.
	head := session.AuditHead(a)
	update(t, st, s.ID, func(s *session.Session) error { return s.Cancel(clock.Now()) })
	e := session.AuditEntry{Time: clock.Now(), Event: "canceled"}
	if err := st.AppendAudit(ctx, s.ID, e); err != nil {
		t.Fatalf("AppendAudit after Cancel: %v", err)
	}
	a, err = st.Audit(ctx, s.ID)
	if err != nil || len(a) != 6 || a[5].Event != "canceled" {
		t.Fatalf("Audit after Cancel: got %d entries (%v), last %+v; want 6, the last canceled", len(a), err, a[len(a)-1])
	}
	chainIntact(t, "Audit after Cancel", a)
	if a[5].Prev != head || a[4].Hash != head {
		t.Errorf("the new entry's prev %q; want the head before it, %q", a[5].Prev, head)
	}
}

// testAuditCap appends past the cap, several times over, and checks that
// the trail stays within it, keeps the newest entries in order, records
// every drop in a checkpoint and stays verifiable throughout.
func testAuditCap(t *testing.T, st session.Store, clock *Clock) {
	ctx := context.Background()
	s := NewSession(t, clock.Now())
	create(t, st, s)
	const total = 2*session.MaxAuditEntries + 7
	var checkpoints int
	for i := range total {
		if err := st.AppendAudit(ctx, s.ID, auditEntry(clock, i)); err != nil {
			t.Fatalf("AppendAudit %d: %v", i, err)
		}
		// Check the trail now and then on the way, and at the end.
		if (i+1)%25 == 0 || i+1 == total {
			a := audit(t, st, s.ID)
			if len(a) > session.MaxAuditEntries {
				t.Fatalf("after %d appends: %d entries; want at most %d", i+1, len(a), session.MaxAuditEntries)
			}
			chainIntact(t, fmt.Sprintf("after %d appends", i+1), a)
			checkpoints = int(a[len(a)-1].Seq) - i // entries written beyond the caller's
		}
	}
	a := audit(t, st, s.ID)
	last := a[len(a)-1]
	if want := int64(total + checkpoints - 1); last.Seq != want || last.Attempt != total-1 {
		t.Fatalf("last entry: seq %d attempt %d; want seq %d attempt %d", last.Seq, last.Attempt, want, total-1)
	}
	// 407 appends on a cap of 200: the first drop (of 50) at the 201st,
	// leaving 152 entries with its checkpoint, then one every 49 appends
	// (at the 250th, 299th, 348th and 397th): five drops.
	if checkpoints != 5 {
		t.Errorf("checkpoints written: %d; want 5", checkpoints)
	}
	var cps []session.AuditEntry
	next := -1
	for i, e := range a {
		if e.Event == session.AuditTruncated {
			cps = append(cps, e)
			continue
		}
		if next >= 0 && e.Attempt != next {
			t.Fatalf("Audit[%d]: got attempt %d; want %d (order kept, only the oldest dropped)", i, e.Attempt, next)
		}
		next = e.Attempt + 1
	}
	if len(cps) == 0 {
		t.Fatal("no checkpoint in a trail that dropped entries")
	}
	cp := cps[len(cps)-1]
	if cp.Dropped != a[0].Seq || cp.DroppedHash != a[0].Prev {
		t.Errorf("latest checkpoint: dropped %d, hash %q; want %d, %q (the oldest kept entry's seq and prev)",
			cp.Dropped, cp.DroppedHash, a[0].Seq, a[0].Prev)
	}
	if cp.Dropped%session.AuditDropBatch != 0 || cp.Dropped == 0 {
		t.Errorf("latest checkpoint dropped %d in all; want a multiple of %d", cp.Dropped, session.AuditDropBatch)
	}
}

// testAuditChainConcurrent appends from many goroutines at once, as several
// instances do, past the cap: no entry is lost and the chain does not fork.
func testAuditChainConcurrent(t *testing.T, st session.Store, clock *Clock) {
	s := NewSession(t, clock.Now())
	create(t, st, s)
	const workers, each = 8, 30
	var wg sync.WaitGroup
	errs := make(chan error, workers*each)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				e := auditEntry(clock, w*each+i)
				if err := st.AppendAudit(context.Background(), s.ID, e); err != nil {
					errs <- fmt.Errorf("worker %d entry %d: %w", w, i, err)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	a := audit(t, st, s.ID)
	chainIntact(t, "after concurrent appends", a)
	// 240 appends on a cap of 200: one drop of the oldest batch.
	seen := map[int]bool{}
	cps := 0
	for _, e := range a {
		if e.Event == session.AuditTruncated {
			cps++
			continue
		}
		if seen[e.Attempt] {
			t.Fatalf("attempt %d appears twice", e.Attempt)
		}
		seen[e.Attempt] = true
	}
	if want := workers*each - session.AuditDropBatch; len(seen) != want || cps != 1 {
		t.Fatalf("kept %d entries and %d checkpoints; want %d and 1", len(seen), cps, want)
	}
	if last := a[len(a)-1].Seq; last != workers*each {
		t.Fatalf("last seq %d; want %d (every append and the checkpoint chained once)", last, workers*each)
	}
}

// testAuditTamper checks that VerifyAudit finds a change to a stored trail at
// the entry changed: the contract's stores give back what verification needs.
func testAuditTamper(t *testing.T, st session.Store, clock *Clock) {
	ctx := context.Background()
	s := NewSession(t, clock.Now())
	create(t, st, s)
	for i := range session.MaxAuditEntries + 10 {
		if err := st.AppendAudit(ctx, s.ID, auditEntry(clock, i)); err != nil {
			t.Fatalf("AppendAudit %d: %v", i, err)
		}
	}
	orig := audit(t, st, s.ID)
	chainIntact(t, "stored trail", orig)
	n := len(orig)
	tests := []struct {
		name   string
		tamper func([]session.AuditEntry) []session.AuditEntry
		at     int
	}{
		{"outcome changed", func(a []session.AuditEntry) []session.AuditEntry {
			a[3].Outcome = string(session.GestureMatch)
			return a
		}, 3},
		{"client ip changed", func(a []session.AuditEntry) []session.AuditEntry {
			a[n-1].ClientIP = "198.51.100.7"
			return a
		}, n - 1},
		{"time changed, hash recomputed", func(a []session.AuditEntry) []session.AuditEntry {
			a[10].Time = a[10].Time.Add(time.Hour)
			a[10].Hash = a[10].ComputeHash()
			return a
		}, 11},
		{"entry removed", func(a []session.AuditEntry) []session.AuditEntry {
			return append(a[:20:20], a[21:]...)
		}, 20},
		{"two entries swapped", func(a []session.AuditEntry) []session.AuditEntry {
			a[30], a[31] = a[31], a[30]
			return a
		}, 30},
		{"oldest entries removed", func(a []session.AuditEntry) []session.AuditEntry {
			return a[5:]
		}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := tt.tamper(append([]session.AuditEntry{}, orig...))
			err := session.VerifyAudit(a)
			var b *session.AuditBreak
			if !errors.As(err, &b) || b.Index != tt.at {
				t.Fatalf("VerifyAudit: got %v; want a break at entry %d", err, tt.at)
			}
		})
	}
}

// testAuditInvalidUTF8 appends strings that are not valid UTF-8, as a user
// agent cut at a byte limit can be: the trail read back still verifies.
func testAuditInvalidUTF8(t *testing.T, st session.Store, clock *Clock) {
	s := NewSession(t, clock.Now())
	create(t, st, s)
	for i, ua := range []string{"Mozilla/5.0 \xe2\x80", "a\xff\xfeb", "ok"} {
		e := session.AuditEntry{Time: clock.Now(), Attempt: i, Event: "attempt_started", UserAgent: ua}
		if err := st.AppendAudit(context.Background(), s.ID, e); err != nil {
			t.Fatalf("AppendAudit %d: %v", i, err)
		}
	}
	a := audit(t, st, s.ID)
	chainIntact(t, "a trail with invalid UTF-8", a)
	// And so does the trail after a JSON round trip, as the API sends it.
	b, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	var back []session.AuditEntry
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	chainIntact(t, "the trail through JSON", back)
	if got, want := back[1].UserAgent, "a\uFFFD\uFFFDb"; got != want {
		t.Errorf("user agent: got %q; want %q (each invalid byte replaced, as JSON does)", got, want)
	}
}

// testAuditReserved checks that a caller cannot write a checkpoint.
func testAuditReserved(t *testing.T, st session.Store, clock *Clock) {
	s := NewSession(t, clock.Now())
	create(t, st, s)
	err := st.AppendAudit(context.Background(), s.ID, session.AuditEntry{Time: clock.Now(), Event: session.AuditTruncated, Dropped: 1})
	if session.ErrorCode(err) != session.EInvalid {
		t.Fatalf("AppendAudit of a forged checkpoint: got %v; want an invalid error", err)
	}
	if a := audit(t, st, s.ID); len(a) != 0 {
		t.Fatalf("Audit after a refused append: %d entries; want none", len(a))
	}
}

// evicted fails t unless every read of id says ErrNotFound.
func evicted(t *testing.T, st session.Store, id string, clock *Clock) {
	t.Helper()
	ctx := context.Background()
	if _, err := st.Get(ctx, id); !errors.Is(err, session.ErrNotFound) {
		t.Errorf("Get after retention: got %v; want ErrNotFound", err)
	}
	if _, err := st.Audit(ctx, id); !errors.Is(err, session.ErrNotFound) {
		t.Errorf("Audit after retention: got %v; want ErrNotFound", err)
	}
	if err := st.AppendAudit(ctx, id, session.AuditEntry{Time: clock.Now(), Event: "late"}); !errors.Is(err, session.ErrNotFound) {
		t.Errorf("AppendAudit after retention: got %v; want ErrNotFound", err)
	}
	if _, err := st.Update(ctx, id, func(*session.Session) error { return nil }); !errors.Is(err, session.ErrNotFound) {
		t.Errorf("Update after retention: got %v; want ErrNotFound", err)
	}
}

func testEvictPending(t *testing.T, st session.Store, clock *Clock) {
	s := NewSession(t, clock.Now())
	create(t, st, s)
	if err := st.AppendAudit(context.Background(), s.ID, auditEntry(clock, 0)); err != nil {
		t.Fatal(err)
	}
	keep := s.ExpiresAt.Add(session.DefaultRetention)
	clock.Set(keep.Add(-time.Second))
	if got := get(t, st, s.ID); got.Status != session.StatusExpired {
		t.Fatalf("Get just before the end of retention: status got %s; want EXPIRED", got.Status)
	}
	clock.Set(keep)
	evicted(t, st, s.ID, clock)
}

func testEvictEnded(t *testing.T, st session.Store, clock *Clock) {
	s := NewSession(t, clock.Now())
	create(t, st, s)
	clock.Advance(10 * time.Minute)
	ended := clock.Now()
	update(t, st, s.ID, func(s *session.Session) error { return s.Finish(success(clock), clock.Now()) })

	// Kept for the retention after its end, not after its (later) expiry.
	keep := ended.Add(session.DefaultRetention)
	clock.Set(keep.Add(-time.Second))
	if got := get(t, st, s.ID); got.Status != session.StatusFinished || got.Result == nil {
		t.Fatalf("Get just before the end of retention: got %s with result %v; want FINISHED with a result", got.Status, got.Result)
	}
	clock.Set(keep)
	evicted(t, st, s.ID, clock)
}

func testPing(t *testing.T, st session.Store, clock *Clock) {
	if err := st.Ping(context.Background()); err != nil {
		t.Fatalf("Ping: %v", err)
	}
}
