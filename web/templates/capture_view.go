package templates

import "strconv"

// CaptureView is the live capture screen. Its fields become the data-*
// attributes of the screen's root (docs/protocol.md, "Signalling"), which
// capture.js reads: the page carries no inline script.
type CaptureView struct {
	OfferURL     string  // POST target of the SDP offer: /s/{sid}/offer
	ReleaseURL   string  // POST target that gives up this browser's claim: /s/{sid}/release
	CSRFToken    string  // the browser's synchronizer token, sent as X-CSRF-Token
	ICEServers   string  // JSON array for RTCPeerConnection's iceServers
	RelayOnly    bool    // iceTransportPolicy "relay" rather than "all"
	FrameRate    float64 // camera frames per second to ask for: the server's analysed rate (0: the page's default)
	MaxAttempts  int
	AttemptsLeft int
	PageURL      string // the session's page (/s/{sid}), for "open in your browser"
	Cancel       *CancelForm
}

// iceTransportPolicy is RTCPeerConnection's iceTransportPolicy.
func (v CaptureView) iceTransportPolicy() string {
	if v.RelayOnly {
		return "relay"
	}
	return "all"
}

// frameRate is data-frame-rate: empty when unset, so the page keeps its
// default.
func (v CaptureView) frameRate() string {
	if v.FrameRate <= 0 {
		return ""
	}
	return strconv.FormatFloat(v.FrameRate, 'f', -1, 64)
}

func (v CaptureView) maxAttempts() string  { return strconv.Itoa(v.MaxAttempts) }
func (v CaptureView) attemptsLeft() string { return strconv.Itoa(v.AttemptsLeft) }

// captureString is one string capture.js looks up by key.
type captureString struct {
	Key, Text string
}

// captureStrings lists the strings capture.js shows in the live screen:
// instructions by gesture code, hints by code, failure reasons by reason,
// and the few templates it fills in.
func captureStrings(p Page) []captureString {
	t := p.T
	return []captureString{
		{"connecting", t.Connecting},
		{"get_ready", t.GetReady},
		{"wait", t.WaitStill},
		{"step_of", t.StepOf},
		{"matched", t.Matched},
		{"saving", t.Saving},
		{"open_eyes", t.OpenEyes},
		{"face_lost", t.FaceLost},
		{"copied", t.Copied},
		{"attempts_left_one", t.AttemptsLeftOne},
		{"attempts_left_other", t.AttemptsLeftOther},
		// Instructions, worded for the mirrored preview: see capture.templ.
		{"HEAD_LEFT", t.InstrHeadLeft},
		{"HEAD_RIGHT", t.InstrHeadRight},
		{"HEAD_UP", t.InstrHeadUp},
		{"HEAD_DOWN", t.InstrHeadDown},
		{"HEAD_00", t.InstrEyesClosed},
		{"HEAD_01", t.InstrRightEyeClosed},
		{"HEAD_10", t.InstrLeftEyeClosed},
		{"HEAD_11", t.InstrEyesOpen},
		{"HEAD_OPEN_MOUTH", t.InstrOpenMouth},
		{"HEAD_CLOSE_MOUTH", t.InstrCloseMouth},
		{"hint:move_closer", t.HintMoveCloser},
		{"hint:move_back", t.HintMoveBack},
		{"hint:more_light", t.HintMoreLight},
		{"hint:one_face", t.HintOneFace},
		{"hint:hold_still", t.HintHoldStill},
		{"hint:face_camera", t.HintFaceCamera},
		{"hint:center_face", t.HintCenterFace},
		{"reason:NOT_MATCH", t.ReasonNotMatch},
		{"reason:face not detected", t.ReasonNoFace},
		{"reason:too many faces detected", t.ReasonManyFaces},
		{"reason:timeout", t.ReasonTimeout},
		{"reason:connection_lost", t.ReasonConnectionLost},
		{"reason:early", t.ReasonEarly},
		{"reason:late", t.ReasonLate},
		{"reason:wrong_gesture", t.ReasonWrongGesture},
	}
}
