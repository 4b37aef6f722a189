// Package pagemsg reads the page → server data-channel messages of
// docs/protocol.md. It is the one part of capture/live that parses what a
// page sends, kept apart (standard library only) so that its fuzz target
// builds without pion, libvpx or OpenCV.
package pagemsg

import (
	"encoding/json"
	"unicode/utf8"
)

// Page → server message types.
const (
	Ready  = "ready"
	Cancel = "cancel"
)

// MaxLabel bounds the camera label kept from the page (labels are short;
// a long one is cut, not trusted).
const MaxLabel = 200

// Decode returns the type of a page → server message, or ok false for
// anything but a version 1 ready or cancel; v and typ are what could be
// read, for the log.
func Decode(raw []byte) (typ string, v int, ok bool) {
	var m struct {
		V    int    `json:"v"`
		Type string `json:"type"`
	}
	if err := json.Unmarshal(raw, &m); err != nil || m.V != 1 || (m.Type != Ready && m.Type != Cancel) {
		return m.Type, m.V, false
	}
	return m.Type, m.V, true
}

// CameraLabel is the optional camera_label of a page's ready message, cut
// to at most MaxLabel bytes of valid UTF-8; "" when there is none.
func CameraLabel(raw []byte) string {
	var m struct {
		Label string `json:"camera_label"`
	}
	if json.Unmarshal(raw, &m) != nil {
		return ""
	}
	l := m.Label
	for len(l) > MaxLabel || !utf8.ValidString(l) {
		l = l[:min(len(l)-1, MaxLabel)]
	}
	return l
}
