package live

import (
	"testing"

	"github.com/livegate/livegate/internal/gesture"
	"github.com/livegate/livegate/internal/session"
)

// TestEventMessages pins the server → page messages of docs/protocol.md
// that challenge events become, and the events the page never sees.
func TestEventMessages(t *testing.T) {
	for _, tc := range []struct {
		ev   gesture.Event
		want string // "" for no message
	}{
		{gesture.Event{Type: gesture.EventWait, Gesture: session.HeadRight, Index: 1},
			`{"v":1,"type":"wait","index":1,"total":2}`},
		{gesture.Event{Type: gesture.EventGestureStart, Gesture: session.HeadLeft, Index: 0},
			`{"v":1,"type":"instruction","gesture":"HEAD_LEFT","index":0,"total":2}`},
		{gesture.Event{Type: gesture.EventProgress, Gesture: session.HeadRight, Index: 1, Progress: 0.499},
			`{"v":1,"type":"progress","gesture":"HEAD_RIGHT","index":1,"value":0.5,"overall":0.75}`},
		{gesture.Event{Type: gesture.EventHint, Hint: gesture.HintMoreLight},
			`{"v":1,"type":"hint","code":"more_light"}`},
		{gesture.Event{Type: gesture.EventFaceLost}, `{"v":1,"type":"face","present":false}`},
		{gesture.Event{Type: gesture.EventFaceFound}, `{"v":1,"type":"face","present":true}`},
		{gesture.Event{Type: gesture.EventMatch, Gesture: session.HeadLeft, Index: 0},
			`{"v":1,"type":"matched","gesture":"HEAD_LEFT","index":0}`},
		{gesture.Event{Type: gesture.EventBaseline}, ""},
		{gesture.Event{Type: gesture.EventRejected}, ""},
		{gesture.Event{Type: gesture.EventTimeout}, ""},
		{gesture.Event{Type: gesture.EventDone}, ""},
	} {
		got := string(eventMessage(&tc.ev, 2))
		if got != tc.want {
			t.Errorf("%s: got %s; want %s", tc.ev.Type, got, tc.want)
		}
	}
}

func TestEncodeStampsVersion(t *testing.T) {
	left := 2
	got := string(encode(msg{V: 7, Type: "attempt_failed", Reason: "timeout", AttemptsLeft: &left}))
	if want := `{"v":1,"type":"attempt_failed","attempts_left":2,"reason":"timeout"}`; got != want {
		t.Errorf("got %s; want %s", got, want)
	}
}
