package redisstore

import (
	"context"
	"errors"
	"fmt"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/livegate/livegate/internal/session"
)

// TestUnavailable: what says Redis cannot serve becomes the domain's
// unavailable with a Retry-After; everything else keeps its meaning.
func TestUnavailable(t *testing.T) {
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}
	for _, tt := range []struct {
		name   string
		err    error
		outage bool
	}{
		{"connection refused", refused, true},
		{"wrapped refused", fmt.Errorf("get: %w", refused), true},
		{"reset", syscall.ECONNRESET, true},
		{"client closed", redis.ErrClosed, true},
		{"pool timeout", redis.ErrPoolTimeout, true},
		{"timeout", context.DeadlineExceeded, true},
		{"missing key", redis.Nil, false},
		{"transaction conflict", redis.TxFailedErr, false},
		{"caller gone", context.Canceled, false},
		{"decode", errors.New("invalid character"), false},
	} {
		err := unavailable(tt.err)
		var ra interface{ RetryAfter() time.Duration }
		got := session.ErrorCode(err) == session.EUnavailable && errors.As(err, &ra) && ra.RetryAfter() == OutageRetryAfter
		if got != tt.outage {
			t.Errorf("%s: outage %v; want %v (%v)", tt.name, got, tt.outage, err)
		}
		if !errors.Is(err, tt.err) {
			t.Errorf("%s: the cause is lost", tt.name)
		}
		if tt.outage && session.ErrorMessage(err) != "session store unavailable, try again shortly" {
			t.Errorf("%s: message %q", tt.name, session.ErrorMessage(err))
		}
	}
	if unavailable(nil) != nil {
		t.Error("unavailable(nil) != nil")
	}
}
