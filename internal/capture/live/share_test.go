package live_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/livegate/livegate/internal/capture/live"
	"github.com/livegate/livegate/internal/session"
)

// TestKeyShareOfTheLiveSlots: one LIVEGATE_MAX_LIVE for all tenants let
// one key hold every slot; now a key holds at most MaxLivePerKey, and an
// offer past it is 503 live_share_full with Retry-After while other keys
// are served.
func TestKeyShareOfTheLiveSlots(t *testing.T) {
	r := newRig(t, rigOptions{cfg: func(c *live.Config) { c.MaxLive = 4; c.MaxLivePerKey = 2; c.RetryAfter = 7 * time.Second }})
	a := r.session([]string{"HEAD_OPEN_MOUTH"}, 3)
	b := r.session([]string{"HEAD_OPEN_MOUTH"}, 3)
	c := r.session([]string{"HEAD_OPEN_MOUTH"}, 3)
	other := r.session([]string{"HEAD_OPEN_MOUTH"}, 3)
	if _, err := r.store.Update(context.Background(), other.ID, func(s *session.Session) error {
		s.Owner = "another-key"
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	r.mustDial(a.ID)
	r.mustDial(b.ID)
	_, err := r.dial(c.ID)
	var le *session.LimitError
	if !errors.As(err, &le) || le.Reason != session.ReasonLiveShare || le.RetryAfter() != 7*time.Second || session.ErrorCode(err) != session.EUnavailable {
		t.Fatalf("third offer of one key: %v; want a LimitError live_share_full (EUnavailable) retry after 7 s", err)
	}
	r.mustDial(other.ID) // another key has its own share
	r.mustDial(a.ID)     // a new offer for a held session replaces, it does not count twice
	// Giving a slot back lets the key's next session in.
	if err := r.svc.Hangup(context.Background(), b.ID, browser); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "b's connection to end", func() bool { return r.svc.Live() <= 2 })
	r.mustDial(c.ID)
}
