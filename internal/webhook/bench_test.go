package webhook_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/livegate/livegate/internal/webhook"
)

// BenchmarkSign signs a 2 KiB body, about a finished session's JSON with
// its liveness breakdown.
func BenchmarkSign(b *testing.B) {
	body := bytes.Repeat([]byte("x"), 2048)
	now := time.Now()
	b.ReportAllocs()
	for b.Loop() {
		webhook.Sign([]string{secret}, now, body)
	}
}
