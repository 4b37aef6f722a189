package gesture

import "github.com/livegate/livegate/internal/session"

// class is a detectable gesture; classes index per-gesture state.
type class int

const (
	clsLeft class = iota
	clsRight
	clsUp
	clsDown
	clsEyes00
	clsEye01
	clsEye10
	clsEyes11
	clsMouthOpen
	clsMouthClosed
	numClasses
)

var classGesture = [numClasses]session.Gesture{
	session.HeadLeft, session.HeadRight, session.HeadUp, session.HeadDown,
	session.HeadEyesClosed, session.HeadRightClose, session.HeadLeftClose, session.HeadEyesOpen,
	session.HeadOpenMouth, session.HeadCloseMouth,
}

func classOf(g session.Gesture) (class, bool) {
	for c, cg := range classGesture {
		if cg == g {
			return class(c), true
		}
	}
	return 0, false
}

func (c class) isTurn() bool { return c <= clsDown }

func (c class) isEye() bool { return c >= clsEyes00 && c <= clsEyes11 }

// isWrong reports whether performing k while g is asked is a clearly
// different gesture. Partial forms of the asked one (one eye while both are
// asked) and neutral states are not.
func isWrong(g, k class) bool {
	switch k {
	case clsEyes11, clsMouthClosed:
		return false
	case clsEye01, clsEye10:
		if g == clsEyes00 {
			return false
		}
	}
	switch g {
	case clsEyes11:
		return k.isTurn() || k == clsMouthOpen
	case clsMouthClosed:
		return k != clsMouthOpen
	}
	return true
}
