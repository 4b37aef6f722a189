package web_test

import (
	"encoding/json"
	"net/http"
	"sync"
	"testing"

	"github.com/livegate/livegate/internal/session"
	"github.com/livegate/livegate/internal/web"
)

// sidLive hands each page TURN credentials named after its session, as
// the server's short-lived ones are, and records whom it was asked for.
type sidLive struct {
	web.Live
	mu    sync.Mutex
	asked []string
}

func (f *sidLive) ICEServers(sid string) []web.ICEServer {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.asked = append(f.asked, sid)
	return []web.ICEServer{{URLs: []string{"turn:turn.example:3478"}, Username: "1767225600:" + sid, Credential: "pw-" + sid}}
}

// TestCaptureScreenICEPerSessionAndRelayPolicy: the capture screen asks
// for the ICE servers of its own session, and says "relay" in
// data-ice-transport-policy only when ICERelayOnly is set.
func TestCaptureScreenICEPerSessionAndRelayPolicy(t *testing.T) {
	for _, relay := range []bool{false, true} {
		live := &sidLive{}
		e := newEnv(t, web.Config{Live: live, ICERelayOnly: relay})
		s := e.create(session.Params{})
		r := e.browser().get("/s/" + s.ID + "/capture")
		r.wantScreen(t, http.StatusOK, "screen-capture")
		root := r.testID("screen-capture")
		var ice []web.ICEServer
		if err := json.Unmarshal([]byte(attr(root, "data-ice-servers")), &ice); err != nil || len(ice) != 1 || ice[0].Username != "1767225600:"+s.ID || ice[0].Credential != "pw-"+s.ID {
			t.Errorf("data-ice-servers = %q (%v); want the credentials of %s", attr(root, "data-ice-servers"), err, s.ID)
		}
		if len(live.asked) != 1 || live.asked[0] != s.ID {
			t.Errorf("ICEServers asked for %v; want [%s]", live.asked, s.ID)
		}
		want := "all"
		if relay {
			want = "relay"
		}
		if got := attr(root, "data-ice-transport-policy"); got != want {
			t.Errorf("ICERelayOnly %v: data-ice-transport-policy = %q; want %q", relay, got, want)
		}
	}
}
