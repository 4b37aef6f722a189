package facegen

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParseScript(t *testing.T) {
	sc, err := ParseScript("neutral 1s; HEAD_LEFT 30deg 1.5s; neutral 1s; HEAD_00 0.4s; HEAD_OPEN_MOUTH 1s")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(sc.Steps), 5; got != want {
		t.Fatalf("steps: got %d; want %d", got, want)
	}
	if got, want := sc.Duration(), 4900*time.Millisecond; got != want {
		t.Errorf("duration: got %v; want %v", got, want)
	}
	if a := sc.Steps[1].Actions[0]; a.Code != "HEAD_LEFT" || a.Amount != 30 {
		t.Errorf("step 2: got %+v; want HEAD_LEFT 30", a)
	}
	if a := sc.Steps[3].Actions[0]; a.Code != "HEAD_00" || a.Amount != 1 || sc.Steps[3].Dur != 400*time.Millisecond {
		t.Errorf("step 4: got %+v %v; want HEAD_00 1 for 400ms", a, sc.Steps[3].Dur)
	}

	sc, err = ParseScript("HEAD_RIGHT 20deg + HEAD_OPEN_MOUTH 60% 2s\nHEAD_10 0.5 300ms; blink 1s;")
	if err != nil {
		t.Fatal(err)
	}
	if got := len(sc.Steps); got != 3 {
		t.Fatalf("steps: got %d; want 3", got)
	}
	st := sc.Steps[0]
	if len(st.Actions) != 2 || st.Actions[0].Amount != 20 || st.Actions[1].Amount != 0.6 {
		t.Errorf("combined step: got %+v", st.Actions)
	}
	if a := sc.Steps[1].Actions[0]; a.Code != "HEAD_10" || a.Amount != 0.5 {
		t.Errorf("HEAD_10 0.5: got %+v", a)
	}
	// The range is the duration's: 2000ms is 2 s, within 600 s.
	if sc, err := ParseScript("neutral 2000ms; HEAD_UP 600s"); err != nil || sc.Duration() != 602*time.Second {
		t.Errorf("2000ms and 600s: %v, %v; want 602s", sc.Duration(), err)
	}
	if tg := target(sc.Steps[0]); tg.Yaw != -20 || tg.Mouth != 0.6 {
		t.Errorf("target of HEAD_RIGHT 20deg: got yaw %v mouth %v; want -20, 0.6", tg.Yaw, tg.Mouth)
	}
	if tg := target(sc.Steps[1]); tg.LeftEye != 0.5 || tg.RightEye != 1 {
		t.Errorf("HEAD_10 closes the user's LEFT eye: got left %v right %v", tg.LeftEye, tg.RightEye)
	}
}

func TestParseScriptErrors(t *testing.T) {
	tests := []struct {
		script string
		col    int
		msg    string
	}{
		{"", 1, "empty script"},
		{"neutral 1s; HEAD_LFT 1s", 13, `unknown action "HEAD_LFT"`},
		{"neutral", 1, "must end with a duration"},
		{"neutral 1s; HEAD_LEFT 30 1s", 23, "must be in degrees"},
		{"HEAD_LEFT 90deg 1s", 11, "out of range"},
		{"HEAD_00 1.5 1s", 9, "out of range [0, 1]"},
		{"HEAD_LEFT 10deg HEAD_00 1s", 17, "joined by '+'"},
		{"HEAD_LEFT + HEAD_RIGHT 1s", 13, "conflicts with HEAD_LEFT"},
		{"neutral 1s;  1s", 14, "without an action"},
		{"HEAD_00 + 1s", 9, "'+' without an action"},
		{"neutral 0s", 9, "out of range"},
		{"neutral 601s", 9, "out of range"},
		{"neutral 600001ms", 9, "out of range"},
		{"neutral 2s 1s", 9, "only the last word"},
		{"HEAD_11 30deg 1s", 9, "takes no amount"},
	}
	for _, tt := range tests {
		_, err := ParseScript(tt.script)
		var se *ScriptError
		if !errors.As(err, &se) {
			t.Errorf("%q: got %v; want a *ScriptError", tt.script, err)
			continue
		}
		if se.Col != tt.col || !strings.Contains(se.Error(), tt.msg) {
			t.Errorf("%q: got col %d %q; want col %d containing %q", tt.script, se.Col, se.Error(), tt.col, tt.msg)
		}
		if !strings.Contains(se.Error(), "col ") {
			t.Errorf("%q: message %q does not give the position", tt.script, se.Error())
		}
	}
}
