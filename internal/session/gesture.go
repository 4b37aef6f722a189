package session

import "fmt"

// Gesture is a GLAIR gesture code. Head directions are from the user's own
// point of view: HEAD_LEFT means the user turns to their own left.
type Gesture string

// Gesture codes, spelled as GLAIR spells them. The HEAD_xy codes are about
// the eyes, as GLAIR defines them: HEAD_00 both closed, HEAD_01 the
// user's right eye closed, HEAD_10 the user's left eye closed, HEAD_11 both
// open.
const (
	HeadLeft       Gesture = "HEAD_LEFT"
	HeadRight      Gesture = "HEAD_RIGHT"
	HeadUp         Gesture = "HEAD_UP"
	HeadDown       Gesture = "HEAD_DOWN"
	HeadEyesClosed Gesture = "HEAD_00" // both eyes closed
	HeadRightClose Gesture = "HEAD_01" // right eye closed
	HeadLeftClose  Gesture = "HEAD_10" // left eye closed
	HeadEyesOpen   Gesture = "HEAD_11" // both eyes open
	HeadOpenMouth  Gesture = "HEAD_OPEN_MOUTH"
	HeadCloseMouth Gesture = "HEAD_CLOSE_MOUTH"
)

// Gestures lists every gesture code livegate can ask for, in a stable order.
var Gestures = []Gesture{
	HeadLeft, HeadRight, HeadUp, HeadDown,
	HeadEyesClosed, HeadRightClose, HeadLeftClose, HeadEyesOpen,
	HeadOpenMouth, HeadCloseMouth,
}

// RandomPool is the set drawn from when an integrator gives only a number of
// gestures: actions a user performs from a neutral face. HEAD_11 and
// HEAD_CLOSE_MOUTH are a neutral face already and would prove nothing alone.
// A drawn set always holds at least one HeadMove (see New).
var RandomPool = []Gesture{
	HeadLeft, HeadRight, HeadUp, HeadDown, HeadEyesClosed, HeadOpenMouth,
}

// HeadMove reports whether g is a head turn or tilt (HEAD_LEFT, HEAD_RIGHT,
// HEAD_UP, HEAD_DOWN): the gestures whose 3D parallax the engine measures,
// and so the ones that tell a head from a flat picture of one.
func (g Gesture) HeadMove() bool {
	switch g {
	case HeadLeft, HeadRight, HeadUp, HeadDown:
		return true
	}
	return false
}

// StillPerformable reports whether a still picture of a neutral face already
// shows g (HEAD_11: eyes open; HEAD_CLOSE_MOUTH: mouth closed), so matching
// it proves nothing about liveness on its own.
func (g Gesture) StillPerformable() bool { return g == HeadEyesOpen || g == HeadCloseMouth }

// ParseGesture checks that s is a known gesture code.
func ParseGesture(s string) (Gesture, error) {
	for _, g := range Gestures {
		if string(g) == s {
			return g, nil
		}
	}
	return "", Errorf(EInvalid, "unknown gesture code %q", s)
}

// GestureStatus is GLAIR's gesture_status.
type GestureStatus string

// GLAIR's gesture_status values.
const (
	GestureMatch        GestureStatus = "MATCH"
	GestureNotMatch     GestureStatus = "NOT_MATCH"
	GestureNoFace       GestureStatus = "face not detected"
	GestureTooManyFaces GestureStatus = "too many faces detected"
)

// Valid reports whether g is one of GLAIR's values.
func (g GestureStatus) Valid() bool {
	switch g {
	case GestureMatch, GestureNotMatch, GestureNoFace, GestureTooManyFaces:
		return true
	}
	return false
}

func (g GestureStatus) String() string { return string(g) }

var _ fmt.Stringer = GestureStatus("")
