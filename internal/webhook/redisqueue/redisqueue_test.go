package redisqueue_test

import (
	"testing"

	"github.com/livegate/livegate/internal/session/sessiontest"
	"github.com/livegate/livegate/internal/webhook"
	"github.com/livegate/livegate/internal/webhook/redisqueue"
	"github.com/livegate/livegate/internal/webhook/webhooktest"
)

func TestQueue(t *testing.T) {
	c := sessiontest.RedisClient(t)
	webhooktest.TestQueue(t, func(t *testing.T) webhook.Queue {
		// A client per queue, as separate instances have.
		return redisqueue.New(sessiontest.RedisClient(t), sessiontest.RedisPrefix(t, c))
	})
}
