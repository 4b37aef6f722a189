//go:build !race

// The race detector slows Go code tenfold: the reacting face, rendered
// and encoded in real time, would fall to a few frames a second and
// react late, and the test would measure the detector, not the rules.
// make test runs this file without -race (see the Makefile's gotest).

package replayeval

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/livegate/livegate/internal/facegen"
)

// The small version of issue 16's acceptance (make replay-eval runs the
// whole matrix): through the real pipeline, each replay variant of the
// all-gestures recording into a session (default, two and three gestures,
// attempts retried) passes none, and a live face reacting to the
// instructions, on three test faces with reaction delays of 0.3, 1 and 2 s
// and 1 to 3 gestures, passes every one.
func TestReplayNeverPassesReactiveAlwaysDoes(t *testing.T) {
	srv, err := StartServer(nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := srv.Stop(); err != nil {
			t.Errorf("livegate stopped with %v", err)
		}
	})
	face := func(name string) string {
		p, err := facegen.TestFace(name)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	trials := []Trial{
		{Replay: InOrder, Face: face("mazie-hirono.jpg")},
		{Replay: Shuffled, Face: face("mazie-hirono.jpg"), Gestures: 2},
		{Replay: Slowed, Face: face("mazie-hirono.jpg")},
		{Replay: SpedUp, Face: face("mazie-hirono.jpg"), Gestures: 3},
	}
	for i, c := range []struct {
		face     string
		gestures int
		reaction time.Duration
	}{
		{"kamala-harris-2021.jpg", 1, 300 * time.Millisecond},
		{"astronaut.png", 2, time.Second},
		{"portrait-obama-2012.jpg", 3, 2 * time.Second},
	} {
		trials = append(trials, Trial{Face: face(c.face), Gestures: c.gestures, Reaction: c.reaction, Jitter: JitterFor(c.reaction), Seed: uint64(i + 1)})
	}
	p := NewPlayer(srv.Base)
	outs := p.PlayAll(context.Background(), trials, 3, 3*time.Minute, nil)
	for _, o := range outs {
		var trace []string
		for _, m := range o.Messages {
			if m.Type != "progress" {
				trace = append(trace, m.Type+" "+m.Gesture+m.Reason)
			}
		}
		switch {
		case o.Err != nil:
			t.Errorf("%s %s %s: %v", o.Kind(), o.Replay, o.Face, o.Err)
		case o.Kind() == "replay" && o.Passed():
			t.Errorf("replay %s into %d gestures passed: %s", o.Replay, o.Gestures, strings.Join(trace, ", "))
		case o.Kind() == "reactive" && !o.Passed():
			t.Errorf("reactive %s, %d gestures, reaction %v: %s after %d attempts: %s", o.Face, o.Gestures, o.Reaction, o.Result, o.Attempts, strings.Join(trace, ", "))
		}
		if o.Kind() == "replay" && o.Result != "failed" {
			t.Errorf("replay %s: result %q; want the session failed after its attempts", o.Replay, o.Result)
		}
	}
	t.Logf("\n%s", Table(outs))
}
