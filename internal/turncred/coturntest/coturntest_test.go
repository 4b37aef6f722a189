package coturntest_test

import (
	"net"
	"strings"
	"testing"
	"time"

	"github.com/pion/turn/v5"

	"github.com/livegate/livegate/internal/turncred"
	"github.com/livegate/livegate/internal/turncred/coturntest"
)

// allocate asks coturn for a relayed address with username and password.
func allocate(t *testing.T, addr, username, password string) (net.Addr, error) {
	t.Helper()
	conn, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	c, err := turn.NewClient(&turn.ClientConfig{
		STUNServerAddr: addr, TURNServerAddr: addr,
		Username: username, Password: password,
		Conn: conn, RTO: 200 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Listen(); err != nil {
		t.Fatal(err)
	}
	relay, err := c.Allocate()
	if err != nil {
		return nil, err
	}
	defer relay.Close()
	return relay.LocalAddr(), nil
}

// TestCoturnTakesIssuedCredentials: coturn with use-auth-secret grants an
// allocation to turncred's credentials, and refuses them once expired or
// made with another secret, which is what makes them short-lived.
func TestCoturnTakesIssuedCredentials(t *testing.T) {
	const secret = "coturn-test-secret-0123456789"
	s := coturntest.Start(t, secret)

	iss, err := turncred.New(secret, 10*time.Minute, nil)
	if err != nil {
		t.Fatal(err)
	}
	c := iss.Issue("s_valid")
	relayed, err := allocate(t, s.Addr, c.Username, c.Password)
	if err != nil {
		t.Fatalf("allocation with fresh credentials: %v\n%s", err, s.Log())
	}
	if !strings.HasPrefix(relayed.String(), "127.0.0.1:") {
		t.Errorf("relayed address %v; want one on 127.0.0.1", relayed)
	}

	past := func() time.Time { return time.Now().Add(-2 * time.Minute) }
	old, _ := turncred.New(secret, time.Minute, past)
	expired := old.Issue("s_expired")
	if _, err := allocate(t, s.Addr, expired.Username, expired.Password); err == nil {
		t.Errorf("allocation with credentials that expired a minute ago succeeded")
	}

	other, _ := turncred.New("another-secret-0123456789", 10*time.Minute, nil)
	forged := other.Issue("s_forged")
	if _, err := allocate(t, s.Addr, forged.Username, forged.Password); err == nil {
		t.Errorf("allocation with credentials of another secret succeeded")
	}
	// A valid password under another session's username is refused too:
	// the password binds the sid.
	if _, err := allocate(t, s.Addr, strings.Replace(c.Username, "s_valid", "s_other", 1), c.Password); err == nil {
		t.Errorf("allocation with a password moved to another session id succeeded")
	}
}
