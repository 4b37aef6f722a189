package capture

import (
	"strings"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/livegate/livegate/internal/capture/client"
	"github.com/livegate/livegate/internal/turncred"
	"github.com/livegate/livegate/internal/turncred/coturntest"
)

// TestPeerThroughTURNSecret: with WithTURNSecret, the page's list and the
// server's own peer carry credentials issued for the peer's id, which a
// real coturn takes; a relay-only client connects through it.
func TestPeerThroughTURNSecret(t *testing.T) {
	const secret = "capture-turn-secret-0123456789"
	turn := coturntest.Start(t, secret)
	iss, err := turncred.New(secret, 10*time.Minute, nil)
	if err != nil {
		t.Fatal(err)
	}
	a := newTestAPI(t, WithICEServer([]string{"stun:" + turn.Addr}, "", ""), WithTURNSecret([]string{turn.URL()}, iss))
	if got := a.ICEServers(); len(got) != 1 || got[0].Username != "" {
		t.Errorf("ICEServers = %+v; want only the STUN server, no TURN password", got)
	}
	page := a.ICEServersFor("s_page")
	if len(page) != 2 || !strings.HasSuffix(page[1].Username, ":s_page") || page[1].Credential != turncred.Password(secret, page[1].Username) {
		t.Fatalf("ICEServersFor = %+v; want STUN and TURN with credentials for s_page", page)
	}
	var ice []webrtc.ICEServer
	for _, s := range page {
		is := webrtc.ICEServer{URLs: s.URLs, Username: s.Username}
		if s.Credential != "" {
			is.Credential = s.Credential
		}
		ice = append(ice, is)
	}
	c, _ := connect(t, a, &recorder{}, client.Options{ICEServers: ice, RelayOnly: true}, WithPeerID("s_peer"))
	pair, err := c.SelectedPair()
	if err != nil || pair == nil || pair.Local.Typ != webrtc.ICECandidateTypeRelay {
		t.Fatalf("client's selected pair %v (%v); want a relay", pair, err)
	}
	// Both the page's credentials and the server peer's own (issued for
	// its id) allocated on coturn.
	log := turn.Log()
	for _, want := range []string{page[1].Username, ":s_peer>: incoming packet ALLOCATE processed, success"} {
		if !strings.Contains(log, want) {
			t.Errorf("coturn's log lacks %q:\n%s", want, log)
		}
	}
}
