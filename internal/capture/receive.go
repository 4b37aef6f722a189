package capture

import (
	"errors"
	"fmt"
	"image"
	"strings"
	"time"

	"github.com/livegate/livegate/internal/codec/vpx"
	"github.com/pion/rtcp"
	"github.com/pion/webrtc/v4"
)

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

// The receiver: pion's OnTrack goroutine reassembles and decodes every
// frame into the mailbox; the analysis goroutine takes the newest one at
// the Scheduler's pace and hands it to the FrameSink. Both are in Peer.wg,
// which the teardown waits on.

// onTrack runs on pion's goroutine for each remote track; it returns when
// the track ends.
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
	var now time.Time // the arrival of the packet being pushed
	emit := func(frame []byte, ts uint32, lost bool) {
		if fatal == nil {
			fatal = p.frame(dec, frame, ts, lost, ssrc, now)
		}
	}
	for {
		pkt, _, err := track.ReadRTP()
		if err != nil {
			return
		}
		now = p.cfg.Now()
		asm.push(pkt, now, emit)
		if fatal != nil {
			p.Close(fatal)
			return
		}
	}
}

// frame decodes one assembled VP8 frame, complete at arrival; lost
// reports that packets before it were lost. It returns an error only when
// the peer must end.
//
// Every frame is decoded, also those the analysis will skip for its rate
// (FramesRateLimited): a VP8 inter frame is predicted from the last
// decoded frame (and the golden and altref ones), and a browser's
// single-layer stream refreshes the last-frame reference with every frame,
// so a frame not decoded corrupts all the frames after it until the next
// key frame. Only a frame that refreshes no reference could be skipped;
// browsers send those only with temporal layers (screen sharing,
// simulcast), and their flags sit in the bool-coded frame header. So the
// page asks the camera for the analysed rate instead (capture.js), and a
// stream above it pays its decoding here.
func (p *Peer) frame(dec *vpx.Decoder, data []byte, ts uint32, lost bool, ssrc uint32, arrival time.Time) error {
	p.n.received.Add(1)
	key := vpx.IsKeyframe(data)
	if lost && !key {
		// Later frames refer to what was lost.
		p.waitKey = true
	}
	if p.waitKey && !key {
		p.n.skipped.Add(1)
		p.requestKeyframe(ssrc)
		return nil
	}
	start := time.Now()
	capt := p.frameTime(ts)
	if p.watchFn != nil {
		p.sf = StreamFrame{Capture: capt, Arrival: arrival, RTP: float64(p.tsAcc) / 90000}
	}
	replaced, pacing, err := p.mb.decode(dec, data, capt, arrival, p.watchFn)
	p.n.decodeNs.Add(int64(time.Since(start)))
	switch {
	case err == nil:
		p.waitKey = false
		p.n.decoded.Add(1)
		switch {
		case replaced && pacing:
			p.n.rateLimited.Add(1)
		case replaced:
			p.n.dropped.Add(1)
		}
	case errors.Is(err, vpx.ErrTooLarge):
		p.n.decodeErrs.Add(1)
		return fmt.Errorf("%w: %v", ErrFrameTooLarge, err)
	case errors.Is(err, vpx.ErrNoFrame):
	default:
		p.n.decodeErrs.Add(1)
		p.waitKey = true
		p.log.Debug("capture: decode", "err", err)
		p.requestKeyframe(ssrc)
	}
	return nil
}

// watchFrame hands the StreamWatcher the frame just decoded into the
// mailbox (p.sf holds its times); bound once to p.watchFn so that the
// per-frame call allocates nothing.
func (p *Peer) watchFrame(img *image.YCbCr) {
	p.sf.Y, p.sf.Width, p.sf.Height, p.sf.Stride = img.Y, img.Rect.Dx(), img.Rect.Dy(), img.YStride
	p.watch.StreamFrame(&p.sf)
	p.sf.Y = nil
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
	p.n.plis.Add(1)
}

// analyse is the peer's analysis goroutine: it paces, takes the newest
// frame and calls the sink, holding a slot of the global semaphore.
func (p *Peer) analyse() {
	defer p.wg.Done()
	pc := pacer{interval: p.sched.interval()}
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	var img image.YCbCr // swapped with the mailbox slot
	colour, _ := p.sink.(ColourSink)
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
		if t, arrival, ok := p.mb.take(&img); ok {
			pc.started(p.cfg.Now())
			p.n.analysed.Add(1)
			g := GrayView(&img)
			f := Frame{Img: &g, T: t, Arrival: arrival}
			if colour != nil {
				f.Colour = &img
				colour.FrameColour(f)
			} else {
				p.sink.Frame(f)
			}
		}
		p.sched.release()
	}
}
