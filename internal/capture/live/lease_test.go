package live_test

import (
	"context"
	"testing"
	"time"

	"github.com/livegate/livegate/internal/capture/live"
	"github.com/livegate/livegate/internal/session"
	"github.com/livegate/livegate/internal/session/sessiontest"
)

// TestLiveConnectionRenewsTheClaim: an open connection renews its
// browser's claim on connect and every third of session.ClaimLease, so the
// claim of a browser that is capturing never lapses; once another browser
// has taken a lapsed claim over, the old connection is closed as revoked.
func TestLiveConnectionRenewsTheClaim(t *testing.T) {
	clk := sessiontest.NewClock(time.Now())
	r := newRig(t, rigOptions{
		engines: live.EngineFactoryFunc(func() (live.Engine, error) { return &fakeEngine{openAfter: time.Hour}, nil }),
		cfg: func(c *live.Config) {
			c.Now = clk.Now
			c.ConnectionLimit = time.Hour
		},
	})
	s := r.session([]string{"HEAD_OPEN_MOUTH"}, 3)
	r.mustDial(s.ID)
	renewedAt := func(at time.Time) func() bool {
		return func() bool { return r.get(s.ID).ClaimRenewedAt.Equal(at) }
	}
	waitFor(t, 5*time.Second, "the renewal on connect", renewedAt(clk.Now()))
	for range 6 { // two leases, in steps of a third
		clk.Advance(session.ClaimLease / 3)
		waitFor(t, 5*time.Second, "a renewal while connected", renewedAt(clk.Now()))
		if got := r.get(s.ID); !got.HeldByOther("sha256:another-browser", clk.Now()) {
			t.Fatalf("the claim of a connected browser lapsed at +%v", clk.Now().Sub(s.ClaimedAt))
		}
	}

	// The store was out for a lease: another browser took the lapsed
	// claim over. The next renewal finds it and closes the connection.
	if _, err := r.store.Update(context.Background(), s.ID, func(x *session.Session) error {
		return x.Claim("sha256:another-browser", clk.Now().Add(session.ClaimLease))
	}); err != nil {
		t.Fatal(err)
	}
	clk.Advance(session.ClaimLease / 3)
	waitFor(t, 5*time.Second, "the connection of the browser that lost the claim to close", func() bool { return r.svc.Live() == 0 })
	if got := r.get(s.ID); got.ClaimedBy != "sha256:another-browser" {
		t.Errorf("ClaimedBy %q; want the other browser's", got.ClaimedBy)
	}
}
