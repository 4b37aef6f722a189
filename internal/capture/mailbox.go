package capture

import (
	"image"
	"sync"
	"time"

	"github.com/livegate/livegate/internal/codec/vpx"
)

// mailbox is a peer's single-slot hand-off from the receive goroutine to
// the analysis goroutine. The decoder writes straight into the slot; the
// consumer takes the frame by swapping the slot's buffer with its own, so
// neither side ever touches a buffer the other is using and, once the two
// buffers have grown to the frame size, nothing is allocated.
type mailbox struct {
	mu      sync.Mutex
	slot    image.Gray
	t       time.Time
	arrival time.Time
	full    bool
	// pacing: the consumer is waiting for its next analysis slot, so a
	// frame replaced now is skipped by the rate limit, not by overload.
	pacing bool
	ready  chan struct{} // capacity 1: "the slot may be full"
}

func newMailbox() *mailbox {
	return &mailbox{ready: make(chan struct{}, 1)}
}

// decode decodes frame into the slot. replaced reports that a frame the
// consumer had not taken was overwritten, and pacing whether the consumer
// was then waiting for the rate limit. On error the slot is unchanged.
func (m *mailbox) decode(dec *vpx.Decoder, frame []byte, t, arrival time.Time) (replaced, pacing bool, err error) {
	m.mu.Lock()
	_, err = dec.DecodeGray(frame, &m.slot)
	if err == nil {
		replaced, pacing = m.full, m.pacing
		m.full = true
		m.t, m.arrival = t, arrival
	}
	m.mu.Unlock()
	if err == nil {
		select {
		case m.ready <- struct{}{}:
		default:
		}
	}
	return replaced, pacing, err
}

func (m *mailbox) setPacing(p bool) {
	m.mu.Lock()
	m.pacing = p
	m.mu.Unlock()
}

// take swaps the slot's frame into dst and reports its capture and
// arrival times, or ok=false when the slot is empty.
func (m *mailbox) take(dst *image.Gray) (t, arrival time.Time, ok bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.full {
		return time.Time{}, time.Time{}, false
	}
	*dst, m.slot = m.slot, *dst
	m.full = false
	return m.t, m.arrival, true
}
