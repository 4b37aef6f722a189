package capture

import (
	"time"

	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
)

// assembler rebuilds VP8 frames from RTP packets. It replaces pion's
// samplebuilder, which holds every frame until the next frame's first
// packet arrives (one frame interval of latency) and, with a packet lost
// for good, waits for maxLate more packets (seconds) before moving on.
//
// A frame is emitted as soon as its packets, from the one starting
// partition 0 to the one with the marker bit, are all present with
// consecutive sequence numbers. Packets may arrive out of order (NACK
// retransmissions): a gap is waited for while the oldest packet held
// behind it arrived less than maxDelay ago (wall time: recovery takes
// round trips, whatever the stream's pace) and the newest packet is less
// than maxLate packets ahead; then the frames behind the gap are given up
// and the next emitted frame is flagged lost, so the caller waits for a
// key frame.
type assembler struct {
	ring     [ringSize]*rtp.Packet
	arrived  [ringSize]time.Time
	started  bool
	head     uint16 // sequence number of the oldest packet not yet consumed
	newest   uint16
	now      time.Time // arrival time of the packet being pushed
	maxLate  uint16
	maxDelay time.Duration
	lost     bool   // packets were given up since the last emitted frame
	frame    []byte // reused frame buffer
	vp8      codecs.VP8Packet
}

const ringSize = 1024 // > maxLate

func newAssembler(maxLate uint16, maxDelay time.Duration) *assembler {
	if maxLate >= ringSize {
		maxLate = ringSize - 1
	}
	return &assembler{maxLate: maxLate, maxDelay: maxDelay}
}

// push adds one packet, arrived at now, and calls emit for every frame it
// completes. frame is valid only during the call; lost reports that
// packets before it were given up (or a payload was malformed).
func (a *assembler) push(p *rtp.Packet, now time.Time, emit func(frame []byte, ts uint32, lost bool)) {
	seq := p.SequenceNumber
	a.now = now
	if !a.started {
		a.started, a.head, a.newest = true, seq, seq
	}
	d := int16(seq - a.head)
	if d < 0 {
		return // late: its frame was emitted or given up
	}
	if int(d) >= ringSize {
		// Far ahead (a sender restart or a long outage): start over.
		a.reset(seq)
	}
	slot := &a.ring[seq%ringSize]
	if *slot != nil {
		return // duplicate
	}
	*slot = p
	a.arrived[seq%ringSize] = now
	if int16(seq-a.newest) > 0 {
		a.newest = seq
	}
	a.drain(emit)
}

func (a *assembler) reset(seq uint16) {
	for i := range a.ring {
		a.ring[i] = nil
	}
	a.head, a.newest = seq, seq
	a.lost = true
}

func (a *assembler) at(seq uint16) *rtp.Packet { return a.ring[seq%ringSize] }

// behind reports whether waiting longer for the packets at the head is
// pointless: the newest packet is maxLate packets past the head, or the
// oldest packet held (sequence number seq) waited more than maxDelay.
func (a *assembler) behind(seq uint16) bool {
	return uint16(a.newest-a.head) >= a.maxLate || (a.maxDelay > 0 && a.now.Sub(a.arrived[seq%ringSize]) > a.maxDelay)
}

func (a *assembler) drain(emit func(frame []byte, ts uint32, lost bool)) {
	for int16(a.newest-a.head) >= 0 {
		p := a.at(a.head)
		if p == nil {
			// A gap at the head: wait for it, unless the oldest packet
			// after it is too old.
			next := a.head
			for a.at(next) == nil && next != a.newest {
				next++
			}
			if !a.behind(next) {
				return
			}
			a.head++
			a.lost = true
			continue
		}
		if !a.frameStart(p) {
			// The rest of a frame whose start was given up.
			a.release(a.head)
			a.head++
			a.lost = true
			continue
		}
		n, complete := a.frameLen(p.Timestamp)
		if !complete {
			if !a.behind(a.head) {
				return
			}
			// Give up this frame; the loop drops its packets as orphans.
			a.release(a.head)
			a.head++
			a.lost = true
			continue
		}
		a.frame = a.frame[:0]
		ok := true
		for i := uint16(0); i < n; i++ {
			q := a.at(a.head + i)
			payload, err := a.vp8.Unmarshal(q.Payload)
			if err != nil {
				ok = false
			}
			a.frame = append(a.frame, payload...)
			a.release(a.head + i)
		}
		a.head += n
		if !ok || len(a.frame) == 0 {
			a.lost = true
			continue
		}
		lost := a.lost
		a.lost = false
		emit(a.frame, p.Timestamp, lost)
	}
}

// frameLen counts the packets of the frame starting at head: consecutive
// packets with timestamp ts up to the one with the marker bit (or up to
// the first packet of the next frame, for senders that omit the marker).
func (a *assembler) frameLen(ts uint32) (n uint16, complete bool) {
	for n = 0; n < a.maxLate; n++ {
		q := a.at(a.head + n)
		if q == nil {
			return 0, false
		}
		if q.Timestamp != ts {
			return n, true
		}
		if q.Marker {
			return n + 1, true
		}
	}
	return 0, false
}

// frameStart reports whether p starts a VP8 frame (S bit, partition 0).
func (a *assembler) frameStart(p *rtp.Packet) bool {
	b := p.Payload
	return len(b) > 0 && b[0]&0x10 != 0 && b[0]&0x07 == 0
}

func (a *assembler) release(seq uint16) { a.ring[seq%ringSize] = nil }
