package client

import (
	"sync"

	"github.com/pion/interceptor"
	"github.com/pion/rtp"
)

// lossFactory makes the interceptor behind Options.DropPacket. It sits
// inside the NACK responder, so retransmissions pass through it too and
// are counted as further attempts of the same sequence number.
type lossFactory struct {
	drop func(seq uint16, attempt int) bool
}

func (f *lossFactory) NewInterceptor(string) (interceptor.Interceptor, error) {
	return &lossInterceptor{drop: f.drop, attempts: map[uint16]int{}}, nil
}

type lossInterceptor struct {
	interceptor.NoOp
	drop     func(seq uint16, attempt int) bool
	mu       sync.Mutex
	attempts map[uint16]int
}

func (l *lossInterceptor) BindLocalStream(_ *interceptor.StreamInfo, w interceptor.RTPWriter) interceptor.RTPWriter {
	return interceptor.RTPWriterFunc(func(h *rtp.Header, payload []byte, a interceptor.Attributes) (int, error) {
		l.mu.Lock()
		n := l.attempts[h.SequenceNumber]
		l.attempts[h.SequenceNumber] = n + 1
		l.mu.Unlock()
		if l.drop(h.SequenceNumber, n) {
			return len(payload) + h.MarshalSize(), nil // "sent", lost on the way
		}
		return w.Write(h, payload, a)
	})
}
