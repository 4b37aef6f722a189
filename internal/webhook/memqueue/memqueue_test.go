package memqueue_test

import (
	"testing"

	"github.com/livegate/livegate/internal/webhook"
	"github.com/livegate/livegate/internal/webhook/memqueue"
	"github.com/livegate/livegate/internal/webhook/webhooktest"
)

func TestQueue(t *testing.T) {
	webhooktest.TestQueue(t, func(*testing.T) webhook.Queue { return memqueue.New() })
}
