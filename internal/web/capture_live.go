package web

// Live is what the capture screen needs from the live capture service
// (internal/capture, wired by internal/server). The pages never import pion: the
// service is reached through this interface, and the offer handlers
// (offer.go) add the signalling methods they call.
type Live interface {
	// ICEServers is the STUN and TURN list the page of session sid hands
	// to its RTCPeerConnection (data-ice-servers); it may be empty. TURN
	// credentials in it may be issued for sid, short-lived.
	ICEServers(sid string) []ICEServer
}

// ICEServer is one STUN or TURN server as RTCPeerConnection takes it.
type ICEServer struct {
	URLs       []string `json:"urls"`
	Username   string   `json:"username,omitempty"`
	Credential string   `json:"credential,omitempty"`
}
