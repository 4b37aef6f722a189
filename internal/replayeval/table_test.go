package replayeval

import (
	"strings"
	"testing"
	"time"

	"github.com/livegate/livegate/internal/facegen"
)

func TestTable(t *testing.T) {
	outs := []Outcome{
		{Trial: Trial{Replay: InOrder}, Result: "failed", Reasons: []string{"early", "early", "late"}},
		{Trial: Trial{Replay: InOrder}, Result: "success"},
		{Trial: Trial{Gestures: 2, Reaction: time.Second}, Result: "success"},
		{Trial: Trial{Gestures: 3, Reaction: time.Second}, Result: "failed", Attempts: 2, Reasons: []string{"late"}},
		{Trial: Trial{Gestures: 3, Reaction: time.Second}, Result: "failed", Attempts: 3, Reasons: []string{"late", "late", "early"}},
	}
	got := Table(outs)
	for _, want := range []string{
		"| replay | in order | 1 (default) | 2 | 1 | 0 | 0 | early 2, late 1 |",
		"| reactive | reaction 1.0 s | 2 | 1 | 1 | 0 | 0 |  |",
		"| reactive | reaction 1.0 s | 3 | 2 | 0 | 0 | 1 | early 1, late 3 |",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("table\n%s\nlacks the row\n%s", got, want)
		}
	}
}

func TestReplayParams(t *testing.T) {
	for _, v := range Variants {
		p, err := ReplayParams(v, "face.jpg")
		if err != nil {
			t.Fatal(err)
		}
		sc, err := facegen.ParseScript(p.Script)
		if err != nil {
			t.Fatalf("%s: %v", v, err)
		}
		var codes []string
		for _, st := range sc.Steps {
			if c := st.Actions[0].Code; c != facegen.ActNeutral {
				codes = append(codes, c)
			}
		}
		if len(codes) != len(facegen.ReplayGestures) {
			t.Errorf("%s: gestures %v", v, codes)
		}
		want := map[string]float64{InOrder: 13, Shuffled: 13, Slowed: 16.25, SpedUp: 9.75}[v]
		if d := sc.Duration().Seconds(); d < want-0.01 || d > want+0.01 {
			t.Errorf("%s: %.2f s; want %.2f s", v, d, want)
		}
	}
	if p, err := ReplayParams(Lead5s, "face.jpg"); err != nil || !strings.HasPrefix(p.Script, "neutral 3s; neutral 2000ms; HEAD_LEFT") {
		t.Errorf("5 s lead: %q, %v", p.Script, err)
	}
	if _, err := ReplayParams("backwards", "face.jpg"); err == nil {
		t.Error("unknown variant: no error")
	}
}
