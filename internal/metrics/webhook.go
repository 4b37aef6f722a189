package metrics

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Webhooks counts webhook attempts by outcome and reports the queue's
// length when scraped.
type Webhooks struct {
	deliveries *prometheus.CounterVec
}

// NewWebhooks registers livegate_webhook_deliveries_total and
// livegate_webhook_queue_length on reg; queueLen is asked at each scrape
// (with a deadline of a second; an error reports -1).
func NewWebhooks(reg prometheus.Registerer, queueLen func(context.Context) (int, error)) *Webhooks {
	w := &Webhooks{deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "livegate_webhook_deliveries_total",
		Help: "Webhook attempts by outcome: delivered, retry (failed, retried later), failed (given up after the retry window), refused (target address refused).",
	}, []string{"outcome"})}
	for _, o := range []string{"delivered", "retry", "failed", "refused"} {
		w.deliveries.WithLabelValues(o)
	}
	reg.MustRegister(w.deliveries, prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "livegate_webhook_queue_length",
		Help: "Webhook jobs queued: sessions with a webhook_url not yet ended, and deliveries not yet made or given up.",
	}, func() float64 {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		n, err := queueLen(ctx)
		if err != nil {
			return -1
		}
		return float64(n)
	}))
	return w
}

// Observe counts one attempt's outcome.
func (w *Webhooks) Observe(outcome string) { w.deliveries.WithLabelValues(outcome).Inc() }
