package live

import (
	"encoding/json"

	"github.com/livegate/livegate/internal/capture/live/pagemsg"
	"github.com/livegate/livegate/internal/gesture"
	"github.com/livegate/livegate/internal/session"
)

// This file is the data-channel protocol of docs/protocol.md: the page's
// messages in, the server's messages out and their sending. What a message
// does to the attempt and the store is in attempt.go.

// Reasons of closing messages (docs/protocol.md).
const (
	reasonRevoked   = "revoked"
	reasonExpired   = "expired"
	reasonShutdown  = "shutdown"
	reasonTimeLimit = "time_limit"
	reasonReplaced  = "replaced"
	// reasonHangup is the page's own DELETE: no closing message.
	reasonHangup = "hangup"
)

// onMessage handles a page → server message (pion's goroutine): it only
// queues the type for the control goroutine, never blocking pion.
func (c *conn) onMessage(raw []byte) {
	typ, v, ok := pagemsg.Decode(raw)
	if !ok {
		c.log.Warn("live: ignoring a page message", "v", v, "type", typ, "bytes", len(raw))
		return
	}
	if typ == pagemsg.Ready {
		if l := pagemsg.CameraLabel(raw); l != "" {
			c.mu.Lock()
			c.label = l
			c.mu.Unlock()
		}
	}
	select {
	case c.msgs <- typ:
	default:
		c.log.Warn("live: page messages arrive faster than handled; dropped one", "type", typ)
	}
}

// eventMessage turns a challenge event of a challenge of total gestures
// into its protocol message, or nil for events the page does not see.
func eventMessage(e *gesture.Event, total int) []byte {
	switch e.Type {
	case gesture.EventWait:
		return encode(msg{Type: "wait", Index: ptr(e.Index), Total: total})
	case gesture.EventGestureStart:
		return encode(msg{Type: "instruction", Gesture: e.Gesture, Index: ptr(e.Index), Total: total})
	case gesture.EventProgress:
		overall := (float64(e.Index) + e.Progress) / float64(total)
		return encode(msg{Type: "progress", Gesture: e.Gesture, Index: ptr(e.Index), Value: ptr(round2(e.Progress)), Overall: ptr(round2(overall))})
	case gesture.EventHint:
		return encode(msg{Type: "hint", Code: string(e.Hint)})
	case gesture.EventFaceLost:
		return encode(msg{Type: "face", Present: ptr(false)})
	case gesture.EventFaceFound:
		return encode(msg{Type: "face", Present: ptr(true)})
	case gesture.EventMatch:
		return encode(msg{Type: "matched", Gesture: e.Gesture, Index: ptr(e.Index)})
	}
	return nil
}

// send writes one message; a page that is gone is not an error here (the
// peer's end is handled by the control goroutine).
func (c *conn) send(m []byte) {
	if err := c.peer.Send(m); err != nil {
		c.log.Debug("live: send", "err", err)
	}
}

// close sends closing with reason and closes the peer (the message is
// flushed first).
func (c *conn) close(reason string) {
	c.send(encode(msg{Type: "closing", Reason: reason}))
	c.peer.Close(nil)
}

// msg is every data-channel message of docs/protocol.md, server → page.
type msg struct {
	V            int             `json:"v"`
	Type         string          `json:"type"`
	AttemptsLeft *int            `json:"attempts_left,omitempty"`
	Gesture      session.Gesture `json:"gesture,omitempty"`
	Index        *int            `json:"index,omitempty"`
	Total        int             `json:"total,omitempty"`
	Value        *float64        `json:"value,omitempty"`
	Overall      *float64        `json:"overall,omitempty"`
	Code         string          `json:"code,omitempty"`
	Present      *bool           `json:"present,omitempty"`
	Reason       string          `json:"reason,omitempty"`
	Outcome      string          `json:"outcome,omitempty"`
	Redirect     string          `json:"redirect,omitempty"`
	// Passive marks the hello of a passive-liveness session (no gestures).
	Passive bool `json:"passive,omitempty"`
}

// encode is m as sent: version 1, JSON.
func encode(m msg) []byte {
	m.V = 1
	b, _ := json.Marshal(m) // plain values: cannot fail
	return b
}

func ptr[T any](v T) *T { return &v }

func round2(v float64) float64 { return float64(int(v*100+0.5)) / 100 }
