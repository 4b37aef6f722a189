package live_test

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/livegate/livegate/internal/capture/client"
	"github.com/livegate/livegate/internal/capture/live"
	"github.com/livegate/livegate/internal/session"
)

// finishRefusingStore is a Store whose first failures writes of a result
// (an Update that would finish the session) fail as a store outage does,
// and store nothing; every other call passes through.
type finishRefusingStore struct {
	session.Store
	failures atomic.Int32 // result writes still to refuse
	refused  atomic.Int32 // result writes refused
}

var errOutage = &session.Error{Code: session.EUnavailable, Message: "session store unavailable, try again shortly"}

func (f *finishRefusingStore) Update(ctx context.Context, id string, fn func(*session.Session) error) (*session.Session, error) {
	return f.Store.Update(ctx, id, func(s *session.Session) error {
		if err := fn(s); err != nil {
			return err
		}
		if s.Status != session.StatusPending && f.failures.Add(-1) >= 0 {
			f.refused.Add(1)
			return errOutage
		}
		return nil
	})
}

// TestResultSurvivesAStoreOutage: the write of an attempt's result fails
// (Redis restarting); the result is not lost: the write is retried with
// backoff until the store takes it, the page is told "saving" meanwhile
// and "done" only once the result is stored.
func TestResultSurvivesAStoreOutage(t *testing.T) {
	var st *finishRefusingStore
	r := newRig(t, rigOptions{cfg: func(c *live.Config) {
		st = &finishRefusingStore{Store: c.Store}
		st.failures.Store(3)
		c.Store = st
	}})
	s := r.session([]string{"HEAD_OPEN_MOUTH"}, 3)
	var savingSeenBeforeStored atomic.Bool
	out := r.run(r.mustDial(s.ID), client.RunOptions{Clips: []*client.Clip{blankClip(t)}, OnMessage: func(m client.Message) {
		if m.Type == "saving" && r.get(s.ID).Status == session.StatusPending {
			savingSeenBeforeStored.Store(true)
		}
	}})
	ts := strings.Join(types(out), ",")
	if out.Result != "success" && out.Result != "failed" {
		t.Fatalf("outcome %q (%s); want done", out.Result, ts)
	}
	if !strings.HasSuffix(ts, "matched,saving,done") || !savingSeenBeforeStored.Load() {
		t.Errorf("messages %s (saving while pending: %v); want …matched, saving (before the result is stored), done", ts, savingSeenBeforeStored.Load())
	}
	if n := st.refused.Load(); n != 3 {
		t.Errorf("%d result writes refused; want 3", n)
	}
	got := r.get(s.ID)
	if got.Status != session.StatusFinished || got.Result == nil || got.Result.Status != out.Result || got.AttemptsUsed != 1 {
		t.Fatalf("stored %s result %+v, %d attempts used; want FINISHED %s, 1", got.Status, got.Result, got.AttemptsUsed, out.Result)
	}
	waitFor(t, 5*time.Second, "no result pending", func() bool { return metric(t, r, "livegate_capture_results_pending", "") == 0 })
}
