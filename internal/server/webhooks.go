package server

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"github.com/livegate/livegate/internal/api"
	"github.com/livegate/livegate/internal/metrics"
	"github.com/livegate/livegate/internal/session"
	"github.com/livegate/livegate/internal/webhook"
	"github.com/livegate/livegate/internal/webhook/memqueue"
	"github.com/livegate/livegate/internal/webhook/redisqueue"
)

// openWebhookQueue returns the webhook queue beside the session store: in
// Redis (durable, shared by every instance, under the store's prefix) when
// REDIS_URL is set, else in memory. The Redis queue has a client of its
// own, so that the store's wiring stays as it is.
func openWebhookQueue(cfg *config) (webhook.Queue, func(), error) {
	if cfg.RedisURL == "" {
		return memqueue.New(), func() {}, nil
	}
	opts, err := redis.ParseURL(cfg.RedisURL)
	if err != nil {
		return nil, nil, fmt.Errorf("REDIS_URL: %v", err)
	}
	client := redis.NewClient(opts)
	return redisqueue.New(client, cfg.RedisPrefix), func() { _ = client.Close() }, nil
}

// webhookChecker is the API's check of a webhook_url, or nil (503) when no
// secret is configured.
func webhookChecker(cfg *config) api.WebhookChecker {
	if cfg.WebhookSecrets == nil {
		return nil
	}
	return webhook.Checker{Guard: cfg.WebhookGuard, Secrets: cfg.WebhookSecrets}
}

// startWebhooks runs the dispatcher until the returned stop is called. The
// body of a delivery is the API's own JSON of the session (api.Handler's
// SessionJSON, from a handler with the same public URL and spoof bands as
// the one served), so a webhook says exactly what GET says.
func startWebhooks(ctx context.Context, cfg *config, q webhook.Queue, store session.Store, reg prometheus.Registerer, log *slog.Logger, now func() time.Time) (func(), error) {
	view, err := api.New(api.Config{Store: store, Keys: cfg.Keys, PublicURL: cfg.PublicURL, Now: now, SpoofBands: cfg.SpoofBands})
	if err != nil {
		return nil, err
	}
	m := metrics.NewWebhooks(reg, q.Len)
	d, err := webhook.NewDispatcher(webhook.Config{
		Queue: q, Sessions: store, Render: view.SessionJSON, Secrets: cfg.WebhookSecrets,
		Guard: cfg.WebhookGuard, Now: now, Logger: log, Observe: m.Observe,
	})
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	wg.Go(func() { d.Run(ctx) })
	return func() { cancel(); wg.Wait() }, nil
}
