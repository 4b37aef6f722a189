package capture

import (
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/interceptor/pkg/nack"
	"github.com/pion/webrtc/v4"
)

// API is the pion configuration shared by all peers: build one per server.
type API struct {
	cfg    Config
	api    *webrtc.API
	udpMux ice.UDPMux
	tcpMux ice.TCPMux

	// teardowns are the peers' teardown goroutines, which Close waits
	// for; mu orders their Add before Close's Wait.
	mu        sync.Mutex
	closed    bool
	teardowns sync.WaitGroup
}

// NewAPI builds the shared pion API: VP8 as the only (receive) codec, NACK
// generation and RTCP receiver reports, and the network settings of cfg.
// Close it to release the shared UDP and TCP ports.
func NewAPI(cfg Config) (*API, error) {
	cfg.setDefaults()
	a := &API{cfg: cfg}

	me := &webrtc.MediaEngine{}
	err := me.RegisterCodec(webrtc.RTPCodecParameters{
		RTPCodecCapability: webrtc.RTPCodecCapability{
			MimeType:     webrtc.MimeTypeVP8,
			ClockRate:    90000,
			RTCPFeedback: []webrtc.RTCPFeedback{{Type: "nack"}, {Type: "nack", Parameter: "pli"}, {Type: "ccm", Parameter: "fir"}},
		},
		PayloadType: 96,
	}, webrtc.RTPCodecTypeVideo)
	if err != nil {
		return nil, fmt.Errorf("capture: register VP8: %w", err)
	}
	reg := &interceptor.Registry{}
	// NACK every 40 ms (pion's default is 100 ms): a lost packet comes back
	// within the reassembly's 300 ms wait even over a slow round trip.
	if err := webrtc.ConfigureNackWithOptions(me, reg, []nack.GeneratorOption{nack.GeneratorInterval(40 * time.Millisecond)}); err != nil {
		return nil, fmt.Errorf("capture: nack interceptor: %w", err)
	}
	if err := webrtc.ConfigureRTCPReports(reg); err != nil {
		return nil, fmt.Errorf("capture: rtcp reports: %w", err)
	}

	se := webrtc.SettingEngine{}
	se.SetIncludeLoopbackCandidate(cfg.IncludeLoopback)
	if cfg.DisableMDNS {
		se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	}
	if cfg.DisconnectedTimeout > 0 || cfg.FailedTimeout > 0 {
		dis, fail := cfg.DisconnectedTimeout, cfg.FailedTimeout
		if dis <= 0 {
			dis = 5e9
		}
		if fail <= 0 {
			fail = 25e9
		}
		se.SetICETimeouts(dis, fail, 2e9)
	}
	if len(cfg.NAT1To1IPs) > 0 {
		if err := se.SetICEAddressRewriteRules(webrtc.ICEAddressRewriteRule{
			External:        cfg.NAT1To1IPs,
			AsCandidateType: webrtc.ICECandidateTypeHost,
		}); err != nil {
			return nil, fmt.Errorf("capture: NAT 1:1 IPs: %w", err)
		}
	}
	networks := []webrtc.NetworkType{webrtc.NetworkTypeUDP4, webrtc.NetworkTypeUDP6}
	if cfg.UDPPort != 0 {
		var opts []ice.UDPMuxFromPortOption
		if cfg.IncludeLoopback {
			opts = append(opts, ice.UDPMuxFromPortWithLoopback())
		}
		mux, err := ice.NewMultiUDPMuxFromPort(cfg.UDPPort, opts...)
		if err != nil {
			return nil, fmt.Errorf("capture: UDP port %d: %w", cfg.UDPPort, err)
		}
		a.udpMux = mux
		se.SetICEUDPMux(mux)
	} else if cfg.UDPPortMin != 0 || cfg.UDPPortMax != 0 {
		if err := se.SetEphemeralUDPPortRange(cfg.UDPPortMin, cfg.UDPPortMax); err != nil {
			return nil, fmt.Errorf("capture: UDP port range: %w", err)
		}
	}
	if cfg.ICETCPPort != 0 {
		ln, err := net.ListenTCP("tcp", &net.TCPAddr{Port: cfg.ICETCPPort})
		if err != nil {
			a.Close()
			return nil, fmt.Errorf("capture: ICE-TCP port %d: %w", cfg.ICETCPPort, err)
		}
		a.tcpMux = webrtc.NewICETCPMux(nil, ln, 8)
		se.SetICETCPMux(a.tcpMux)
		networks = append(networks, webrtc.NetworkTypeTCP4, webrtc.NetworkTypeTCP6)
	}
	se.SetNetworkTypes(networks)

	a.api = webrtc.NewAPI(webrtc.WithMediaEngine(me), webrtc.WithInterceptorRegistry(reg), webrtc.WithSettingEngine(se))
	return a, nil
}

// ICEServers returns the configured servers with lasting credentials (or
// none); ICEServersFor adds those of WithTURNSecret.
func (a *API) ICEServers() []ICEServer {
	return append([]ICEServer(nil), a.cfg.ICEServers...)
}

// ICEServersFor returns the servers to hand the page of id (a session id):
// the configured ones and, with WithTURNSecret, the TURN servers with
// credentials issued now for id.
func (a *API) ICEServersFor(id string) []ICEServer {
	out := a.ICEServers()
	if a.cfg.TURN != nil && len(a.cfg.TURNURLs) > 0 {
		c := a.cfg.TURN.Issue(id)
		out = append(out, ICEServer{URLs: append([]string(nil), a.cfg.TURNURLs...), Username: c.Username, Credential: c.Password})
	}
	return out
}

// peerICE is the pion list of ICE servers of the peer id: the same as
// the page's (ICEServersFor), so both ends gather the same kinds of
// candidates.
func (a *API) peerICE(id string) []webrtc.ICEServer {
	var out []webrtc.ICEServer
	for _, s := range a.ICEServersFor(id) {
		is := webrtc.ICEServer{URLs: s.URLs, Username: s.Username}
		if s.Credential != "" {
			is.Credential = s.Credential
		}
		out = append(out, is)
	}
	return out
}

// Scheduler returns the scheduler shared by this API's peers.
func (a *API) Scheduler() *Scheduler { return a.cfg.Scheduler }

// trackTeardown counts a peer's teardown goroutine, which is to call the
// returned func when it ends. A peer closed after the API is not counted:
// its owner still waits on Peer.Done.
func (a *API) trackTeardown() (done func()) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.closed {
		return func() {}
	}
	a.teardowns.Add(1)
	return a.teardowns.Done
}

// Close waits for the teardowns of the peers already closing, then
// releases the shared UDP port and ICE-TCP listener. Close peers first.
func (a *API) Close() error {
	a.mu.Lock()
	a.closed = true
	a.mu.Unlock()
	a.teardowns.Wait()
	var errs []error
	if a.udpMux != nil {
		errs = append(errs, a.udpMux.Close())
		a.udpMux = nil
	}
	if a.tcpMux != nil {
		errs = append(errs, a.tcpMux.Close())
		a.tcpMux = nil
	}
	return errors.Join(errs...)
}
