package facegen

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/livegate/livegate/internal/session"
)

// Action kinds that are not gesture codes.
const (
	ActNeutral = "neutral" // every channel back to rest
	ActBlink   = "blink"   // one natural blink inside the step
)

// Default amplitudes of the gestures when the script gives none.
const (
	DefaultTurnDeg = 30.0 // HEAD_LEFT, HEAD_RIGHT
	DefaultTiltDeg = 20.0 // HEAD_UP, HEAD_DOWN
	MaxHeadDeg     = 45.0 // beyond this a single frontal photo cannot be turned credibly
)

// Action is one thing done during a step: a gesture code, "neutral" or
// "blink", with its amount (degrees for head gestures, 0..1 for eyes and
// mouth: how far closed or opened).
type Action struct {
	Code   string  `json:"code"`
	Amount float64 `json:"amount"`
}

// Step is one part of a script: its actions, held for Dur (the transition
// into the step is part of Dur).
type Step struct {
	Actions []Action      `json:"actions"`
	Dur     time.Duration `json:"dur"`
	Pos     int           `json:"pos"` // 1-based byte column of the step in the script
}

// Script is a parsed script.
type Script struct {
	Steps []Step
}

// Duration is the total length of the script.
func (s Script) Duration() time.Duration {
	var d time.Duration
	for _, st := range s.Steps {
		d += st.Dur
	}
	return d
}

// ScriptError is a parse error with the 1-based column where it was found.
type ScriptError struct {
	Col  int    // 1-based byte column in the script text
	Step int    // 1-based step number
	Msg  string // what is wrong
}

func (e *ScriptError) Error() string {
	return fmt.Sprintf("facegen: script col %d (step %d): %s", e.Col, e.Step, e.Msg)
}

// ParseScript parses a script such as
//
//	neutral 1s; HEAD_LEFT 30deg 1.5s; neutral 1s; HEAD_00 0.4s; HEAD_OPEN_MOUTH 1s
//
// Steps are separated by ';' or new lines. A step is one or more actions
// joined by '+' (HEAD_LEFT 20deg + HEAD_OPEN_MOUTH 1s) and ends with its
// duration (1s, 1.5s, 400ms). An action is a gesture code (see package
// session), "neutral" or "blink", optionally followed by an amount: "30deg"
// for head gestures, a fraction "0.6" or a percentage "60%" for eyes and
// mouth. Channels a step does not mention go back to rest, so a turn is held
// only during its own step.
func ParseScript(text string) (Script, error) {
	var sc Script
	start := 0
	stepNo := 0
	for i := 0; i <= len(text); i++ {
		if i < len(text) && text[i] != ';' && text[i] != '\n' {
			continue
		}
		seg := text[start:i]
		if strings.TrimSpace(seg) != "" {
			stepNo++
			st, err := parseStep(seg, start, stepNo)
			if err != nil {
				return Script{}, err
			}
			sc.Steps = append(sc.Steps, st)
		}
		start = i + 1
	}
	if len(sc.Steps) == 0 {
		return Script{}, &ScriptError{Col: 1, Step: 0, Msg: "empty script: want steps such as \"neutral 1s; HEAD_LEFT 30deg 1.5s\""}
	}
	return sc, nil
}

type token struct {
	s   string
	col int // 1-based
}

func tokenize(seg string, off int) []token {
	var toks []token
	i := 0
	for i < len(seg) {
		c := seg[i]
		switch {
		case c == ' ' || c == '\t' || c == '\r' || c == ',':
			i++
		case c == '+':
			toks = append(toks, token{"+", off + i + 1})
			i++
		default:
			j := i
			for j < len(seg) && !strings.ContainsRune(" \t\r,+", rune(seg[j])) {
				j++
			}
			toks = append(toks, token{seg[i:j], off + i + 1})
			i = j
		}
	}
	return toks
}

func parseStep(seg string, off, stepNo int) (Step, error) {
	toks := tokenize(seg, off)
	fail := func(t token, format string, a ...any) (Step, error) {
		return Step{}, &ScriptError{Col: t.col, Step: stepNo, Msg: fmt.Sprintf(format, a...)}
	}
	st := Step{Pos: toks[0].col}
	last := toks[len(toks)-1]
	d, ok, err := parseDuration(last.s)
	if !ok {
		return fail(last, "step %q must end with a duration such as 1s or 400ms", strings.TrimSpace(seg))
	}
	if err != nil {
		return fail(last, "%v", err)
	}
	st.Dur = d
	toks = toks[:len(toks)-1]
	if len(toks) == 0 {
		return fail(last, "duration %q without an action (neutral, blink or a gesture code)", last.s)
	}
	// state 0: want an action; 1: after an action (amount, '+'); 2: after an amount ('+').
	state := 0
	seen := map[string]token{}
	var plus token
	for _, t := range toks {
		switch {
		case t.s == "+":
			if state == 0 {
				return fail(t, "'+' must join two actions")
			}
			state, plus = 0, t
		case state == 0:
			a, err := newAction(t)
			if err != nil {
				return fail(t, "%v", err)
			}
			ch := channelOf(a.Code)
			if prev, dup := seen[ch]; dup && ch != "" {
				return fail(t, "%s conflicts with %s at col %d in the same step", a.Code, prev.s, prev.col)
			}
			seen[ch] = t
			st.Actions = append(st.Actions, a)
			state = 1
		case isActionWord(t.s):
			return fail(t, "actions in one step must be joined by '+' (got %q)", t.s)
		case state == 2:
			return fail(t, "unexpected %q after the amount of %s", t.s, st.Actions[len(st.Actions)-1].Code)
		default:
			if _, isDur, _ := parseDuration(t.s); isDur {
				return fail(t, "only the last word of a step may be a duration; got %q before the end", t.s)
			}
			a := &st.Actions[len(st.Actions)-1]
			v, err := parseAmount(a.Code, t.s)
			if err != nil {
				return fail(t, "%v", err)
			}
			a.Amount = v
			state = 2
		}
	}
	if state == 0 {
		return fail(plus, "'+' without an action after it")
	}
	return st, nil
}

func isActionWord(s string) bool {
	if s == ActNeutral || s == ActBlink {
		return true
	}
	_, err := session.ParseGesture(s)
	return err == nil
}

func newAction(t token) (Action, error) {
	switch t.s {
	case ActNeutral, ActBlink:
		return Action{Code: t.s}, nil
	}
	g, err := session.ParseGesture(t.s)
	if err != nil {
		return Action{}, fmt.Errorf("unknown action %q: want neutral, blink or one of %v", t.s, session.Gestures)
	}
	a := Action{Code: string(g)}
	switch g {
	case session.HeadLeft, session.HeadRight:
		a.Amount = DefaultTurnDeg
	case session.HeadUp, session.HeadDown:
		a.Amount = DefaultTiltDeg
	case session.HeadEyesClosed, session.HeadRightClose, session.HeadLeftClose, session.HeadOpenMouth:
		a.Amount = 1
	}
	return a, nil
}

// channelOf names the part of the face an action drives, to reject steps that
// drive one part twice.
func channelOf(code string) string {
	switch session.Gesture(code) {
	case session.HeadLeft, session.HeadRight:
		return "yaw"
	case session.HeadUp, session.HeadDown:
		return "pitch"
	case session.HeadEyesClosed, session.HeadEyesOpen:
		return "eyes"
	case session.HeadRightClose:
		return "right eye"
	case session.HeadLeftClose:
		return "left eye"
	case session.HeadOpenMouth, session.HeadCloseMouth:
		return "mouth"
	}
	if code == ActNeutral {
		return "neutral"
	}
	return ""
}

func parseDuration(s string) (time.Duration, bool, error) {
	var num string
	var unit time.Duration
	switch {
	case strings.HasSuffix(s, "ms"):
		num, unit = strings.TrimSuffix(s, "ms"), time.Millisecond
	case strings.HasSuffix(s, "s"):
		num, unit = strings.TrimSuffix(s, "s"), time.Second
	default:
		return 0, false, nil
	}
	v, err := strconv.ParseFloat(num, 64)
	if err != nil {
		return 0, false, nil
	}
	// The range is of the duration, not of the number: 2000ms is 2 s.
	d := time.Duration(v * float64(unit))
	if d <= 0 || d > 600*time.Second {
		return 0, true, fmt.Errorf("duration %q out of range (0, 600s]", s)
	}
	return d, true, nil
}

func parseAmount(code, s string) (float64, error) {
	switch session.Gesture(code) {
	case session.HeadLeft, session.HeadRight, session.HeadUp, session.HeadDown:
		if !strings.HasSuffix(s, "deg") {
			return 0, fmt.Errorf("amount %q of %s must be in degrees, such as 30deg", s, code)
		}
		v, err := strconv.ParseFloat(strings.TrimSuffix(s, "deg"), 64)
		if err != nil {
			return 0, fmt.Errorf("bad angle %q", s)
		}
		if v < 0 || v > MaxHeadDeg {
			return 0, fmt.Errorf("angle %q out of range [0, %gdeg]", s, MaxHeadDeg)
		}
		return v, nil
	case session.HeadEyesClosed, session.HeadRightClose, session.HeadLeftClose, session.HeadOpenMouth:
		num, scale := s, 1.0
		if strings.HasSuffix(s, "%") {
			num, scale = strings.TrimSuffix(s, "%"), 0.01
		}
		v, err := strconv.ParseFloat(num, 64)
		if err != nil {
			return 0, fmt.Errorf("bad amount %q of %s: want a fraction such as 0.6 or a percentage such as 60%%", s, code)
		}
		v *= scale
		if v < 0 || v > 1 {
			return 0, fmt.Errorf("amount %q of %s out of range [0, 1]", s, code)
		}
		return v, nil
	}
	return 0, fmt.Errorf("%s takes no amount (got %q)", code, s)
}
