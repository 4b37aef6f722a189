package capture

import (
	"sync/atomic"
	"time"
)

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

// counters are a peer's live Stats. They are atomics because the receive
// goroutine counts while Peer.Stats may be read from any goroutine (the
// metrics scrape, the owner's log line).
type counters struct {
	received    atomic.Uint64
	decoded     atomic.Uint64
	analysed    atomic.Uint64
	dropped     atomic.Uint64
	rateLimited atomic.Uint64
	skipped     atomic.Uint64
	decodeErrs  atomic.Uint64
	plis        atomic.Uint64
	decodeNs    atomic.Int64
}

// snapshot reads every counter; each is exact, the set is not one instant.
func (c *counters) snapshot() Stats {
	return Stats{
		FramesReceived:    c.received.Load(),
		FramesDecoded:     c.decoded.Load(),
		FramesAnalysed:    c.analysed.Load(),
		FramesDropped:     c.dropped.Load(),
		FramesRateLimited: c.rateLimited.Load(),
		FramesSkipped:     c.skipped.Load(),
		DecodeErrors:      c.decodeErrs.Load(),
		PLIsSent:          c.plis.Load(),
		DecodeTime:        time.Duration(c.decodeNs.Load()),
	}
}

// Stats returns the peer's counters.
func (p *Peer) Stats() Stats { return p.n.snapshot() }
