package capture

import (
	"log/slog"
	"runtime"
	"time"

	"github.com/livegate/livegate/internal/codec/vpx"
	"github.com/livegate/livegate/internal/turncred"
)

// ICEServer is a STUN or TURN server given to pion and, unchanged, to the
// page, so both sides gather the same kinds of candidates.
type ICEServer struct {
	URLs       []string `json:"urls"`
	Username   string   `json:"username,omitempty"`
	Credential string   `json:"credential,omitempty"`
}

// Config holds the transport settings of an API. Build it with NewConfig
// and the With… options; the zero value of every field means "default".
type Config struct {
	ICEServers []ICEServer
	// TURNURLs are TURN servers whose credentials TURN issues per peer
	// (short-lived, bound to the peer's id: see WithTURNSecret); both or
	// neither are set.
	TURNURLs []string
	TURN     *turncred.Issuer

	// UDPPort, when not 0, makes every peer share this one UDP port (pion's
	// UDP mux), which is the easiest to open in a firewall.
	UDPPort int
	// UDPPortMin and UDPPortMax bound the ephemeral ports used when UDPPort
	// is 0. Both 0 means any port.
	UDPPortMin, UDPPortMax uint16
	// NAT1To1IPs are public addresses announced instead of the host's own
	// (a server behind 1:1 NAT or in a container).
	NAT1To1IPs []string
	// ICETCPPort, when not 0, also listens for ICE over TCP on this port, a
	// fallback for networks that block UDP.
	ICETCPPort int
	// IncludeLoopback adds 127.0.0.1 candidates: needed when both ends run
	// on one machine without a network (tests).
	IncludeLoopback bool
	// DisableMDNS stops pion from resolving browsers' .local candidates
	// (and from opening a multicast socket per peer).
	DisableMDNS bool

	// MaxWidth and MaxHeight refuse larger frames (default 1280×720); a
	// peer whose stream is larger is closed with ErrFrameTooLarge.
	MaxWidth, MaxHeight int
	// MaxOfferBytes limits the size of an SDP offer (default 64 KiB).
	MaxOfferBytes int
	// GatherTimeout bounds the wait for ICE gathering before the answer is
	// returned with the candidates found so far (default 5 s).
	GatherTimeout time.Duration
	// ConnectTimeout closes a peer that is not connected this long after
	// Accept (default 30 s).
	ConnectTimeout time.Duration
	// TimeLimit closes a peer this long after Accept, connected or not
	// (default 0: no limit). Accept's WithPeerTimeLimit overrides it per peer.
	TimeLimit time.Duration
	// DisconnectedTimeout and FailedTimeout are ICE's timeouts (pion's
	// defaults 5 s and 25 s when 0). A failed connection closes the peer.
	DisconnectedTimeout, FailedTimeout time.Duration
	// PLIInterval is the least time between two key frame requests
	// (default 500 ms).
	PLIInterval time.Duration

	// Scheduler paces analyses; nil means a Scheduler of the API with
	// GOMAXPROCS concurrent analyses and 15 analyses per second per peer.
	Scheduler *Scheduler

	Logger *slog.Logger
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Option changes a Config.
type Option func(*Config)

// NewConfig returns the default configuration with opts applied.
func NewConfig(opts ...Option) Config {
	var c Config
	for _, o := range opts {
		o(&c)
	}
	c.setDefaults()
	return c
}

func (c *Config) setDefaults() {
	if c.MaxWidth <= 0 || c.MaxHeight <= 0 {
		c.MaxWidth, c.MaxHeight = vpx.DefaultMaxWidth, vpx.DefaultMaxHeight
	}
	if c.MaxOfferBytes <= 0 {
		c.MaxOfferBytes = 64 << 10
	}
	if c.GatherTimeout <= 0 {
		c.GatherTimeout = 5 * time.Second
	}
	if c.ConnectTimeout <= 0 {
		c.ConnectTimeout = 30 * time.Second
	}
	if c.PLIInterval <= 0 {
		c.PLIInterval = 500 * time.Millisecond
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Scheduler == nil {
		c.Scheduler = NewScheduler(runtime.GOMAXPROCS(0), DefaultAnalysisFPS)
	}
}

// WithICEServer adds a STUN or TURN server; username and credential are
// for TURN and may be empty.
func WithICEServer(urls []string, username, credential string) Option {
	return func(c *Config) {
		c.ICEServers = append(c.ICEServers, ICEServer{URLs: urls, Username: username, Credential: credential})
	}
}

// WithTURNSecret adds TURN servers (turn: or turns: URLs without
// credentials) whose credentials iss issues for each peer and each page
// (ICEServersFor, WithPeerID), so that no lasting TURN password is handed
// out.
func WithTURNSecret(urls []string, iss *turncred.Issuer) Option {
	return func(c *Config) { c.TURNURLs, c.TURN = append([]string(nil), urls...), iss }
}

// WithUDPPort makes all peers share one UDP port.
func WithUDPPort(port int) Option { return func(c *Config) { c.UDPPort = port } }

// WithUDPPortRange bounds the UDP ports of peers (ignored with WithUDPPort).
func WithUDPPortRange(min, max uint16) Option {
	return func(c *Config) { c.UDPPortMin, c.UDPPortMax = min, max }
}

// WithNAT1To1IPs announces these public IPs as host candidates.
func WithNAT1To1IPs(ips ...string) Option {
	return func(c *Config) { c.NAT1To1IPs = append(c.NAT1To1IPs, ips...) }
}

// WithICETCPPort accepts ICE over TCP on port, as a fallback to UDP.
func WithICETCPPort(port int) Option { return func(c *Config) { c.ICETCPPort = port } }

// WithLoopback includes loopback candidates (tests on one machine).
func WithLoopback(include bool) Option { return func(c *Config) { c.IncludeLoopback = include } }

// WithoutMDNS disables resolving mDNS (.local) candidates.
func WithoutMDNS() Option { return func(c *Config) { c.DisableMDNS = true } }

// WithMaxFrameSize refuses frames larger than w×h.
func WithMaxFrameSize(w, h int) Option { return func(c *Config) { c.MaxWidth, c.MaxHeight = w, h } }

// WithMaxOfferBytes limits the SDP offer size.
func WithMaxOfferBytes(n int) Option { return func(c *Config) { c.MaxOfferBytes = n } }

// WithGatherTimeout bounds the ICE gathering before answering.
func WithGatherTimeout(d time.Duration) Option { return func(c *Config) { c.GatherTimeout = d } }

// WithConnectTimeout closes peers not connected within d of Accept.
func WithConnectTimeout(d time.Duration) Option { return func(c *Config) { c.ConnectTimeout = d } }

// WithTimeLimit closes every peer d after Accept.
func WithTimeLimit(d time.Duration) Option { return func(c *Config) { c.TimeLimit = d } }

// WithICETimeouts sets ICE's disconnected and failed timeouts.
func WithICETimeouts(disconnected, failed time.Duration) Option {
	return func(c *Config) { c.DisconnectedTimeout, c.FailedTimeout = disconnected, failed }
}

// WithPLIInterval sets the least time between two key frame requests.
func WithPLIInterval(d time.Duration) Option { return func(c *Config) { c.PLIInterval = d } }

// WithScheduler shares s between APIs or sets its limits.
func WithScheduler(s *Scheduler) Option { return func(c *Config) { c.Scheduler = s } }

// WithLogger sets the logger.
func WithLogger(l *slog.Logger) Option { return func(c *Config) { c.Logger = l } }

// WithClock sets the clock used for frame times and rate limits.
func WithClock(now func() time.Time) Option { return func(c *Config) { c.Now = now } }
