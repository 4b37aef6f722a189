package capture

import (
	"context"
	"errors"
	"fmt"
	"image"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/livegate/livegate/internal/codec/vpx"
	"github.com/pion/rtcp"
	"github.com/pion/webrtc/v4"
)

// DataChannelLabel is the label of the data channel the page opens in its
// offer; channels with other labels are closed.
const DataChannelLabel = "livegate"

// Reassembly limits: a missing packet is waited for (NACK retransmission)
// until the packets behind it waited reorderMaxDelay or the stream is
// reorderMaxLate packets past it.
// reorderMaxLate must exceed the packets of the largest key frame (an 86 KB
// key frame is ≈ 73 packets of ≈ 1.2 KB), or a key frame would be given up
// while its own packets still arrive.
const (
	reorderMaxLate  = 512
	reorderMaxDelay = 300 * time.Millisecond
)

// FrameSink receives a peer's frames, one call at a time, from the peer's
// analysis goroutine.
//
// Ownership: img belongs to the peer and is valid only until Frame returns;
// the peer then reuses its pixels. A sink that keeps pixels copies them.
// t is the capture time: the arrival time of the stream's first frame plus
// the RTP timestamp distance (90 kHz) from it, so it follows the sender's
// clock, free of network jitter.
//
// Frame may call Peer.Send and Peer.Close; it must not wait on Peer.Done.
type FrameSink interface {
	Frame(img *image.Gray, t time.Time)
}

// FrameSinkFunc adapts a function to FrameSink.
type FrameSinkFunc func(img *image.Gray, t time.Time)

// Frame calls f.
func (f FrameSinkFunc) Frame(img *image.Gray, t time.Time) { f(img, t) }

// Stats are a peer's frame counters.
type Stats struct {
	FramesReceived uint64 // VP8 frames assembled from RTP
	FramesDecoded  uint64 // decoded into a grey frame
	FramesAnalysed uint64 // handed to the sink
	// FramesDropped counts frames replaced by a newer one while the sink
	// was busy or waiting for a core: overload.
	FramesDropped uint64
	// FramesRateLimited counts frames replaced by a newer one while the
	// peer waited for its next analysis slot (Scheduler FPS): by design.
	FramesRateLimited uint64
	FramesSkipped     uint64 // not decoded while waiting for a key frame
	DecodeErrors      uint64 // corrupt or undecodable frames
	PLIsSent          uint64 // key frame requests sent
	// DecodeTime is the wall time spent decoding, for the mean per frame.
	DecodeTime time.Duration
}

// AcceptOption changes one peer's settings.
type AcceptOption func(*acceptOptions)

type acceptOptions struct {
	timeLimit time.Duration
	onMessage func([]byte)
	logger    *slog.Logger
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

// WithPeerLogger sets the peer's logger (e.g. with the session id).
func WithPeerLogger(l *slog.Logger) AcceptOption {
	return func(o *acceptOptions) { o.logger = l }
}

// Peer is one browser's connection.
type Peer struct {
	cfg   *Config
	log   *slog.Logger
	pc    *webrtc.PeerConnection
	sink  FrameSink
	mb    *mailbox
	sched *Scheduler

	ctx    context.Context // ends when the peer starts closing
	cancel context.CancelFunc
	wg     sync.WaitGroup // our goroutines, including pion's OnTrack one

	mu         sync.Mutex
	closing    bool
	haveTrack  bool
	dc         *webrtc.DataChannel
	timers     []*time.Timer
	closeOnce  sync.Once
	reason     error
	done       chan struct{}
	connected  chan struct{}
	connOnce   sync.Once
	chanOpen   chan struct{}
	openOnce   sync.Once
	onMessage  atomic.Pointer[func([]byte)]
	received   atomic.Uint64
	decoded    atomic.Uint64
	analysed   atomic.Uint64
	dropped    atomic.Uint64
	rateLim    atomic.Uint64
	skipped    atomic.Uint64
	decodeErrs atomic.Uint64
	plis       atomic.Uint64
	decodeNs   atomic.Int64

	// Owned by the receive goroutine.
	waitKey bool
	lastPLI time.Time
	t0      time.Time // arrival time of the first frame
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
	pc, err := a.api.NewPeerConnection(webrtc.Configuration{ICEServers: a.ice})
	if err != nil {
		return "", nil, fmt.Errorf("capture: new peer connection: %w", err)
	}
	p := &Peer{
		cfg:       &a.cfg,
		log:       o.logger,
		pc:        pc,
		sink:      sink,
		mb:        newMailbox(),
		sched:     a.cfg.Scheduler,
		done:      make(chan struct{}),
		connected: make(chan struct{}),
		chanOpen:  make(chan struct{}),
		waitKey:   true,
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

func (p *Peer) onTrack(track *webrtc.TrackRemote, recv *webrtc.RTPReceiver) {
	if track.Kind() != webrtc.RTPCodecTypeVideo || !strings.EqualFold(track.Codec().MimeType, webrtc.MimeTypeVP8) {
		p.log.Warn("capture: ignoring track", "kind", track.Kind().String(), "codec", track.Codec().MimeType)
		return
	}
	p.mu.Lock()
	if p.closing || p.haveTrack {
		p.mu.Unlock()
		return
	}
	p.haveTrack = true
	p.wg.Add(2)
	p.mu.Unlock()
	// Read RTCP (sender reports) so the interceptors see it.
	go func() {
		defer p.wg.Done()
		buf := make([]byte, 1500)
		for {
			if _, _, err := recv.Read(buf); err != nil {
				return
			}
		}
	}()
	defer p.wg.Done()
	p.receive(track)
}

// receive runs on pion's OnTrack goroutine: RTP → assembler → decoder →
// mailbox, for every frame, until the track ends.
func (p *Peer) receive(track *webrtc.TrackRemote) {
	dec, err := vpx.NewDecoder(vpx.WithMaxSize(p.cfg.MaxWidth, p.cfg.MaxHeight))
	if err != nil {
		p.Close(fmt.Errorf("capture: %w", err))
		return
	}
	defer dec.Close()
	ssrc := uint32(track.SSRC())
	asm := newAssembler(reorderMaxLate, reorderMaxDelay)
	var fatal error
	emit := func(frame []byte, ts uint32, lost bool) {
		if fatal == nil {
			fatal = p.frame(dec, frame, ts, lost, ssrc)
		}
	}
	for {
		pkt, _, err := track.ReadRTP()
		if err != nil {
			return
		}
		asm.push(pkt, p.cfg.Now(), emit)
		if fatal != nil {
			p.Close(fatal)
			return
		}
	}
}

// frame decodes one assembled VP8 frame; lost reports that packets before
// it were lost. It returns an error only when the peer must end.
func (p *Peer) frame(dec *vpx.Decoder, data []byte, ts uint32, lost bool, ssrc uint32) error {
	p.received.Add(1)
	key := vpx.IsKeyframe(data)
	if lost && !key {
		// Later frames refer to what was lost.
		p.waitKey = true
	}
	if p.waitKey && !key {
		p.skipped.Add(1)
		p.requestKeyframe(ssrc)
		return nil
	}
	start := time.Now()
	replaced, pacing, err := p.mb.decode(dec, data, p.frameTime(ts))
	p.decodeNs.Add(int64(time.Since(start)))
	switch {
	case err == nil:
		p.waitKey = false
		p.decoded.Add(1)
		switch {
		case replaced && pacing:
			p.rateLim.Add(1)
		case replaced:
			p.dropped.Add(1)
		}
	case errors.Is(err, vpx.ErrTooLarge):
		p.decodeErrs.Add(1)
		return fmt.Errorf("%w: %v", ErrFrameTooLarge, err)
	case errors.Is(err, vpx.ErrNoFrame):
	default:
		p.decodeErrs.Add(1)
		p.waitKey = true
		p.log.Debug("capture: decode", "err", err)
		p.requestKeyframe(ssrc)
	}
	return nil
}

// frameTime maps an RTP timestamp to the capture time (see FrameSink).
func (p *Peer) frameTime(ts uint32) time.Time {
	if p.t0.IsZero() {
		p.t0, p.ts0, p.tsLast = p.cfg.Now(), ts, ts
		return p.t0
	}
	p.tsAcc += int64(int32(ts - p.tsLast))
	p.tsLast = ts
	return p.t0.Add(time.Duration(p.tsAcc) * time.Second / 90000)
}

// requestKeyframe sends a PLI, at most one per PLIInterval.
func (p *Peer) requestKeyframe(ssrc uint32) {
	now := p.cfg.Now()
	if !p.lastPLI.IsZero() && now.Sub(p.lastPLI) < p.cfg.PLIInterval {
		return
	}
	p.lastPLI = now
	if err := p.pc.WriteRTCP([]rtcp.Packet{&rtcp.PictureLossIndication{MediaSSRC: ssrc}}); err != nil {
		p.log.Debug("capture: send PLI", "err", err)
		return
	}
	p.plis.Add(1)
}

// analyse is the peer's analysis goroutine: it paces, takes the newest
// frame and calls the sink, holding a slot of the global semaphore.
func (p *Peer) analyse() {
	defer p.wg.Done()
	pc := pacer{interval: p.sched.interval()}
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	var img image.Gray // swapped with the mailbox slot
	for {
		if d := pc.delay(p.cfg.Now()); d > 0 {
			p.mb.setPacing(true)
			err := sleep(p.ctx, timer, d)
			p.mb.setPacing(false)
			if err != nil {
				return
			}
		}
		select {
		case <-p.mb.ready:
		case <-p.ctx.Done():
			return
		}
		if err := p.sched.acquire(p.ctx); err != nil {
			return
		}
		if t, ok := p.mb.take(&img); ok {
			pc.started(p.cfg.Now())
			p.analysed.Add(1)
			p.sink.Frame(&img, t)
		}
		p.sched.release()
	}
}

// Stats returns the peer's counters.
func (p *Peer) Stats() Stats {
	return Stats{
		FramesReceived:    p.received.Load(),
		FramesDecoded:     p.decoded.Load(),
		FramesAnalysed:    p.analysed.Load(),
		FramesDropped:     p.dropped.Load(),
		FramesRateLimited: p.rateLim.Load(),
		FramesSkipped:     p.skipped.Load(),
		DecodeErrors:      p.decodeErrs.Load(),
		PLIsSent:          p.plis.Load(),
		DecodeTime:        time.Duration(p.decodeNs.Load()),
	}
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

// Close ends the peer with reason (nil: ErrClosed). It returns at once;
// the teardown runs on its own goroutine and Done is closed when it is
// complete. Messages sent just before are flushed first (best effort, up to
// 250 ms). Only the first call's reason is kept.
func (p *Peer) Close(reason error) {
	if reason == nil {
		reason = ErrClosed
	}
	p.closeOnce.Do(func() {
		p.reason = reason
		go p.teardown()
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
	p.cancel()
	if dc != nil && dc.ReadyState() == webrtc.DataChannelStateOpen {
		deadline := time.Now().Add(250 * time.Millisecond)
		for dc.BufferedAmount() > 0 && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
	}
	if err := p.pc.GracefulClose(); err != nil {
		p.log.Debug("capture: close peer connection", "err", err)
	}
	p.wg.Wait()
	p.log.Info("capture: peer closed", "reason", p.reason.Error(),
		"received", p.received.Load(), "decoded", p.decoded.Load(),
		"analysed", p.analysed.Load(), "dropped", p.dropped.Load(), "decode_errors", p.decodeErrs.Load())
	close(p.done)
}
