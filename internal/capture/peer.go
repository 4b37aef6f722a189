package capture

import (
	"context"
	"errors"
	"fmt"
	"image"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/webrtc/v4"
)

// DataChannelLabel is the label of the data channel the page opens in its
// offer; channels with other labels are closed.
const DataChannelLabel = "livegate"

// Frame is one decoded frame of a peer.
type Frame struct {
	// Img belongs to the peer and is valid only until FrameSink.Frame
	// returns; the peer then reuses its pixels. A sink that keeps pixels
	// copies them.
	Img *image.Gray
	// T is the capture time: the arrival time of the stream's first frame
	// plus the RTP timestamp distance (90 kHz) from it, so it follows the
	// sender's clock, free of network jitter. The page controls it.
	T time.Time
	// Arrival is the server's clock (Config.Now) when the frame's last
	// packet arrived and it could be decoded: the time for rules the page
	// must not be able to bend (the gesture challenge's pacing).
	Arrival time.Time
	// Colour is the colour frame whose luma plane Img is, for a ColourSink
	// only (nil otherwise); valid as long as Img.
	Colour *image.YCbCr
}

// FrameSink receives a peer's frames, one call at a time, from the peer's
// analysis goroutine.
//
// Frame may call Peer.Send and Peer.Close; it must not wait on Peer.Done.
type FrameSink interface {
	Frame(f Frame)
}

// FrameSinkFunc adapts a function to FrameSink.
type FrameSinkFunc func(f Frame)

// Frame calls f.
func (f FrameSinkFunc) Frame(fr Frame) { f(fr) }

// AcceptOption changes one peer's settings.
type AcceptOption func(*acceptOptions)

type acceptOptions struct {
	timeLimit time.Duration
	onMessage func([]byte)
	logger    *slog.Logger
	id        string
}

// WithPeerTimeLimit closes the peer d after Accept (overrides the API's).
func WithPeerTimeLimit(d time.Duration) AcceptOption {
	return func(o *acceptOptions) { o.timeLimit = d }
}

// WithOnMessage sets the data channel message handler before any message
// can arrive.
func WithOnMessage(f func(msg []byte)) AcceptOption {
	return func(o *acceptOptions) { o.onMessage = f }
}

// WithPeerID names the peer (its session id): TURN credentials issued for
// the peer's own allocations (WithTURNSecret) carry it.
func WithPeerID(id string) AcceptOption {
	return func(o *acceptOptions) { o.id = id }
}

// WithPeerLogger sets the peer's logger (e.g. with the session id).
func WithPeerLogger(l *slog.Logger) AcceptOption {
	return func(o *acceptOptions) { o.logger = l }
}

// Peer is one browser's connection.
type Peer struct {
	api   *API
	cfg   *Config
	log   *slog.Logger
	pc    *webrtc.PeerConnection
	sink  FrameSink
	mb    *mailbox
	sched *Scheduler

	ctx    context.Context // ends when the peer starts closing
	cancel context.CancelFunc
	wg     sync.WaitGroup // our goroutines, including pion's OnTrack one

	mu        sync.Mutex
	closing   bool
	haveTrack bool
	dc        *webrtc.DataChannel
	timers    []*time.Timer
	closeOnce sync.Once
	reason    error
	done      chan struct{}
	connected chan struct{}
	connOnce  sync.Once
	chanOpen  chan struct{}
	openOnce  sync.Once
	onMessage atomic.Pointer[func([]byte)]
	n         counters

	// statsMu keeps RTT's GetStats from running into the teardown's
	// close (pion's stats read what close writes).
	statsMu     sync.Mutex
	statsClosed bool

	// Owned by the receive goroutine.
	waitKey bool
	lastPLI time.Time
	watch   StreamWatcher      // the sink's, or nil
	watchFn func(*image.YCbCr) // p.watchFrame when watch is set
	sf      StreamFrame        // the frame being watched
	t0      time.Time          // arrival time of the first frame
	ts0     uint32
	tsLast  uint32
	tsAcc   int64 // unwrapped RTP time since ts0
}

// Accept answers offer and returns the answer SDP and the new Peer.
//
// ctx bounds only the negotiation (ICE gathering); the peer lives until
// Close, a failed connection or a time limit, whichever comes first. An
// unusable offer gives an error matching ErrBadOffer. sink receives the
// decoded frames, paced by the API's Scheduler.
func (a *API) Accept(ctx context.Context, offer string, sink FrameSink, opts ...AcceptOption) (string, *Peer, error) {
	if sink == nil {
		return "", nil, errors.New("capture: Accept: nil FrameSink")
	}
	if err := checkOffer(offer, a.cfg.MaxOfferBytes); err != nil {
		return "", nil, err
	}
	o := acceptOptions{timeLimit: a.cfg.TimeLimit, logger: a.cfg.Logger}
	for _, f := range opts {
		f(&o)
	}
	pc, err := a.api.NewPeerConnection(webrtc.Configuration{ICEServers: a.peerICE(o.id)})
	if err != nil {
		return "", nil, fmt.Errorf("capture: new peer connection: %w", err)
	}
	p := &Peer{
		api:       a,
		cfg:       &a.cfg,
		log:       o.logger,
		pc:        pc,
		sink:      sink,
		mb:        newMailbox(isColour(sink)),
		sched:     a.cfg.Scheduler,
		done:      make(chan struct{}),
		connected: make(chan struct{}),
		chanOpen:  make(chan struct{}),
		waitKey:   true,
	}
	if w, ok := sink.(StreamWatcher); ok {
		p.watch, p.watchFn = w, p.watchFrame
	}
	p.ctx, p.cancel = context.WithCancel(context.Background())
	if o.onMessage != nil {
		p.onMessage.Store(&o.onMessage)
	}
	pc.OnTrack(p.onTrack)
	pc.OnDataChannel(p.onDataChannel)
	pc.OnConnectionStateChange(p.onState)

	answer, err := p.negotiate(ctx, offer)
	if err != nil {
		p.Close(err)
		<-p.done
		return "", nil, err
	}

	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closing {
		return answer, p, nil // already ending (Close from a callback): Done will close
	}
	// Under mu with closing false: the teardown's wg.Wait comes later.
	p.wg.Add(1)
	go p.analyse()
	p.timers = append(p.timers, time.AfterFunc(a.cfg.ConnectTimeout, func() {
		select {
		case <-p.connected:
		default:
			p.Close(ErrConnectTimeout)
		}
	}))
	if o.timeLimit > 0 {
		p.timers = append(p.timers, time.AfterFunc(o.timeLimit, func() { p.Close(ErrTimeLimit) }))
	}
	return answer, p, nil
}

func (p *Peer) negotiate(ctx context.Context, offer string) (string, error) {
	if _, err := p.pc.AddTransceiverFromKind(webrtc.RTPCodecTypeVideo,
		webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly}); err != nil {
		return "", fmt.Errorf("capture: add video transceiver: %w", err)
	}
	if err := p.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: offer}); err != nil {
		return "", fmt.Errorf("%w: %v", ErrMalformedSDP, err)
	}
	answer, err := p.pc.CreateAnswer(nil)
	if err != nil {
		return "", fmt.Errorf("capture: create answer: %w", err)
	}
	gathered := webrtc.GatheringCompletePromise(p.pc)
	if err := p.pc.SetLocalDescription(answer); err != nil {
		return "", fmt.Errorf("capture: set local description: %w", err)
	}
	t := time.NewTimer(p.cfg.GatherTimeout)
	defer t.Stop()
	select {
	case <-gathered:
	case <-t.C:
		p.log.Warn("capture: ICE gathering timed out; answering with the candidates found so far",
			"timeout", p.cfg.GatherTimeout)
	case <-ctx.Done():
		return "", fmt.Errorf("capture: ICE gathering: %w", ctx.Err())
	}
	return p.pc.LocalDescription().SDP, nil
}

func (p *Peer) onState(s webrtc.PeerConnectionState) {
	switch s {
	case webrtc.PeerConnectionStateConnected:
		p.connOnce.Do(func() { close(p.connected) })
	case webrtc.PeerConnectionStateFailed, webrtc.PeerConnectionStateClosed:
		p.Close(ErrConnectionFailed)
	}
}

func (p *Peer) onDataChannel(dc *webrtc.DataChannel) {
	p.mu.Lock()
	if p.closing || p.dc != nil || dc.Label() != DataChannelLabel {
		p.mu.Unlock()
		p.log.Warn("capture: data channel refused", "label", dc.Label())
		_ = dc.Close()
		return
	}
	p.dc = dc
	p.mu.Unlock()
	dc.OnOpen(func() { p.openOnce.Do(func() { close(p.chanOpen) }) })
	dc.OnMessage(func(m webrtc.DataChannelMessage) {
		if f := p.onMessage.Load(); f != nil {
			(*f)(m.Data)
		}
	})
}

// OnMessage sets the handler of data channel messages (text or binary).
// It is called on pion's goroutine, one message at a time; msg is the
// handler's to keep.
func (p *Peer) OnMessage(f func(msg []byte)) {
	if f == nil {
		p.onMessage.Store(nil)
		return
	}
	p.onMessage.Store(&f)
}

// Send sends msg as a text message on the data channel (the protocol is
// JSON). It fails with ErrChannelNotOpen before the channel opens.
func (p *Peer) Send(msg []byte) error {
	p.mu.Lock()
	dc, closing := p.dc, p.closing
	p.mu.Unlock()
	if dc == nil || closing || dc.ReadyState() != webrtc.DataChannelStateOpen {
		return ErrChannelNotOpen
	}
	if err := dc.SendText(string(msg)); err != nil {
		return fmt.Errorf("capture: send: %w", err)
	}
	return nil
}

// Now reads the clock frame arrival times come from (Config.Now), so
// that a sink can time its own messages against them.
func (p *Peer) Now() time.Time { return p.cfg.Now() }

// RTT is the round-trip time of the selected ICE candidate pair (from
// its STUN checks, pion's CurrentRoundTripTime), and false while none is
// known.
func (p *Peer) RTT() (time.Duration, bool) {
	p.statsMu.Lock()
	defer p.statsMu.Unlock()
	if p.statsClosed {
		return 0, false
	}
	// The selected pair's own stats, from the ICE agent under its locks.
	// Not PeerConnection.GetStats: it reads the connection's stats getter,
	// which pion clears without a lock when it closes the connection
	// itself (on the remote's DTLS close_notify), a data race no lock of
	// ours can order.
	sctp := p.pc.SCTP()
	if sctp == nil || sctp.Transport() == nil || sctp.Transport().ICETransport() == nil {
		return 0, false
	}
	cp, ok := sctp.Transport().ICETransport().GetSelectedCandidatePairStats()
	if !ok || cp.CurrentRoundTripTime <= 0 {
		return 0, false
	}
	return time.Duration(cp.CurrentRoundTripTime * float64(time.Second)), true
}

// Connected is closed once the connection is established.
func (p *Peer) Connected() <-chan struct{} { return p.connected }

// ChannelOpen is closed once the data channel is open.
func (p *Peer) ChannelOpen() <-chan struct{} { return p.chanOpen }

// Done is closed when the peer has ended and everything it owned (pion
// connection, goroutines, decoder) is released.
func (p *Peer) Done() <-chan struct{} { return p.done }

// Err is the reason the peer ended (nil while it runs).
func (p *Peer) Err() error {
	select {
	case <-p.done:
		return p.reason
	default:
		return nil
	}
}

// flushTimeout bounds the wait for messages sent just before Close to
// leave the data channel.
const flushTimeout = 250 * time.Millisecond

// Close ends the peer with reason (nil: ErrClosed). It returns at once, as
// it is called from pion's callbacks and the sink: the teardown runs on its
// own goroutine, which the API owns (API.Close waits for it), and Done is
// closed when it is complete. Messages sent just before are flushed first
// (best effort, up to 250 ms). Only the first call's reason is kept.
func (p *Peer) Close(reason error) {
	if reason == nil {
		reason = ErrClosed
	}
	p.closeOnce.Do(func() {
		p.reason = reason
		done := p.api.trackTeardown()
		go func() {
			defer done()
			p.teardown()
		}()
	})
}

func (p *Peer) teardown() {
	p.mu.Lock()
	p.closing = true
	for _, t := range p.timers {
		t.Stop()
	}
	dc := p.dc
	p.mu.Unlock()
	p.statsMu.Lock()
	p.statsClosed = true
	p.statsMu.Unlock()
	p.cancel()
	if dc != nil {
		flush(dc, flushTimeout)
	}
	if err := p.pc.GracefulClose(); err != nil {
		p.log.Debug("capture: close peer connection", "err", err)
	}
	p.wg.Wait()
	st := p.n.snapshot()
	p.log.Info("capture: peer closed", "reason", p.reason.Error(),
		"received", st.FramesReceived, "decoded", st.FramesDecoded,
		"analysed", st.FramesAnalysed, "dropped", st.FramesDropped, "decode_errors", st.DecodeErrors)
	close(p.done)
}

// flush waits until dc has sent what is buffered, or d passes, or dc is
// not open. pion signals the drain with its bufferedamountlow event: with
// the threshold at 0 it fires when the buffer empties.
func flush(dc *webrtc.DataChannel, d time.Duration) {
	if dc.ReadyState() != webrtc.DataChannelStateOpen {
		return
	}
	low := make(chan struct{})
	var once sync.Once
	dc.OnBufferedAmountLow(func() { once.Do(func() { close(low) }) })
	dc.SetBufferedAmountLowThreshold(0)
	// Checked after the handler is set, so a drain in between is not
	// missed.
	if dc.BufferedAmount() == 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-low:
	case <-t.C:
	}
}
