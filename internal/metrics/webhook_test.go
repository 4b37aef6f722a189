package metrics_test

import (
	"context"
	"errors"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/livegate/livegate/internal/metrics"
)

// gather returns every sample of reg by metric name and outcome label.
func gather(t *testing.T, reg *prometheus.Registry) map[string]float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			name := mf.GetName()
			for _, l := range m.GetLabel() {
				name += "/" + l.GetValue()
			}
			if c := m.GetCounter(); c != nil {
				out[name] = c.GetValue()
			} else {
				out[name] = m.GetGauge().GetValue()
			}
		}
	}
	return out
}

func TestWebhooks(t *testing.T) {
	reg := prometheus.NewRegistry()
	n, fail := 3, false
	w := metrics.NewWebhooks(reg, func(context.Context) (int, error) {
		if fail {
			return 0, errors.New("down")
		}
		return n, nil
	})
	w.Observe("retry")
	w.Observe("retry")
	w.Observe("delivered")
	got := gather(t, reg)
	for k, v := range map[string]float64{
		"livegate_webhook_deliveries_total/retry":     2,
		"livegate_webhook_deliveries_total/delivered": 1,
		"livegate_webhook_deliveries_total/failed":    0,
		"livegate_webhook_deliveries_total/refused":   0,
		"livegate_webhook_queue_length":               3,
	} {
		if g, ok := got[k]; !ok || g != v {
			t.Errorf("%s: got %v (present %v); want %v", k, g, ok, v)
		}
	}
	fail = true
	if g := gather(t, reg)["livegate_webhook_queue_length"]; g != -1 {
		t.Errorf("queue length when the queue fails: got %v; want -1", g)
	}
}
