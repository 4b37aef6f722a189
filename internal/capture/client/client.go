// Package client is a pure-Go WebRTC sender for tests and the load tool:
// it encodes image.YCbCr frames to VP8 with libvpx, sends them on a pion
// track at a given pace, opens the "livegate" data channel and does the
// offer/answer through a caller-supplied function, so the same client
// talks to capture.API.Accept directly or to the HTTP endpoint.
package client

import (
	"context"
	"errors"
	"fmt"
	"image"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/livegate/livegate/internal/codec/vpx"
	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/rtcp"
	"github.com/pion/webrtc/v4"
	"github.com/pion/webrtc/v4/pkg/media"
)

// Signal sends the offer SDP to the server and returns its answer SDP.
type Signal func(ctx context.Context, offer string) (answer string, err error)

// Source yields the frames to send; io.EOF ends the stream.
type Source interface {
	Next() (*image.YCbCr, error)
}

// SourceFunc adapts a function to Source.
type SourceFunc func() (*image.YCbCr, error)

// Next calls f.
func (f SourceFunc) Next() (*image.YCbCr, error) { return f() }

// Options configure a Client. Width and Height are required.
type Options struct {
	Width, Height int
	// FPS is the stream's nominal rate: RTP timestamps advance by 1/FPS per
	// frame whatever the pace (default 30).
	FPS int
	// BitrateKbps is the encoder's target (default 1000).
	BitrateKbps int
	// Interval is the wall time between two frames in Play (default 1/FPS).
	// Sending in a burst loses packets; 2 ms is enough on loopback.
	Interval time.Duration
	// IncludeLoopback offers 127.0.0.1 candidates (tests on one machine).
	IncludeLoopback bool
	ICEServers      []webrtc.ICEServer
	// RelayOnly gathers relay candidates only (ICETransportPolicy relay),
	// as a page does with data-ice-transport-policy="relay": every packet
	// goes through a TURN server of ICEServers.
	RelayOnly bool
	// NetworkTypes restricts candidates (default UDP4 and UDP6).
	NetworkTypes []webrtc.NetworkType
	// NoDataChannel leaves the data channel out of the offer.
	NoDataChannel bool
	// DropFrame, when set, simulates loss: frame i (counted from 0) is
	// encoded but not sent when it returns true.
	DropFrame func(i int) bool
	// DropPacket, when set, simulates network loss: it is asked for every
	// transmission of an RTP packet (attempt 0 is the first, later ones are
	// NACK retransmissions) and drops it when it returns true.
	DropPacket func(seq uint16, attempt int) bool
	// OnMessage, when set, receives the data channel's messages from the
	// first one on (set before the channel can open).
	OnMessage func(msg []byte)
}

// Client is one sending peer.
type Client struct {
	opts   Options
	pc     *webrtc.PeerConnection
	track  *webrtc.TrackLocalStaticSample
	dc     *webrtc.DataChannel
	enc    *vpx.Encoder
	encMu  sync.Mutex
	frames int

	// clockMu guards lastSample, the wall-clock time the last sample was
	// written: the RTP clock follows it (see writeSample).
	clockMu    sync.Mutex
	lastSample time.Time

	forceKey  atomic.Bool
	plis      atomic.Uint64
	onMessage atomic.Pointer[func([]byte)]
	connected chan struct{}
	connOnce  sync.Once
	chanOpen  chan struct{}
	openOnce  sync.Once
	wg        sync.WaitGroup
	closeOnce sync.Once
	closeErr  error
}

// Dial creates the peer connection and its offer, calls signal and applies
// the answer. It does not wait for the connection: see Connected.
func Dial(ctx context.Context, opts Options, signal Signal) (*Client, error) {
	if opts.Width <= 0 || opts.Height <= 0 {
		return nil, errors.New("client: width and height are required")
	}
	if opts.FPS <= 0 {
		opts.FPS = 30
	}
	if opts.BitrateKbps <= 0 {
		opts.BitrateKbps = 1000
	}
	if opts.Interval <= 0 {
		opts.Interval = time.Second / time.Duration(opts.FPS)
	}
	me := &webrtc.MediaEngine{}
	if err := me.RegisterCodec(webrtc.RTPCodecParameters{
		RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000},
		PayloadType:        96,
	}, webrtc.RTPCodecTypeVideo); err != nil {
		return nil, err
	}
	reg := &interceptor.Registry{}
	if opts.DropPacket != nil {
		// Before the NACK responder, so that it sees retransmissions too.
		reg.Add(&lossFactory{drop: opts.DropPacket})
	}
	if err := webrtc.ConfigureNack(me, reg); err != nil {
		return nil, err
	}
	if err := webrtc.ConfigureRTCPReports(reg); err != nil {
		return nil, err
	}
	se := webrtc.SettingEngine{}
	se.SetIncludeLoopbackCandidate(opts.IncludeLoopback)
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	if len(opts.NetworkTypes) > 0 {
		se.SetNetworkTypes(opts.NetworkTypes)
	} else {
		se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4, webrtc.NetworkTypeUDP6})
	}
	api := webrtc.NewAPI(webrtc.WithMediaEngine(me), webrtc.WithInterceptorRegistry(reg), webrtc.WithSettingEngine(se))

	enc, err := vpx.NewEncoder(opts.Width, opts.Height, opts.FPS, opts.BitrateKbps)
	if err != nil {
		return nil, err
	}
	policy := webrtc.ICETransportPolicyAll
	if opts.RelayOnly {
		policy = webrtc.ICETransportPolicyRelay
	}
	pc, err := api.NewPeerConnection(webrtc.Configuration{ICEServers: opts.ICEServers, ICETransportPolicy: policy})
	if err != nil {
		enc.Close()
		return nil, err
	}
	c := &Client{opts: opts, pc: pc, enc: enc, connected: make(chan struct{}), chanOpen: make(chan struct{})}
	if opts.OnMessage != nil {
		c.OnMessage(opts.OnMessage)
	}
	pc.OnConnectionStateChange(func(s webrtc.PeerConnectionState) {
		if s == webrtc.PeerConnectionStateConnected {
			c.connOnce.Do(func() { close(c.connected) })
		}
	})
	if err := c.setup(ctx, signal); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

func (c *Client) setup(ctx context.Context, signal Signal) error {
	track, err := webrtc.NewTrackLocalStaticSample(
		webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}, "video", "livegate-client")
	if err != nil {
		return err
	}
	c.track = track
	sender, err := c.pc.AddTrack(track)
	if err != nil {
		return err
	}
	// Read RTCP: the NACK responder needs it, and a PLI or FIR makes the
	// next frame a key frame.
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		for {
			pkts, _, err := sender.ReadRTCP()
			if err != nil {
				return
			}
			for _, p := range pkts {
				switch p.(type) {
				case *rtcp.PictureLossIndication, *rtcp.FullIntraRequest:
					c.plis.Add(1)
					c.forceKey.Store(true)
				}
			}
		}
	}()
	if !c.opts.NoDataChannel {
		dc, err := c.pc.CreateDataChannel("livegate", nil)
		if err != nil {
			return err
		}
		c.dc = dc
		dc.OnOpen(func() { c.openOnce.Do(func() { close(c.chanOpen) }) })
		dc.OnMessage(func(m webrtc.DataChannelMessage) {
			if f := c.onMessage.Load(); f != nil {
				(*f)(m.Data)
			}
		})
	}
	offer, err := c.pc.CreateOffer(nil)
	if err != nil {
		return err
	}
	gathered := webrtc.GatheringCompletePromise(c.pc)
	if err := c.pc.SetLocalDescription(offer); err != nil {
		return err
	}
	select {
	case <-gathered:
	case <-ctx.Done():
		return ctx.Err()
	}
	answer, err := signal(ctx, c.pc.LocalDescription().SDP)
	if err != nil {
		return fmt.Errorf("client: signal: %w", err)
	}
	if err := c.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: answer}); err != nil {
		return fmt.Errorf("client: set answer: %w", err)
	}
	return nil
}

// Connected is closed once the connection is established.
func (c *Client) Connected() <-chan struct{} { return c.connected }

// ChannelOpen is closed once the data channel is open.
func (c *Client) ChannelOpen() <-chan struct{} { return c.chanOpen }

// SelectedPair is the ICE candidate pair the connection uses (nil before
// one is selected): its Local.Typ is ICECandidateTypeRelay when the media
// goes through TURN.
func (c *Client) SelectedPair() (*webrtc.ICECandidatePair, error) {
	sctp := c.pc.SCTP()
	if sctp == nil {
		return nil, errors.New("client: no SCTP transport (no data channel)")
	}
	return sctp.Transport().ICETransport().GetSelectedCandidatePair()
}

// PLIs is the number of key frame requests received.
func (c *Client) PLIs() uint64 { return c.plis.Load() }

// OnMessage sets the handler of data channel messages.
func (c *Client) OnMessage(f func(msg []byte)) { c.onMessage.Store(&f) }

// Send sends msg as a text message on the data channel.
func (c *Client) Send(msg []byte) error {
	if c.dc == nil {
		return errors.New("client: no data channel")
	}
	return c.dc.SendText(string(msg))
}

// SendFrame encodes img and writes it on the track at once. The first
// frame, and the next one after a PLI, is a key frame.
func (c *Client) SendFrame(img *image.YCbCr) error { return c.sendFrame(img, false) }

// sendFrame encodes and sends img; wall: the RTP clock follows the wall
// clock (see writeSample), else it advances by the nominal frame interval.
func (c *Client) sendFrame(img *image.YCbCr, wall bool) error {
	c.encMu.Lock()
	defer c.encMu.Unlock()
	force := c.frames == 0 || c.forceKey.Swap(false)
	frame, _, err := c.enc.Encode(img, force)
	if err != nil {
		return err
	}
	i := c.frames
	c.frames++
	if c.opts.DropFrame != nil && c.opts.DropFrame(i) {
		return nil
	}
	return c.writeSample(frame, wall)
}

// writeSample writes one encoded frame. A sample's duration is what pion
// advances the next RTP timestamp by: the nominal frame interval (a clip
// pushed at its own pace, what the transport tests need), or with wall the
// time since the previous sample, as a camera's capture clock runs
// (PlayClip, PlayActor). A real-time sender that falls behind its frame
// rate (a face rendered live on a busy machine) with nominal durations sends an RTP clock slower than its
// packets arrive, which the server rightly reads as a file pushed at its
// own pace (rtp_drift).
func (c *Client) writeSample(frame []byte, wall bool) error {
	nominal := time.Second / time.Duration(c.opts.FPS)
	now := time.Now()
	c.clockMu.Lock()
	d := nominal
	if wall && !c.lastSample.IsZero() {
		d = min(max(now.Sub(c.lastSample), time.Millisecond), time.Second)
	}
	c.lastSample = now
	c.clockMu.Unlock()
	return c.track.WriteSample(media.Sample{Data: frame, Duration: d})
}

// WriteVP8 sends an already encoded VP8 frame, bypassing the encoder: a
// load test encodes a clip once and replays it to many peers. The caller
// provides the key frames (a PLI cannot be honoured).
func (c *Client) WriteVP8(frame []byte) error {
	return c.writeSample(frame, false)
}

// Play sends src's frames, one per Interval, until io.EOF, an error or ctx
// ends, and returns how many it sent.
func (c *Client) Play(ctx context.Context, src Source) (int, error) {
	tick := time.NewTicker(c.opts.Interval)
	defer tick.Stop()
	n := 0
	for {
		img, err := src.Next()
		if errors.Is(err, io.EOF) {
			return n, nil
		}
		if err != nil {
			return n, err
		}
		if err := c.SendFrame(img); err != nil {
			return n, err
		}
		n++
		select {
		case <-tick.C:
		case <-ctx.Done():
			return n, ctx.Err()
		}
	}
}

// Close ends the connection and frees the encoder; it waits for the
// client's goroutines.
func (c *Client) Close() error {
	c.closeOnce.Do(func() {
		c.closeErr = c.pc.GracefulClose()
		c.wg.Wait()
		c.encMu.Lock()
		c.enc.Close()
		c.encMu.Unlock()
	})
	return c.closeErr
}
