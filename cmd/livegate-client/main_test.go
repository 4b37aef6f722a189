package main

import (
	"bytes"
	"context"
	"testing"
)

func TestHistogramQuantilesFromScrapes(t *testing.T) {
	name := "livegate_capture_frame_delay_seconds"
	before := map[string]float64{name + `_bucket{le="0.01"}`: 5, name + `_bucket{le="0.05"}`: 5, name + `_bucket{le="0.15"}`: 5, name + `_bucket{le="+Inf"}`: 5}
	// 100 new observations: 90 under 10 ms, 8 under 50 ms, 2 under 150 ms.
	after := map[string]float64{name + `_bucket{le="0.01"}`: 95, name + `_bucket{le="0.05"}`: 103, name + `_bucket{le="0.15"}`: 105, name + `_bucket{le="+Inf"}`: 105}
	got := histogram(before, after, name)
	if got.N != 100 || got.P50 != 10 || got.P95 != 50 || got.P99 != 150 {
		t.Errorf("quantiles %+v; want n 100, p50 10, p95 50, p99 150 ms", got)
	}
}

func TestPercentiles(t *testing.T) {
	v := make([]float64, 100)
	for i := range v {
		v[i] = float64(100 - i) // 100 … 1
	}
	got := percentiles(v)
	if got.N != 100 || got.P50 != 50 || got.P95 != 95 || got.P99 != 99 || got.Max != 100 {
		t.Errorf("percentiles %+v; want 50, 95, 99, max 100", got)
	}
}

func TestBadArgumentsExit2(t *testing.T) {
	for _, args := range [][]string{
		{},
		{"-clip", "x.y4m"},
		{"-clip", "x.y4m", "-page", "http://h/s/abc", "-n", "3"},
		{"-clip", "/nonexistent.y4m", "-page", "http://h/s/abc"},
		{"-clip", "x.y4m", "-react", "face.jpg", "-page", "http://h/s/abc"},
		{"-react", "/nonexistent.jpg", "-page", "http://h/s/abc"},
		{"-react", "face.jpg", "-reaction", "0.2s", "-jitter", "0.3s", "-page", "http://h/s/abc"},
	} {
		var out, errb bytes.Buffer
		if code := run(context.Background(), args, &out, &errb); code != 2 || errb.Len() == 0 {
			t.Errorf("args %v: exit %d, stderr %q; want 2 with a message", args, code, errb.String())
		}
	}
}
