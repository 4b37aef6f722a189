package main

import (
	"testing"
	"time"

	"github.com/livegate/livegate/internal/capture/client"
	"github.com/livegate/livegate/internal/facegen"
)

// The printed figures pair each instruction with the delay the person drew
// and with its match, or with the failure that ended its try.
func TestReactFigures(t *testing.T) {
	a := &actor{Actor: facegen.Actor{Person: facegen.NewPerson(500*time.Millisecond, 0, 1)}}
	s := time.Second
	a.Instruct("HEAD_LEFT", 3*s)
	a.Instruct("HEAD_UP", 6*s)
	msgs := []client.Message{
		{Type: "wait", At: 1 * s, Attempt: 1},
		{Type: "instruction", Gesture: "HEAD_LEFT", At: 3 * s, Attempt: 1},
		{Type: "matched", Gesture: "HEAD_LEFT", At: 4500 * time.Millisecond, Attempt: 1},
		{Type: "instruction", Gesture: "HEAD_UP", At: 6 * s, Attempt: 1},
		{Type: "attempt_failed", Reason: "late", At: 9 * s, Attempt: 1},
	}
	got := a.figures(msgs)
	if len(got) != 2 {
		t.Fatalf("figures %+v; want two", got)
	}
	if f := got[0]; f.Gesture != "HEAD_LEFT" || f.ReactionMS != 500 || f.MatchMS != 1500 || f.Failed != "" {
		t.Errorf("first %+v; want HEAD_LEFT, reaction 500, match 1500", f)
	}
	// The turn still held at 6 s is undone first: the tilt starts later.
	if f := got[1]; f.Gesture != "HEAD_UP" || f.ReactionMS <= 500 || f.MatchMS != 0 || f.Failed != "late" {
		t.Errorf("second %+v; want HEAD_UP, reaction over 500, failed late", f)
	}
}
