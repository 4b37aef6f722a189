package main

import (
	"bytes"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"
)

// TestParseMetricsKeysAsTheExpositionReads writes a registry the way the
// server's /metrics does and checks that every figure the summary reads
// comes back under its sample line's name.
func TestParseMetricsKeysAsTheExpositionReads(t *testing.T) {
	reg := prometheus.NewRegistry()
	frames := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "livegate_capture_frames_total"}, []string{"fate"})
	frames.WithLabelValues("decoded").Add(120)
	frames.WithLabelValues("dropped").Add(3)
	rss := prometheus.NewGauge(prometheus.GaugeOpts{Name: "process_resident_memory_bytes"})
	rss.Set(64 << 20)
	delay := prometheus.NewHistogram(prometheus.HistogramOpts{Name: "livegate_capture_frame_delay_seconds", Buckets: []float64{0.01, 0.05}})
	for _, v := range []float64{0.004, 0.02, 0.03, 2} {
		delay.Observe(v)
	}
	reg.MustRegister(frames, rss, delay)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	enc := expfmt.NewEncoder(&buf, expfmt.NewFormat(expfmt.TypeTextPlain))
	for _, mf := range mfs {
		if err := enc.Encode(mf); err != nil {
			t.Fatal(err)
		}
	}

	got, err := parseMetrics(&buf)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		key  string
		want float64
	}{
		{`livegate_capture_frames_total{fate="decoded"}`, 120},
		{`livegate_capture_frames_total{fate="dropped"}`, 3},
		{`process_resident_memory_bytes`, 64 << 20},
		{`livegate_capture_frame_delay_seconds_bucket{le="0.01"}`, 1},
		{`livegate_capture_frame_delay_seconds_bucket{le="0.05"}`, 3},
		{`livegate_capture_frame_delay_seconds_bucket{le="+Inf"}`, 4},
		{`livegate_capture_frame_delay_seconds_count`, 4},
		{`livegate_capture_frame_delay_seconds_sum`, 2.054},
	} {
		if v, ok := got[tc.key]; !ok || v != tc.want {
			t.Errorf("%s = %v (present %v); want %v", tc.key, v, ok, tc.want)
		}
	}
	if q := histogram(map[string]float64{}, got, "livegate_capture_frame_delay_seconds"); q.N != 4 || q.P50 != 50 {
		t.Errorf("quantiles of the parsed histogram %+v; want n 4, p50 50 ms", q)
	}
}

func TestParseMetricsRefusesGarbage(t *testing.T) {
	if _, err := parseMetrics(bytes.NewReader([]byte("not a metric line {\n"))); err == nil {
		t.Error("parseMetrics of garbage: no error")
	}
}
