package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// scrape reads the server's /metrics into "name{labels}" → value.
func (r *runner) scrape(ctx context.Context) (map[string]float64, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", r.o.server+"/metrics", nil)
	if err != nil {
		return nil, err
	}
	resp, err := r.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("/metrics: %d", resp.StatusCode)
	}
	return parseMetrics(resp.Body)
}

// parseMetrics reads a Prometheus text exposition into one value per
// sample, keyed as the sample's line reads: name{label="value",…}, with a
// histogram's _bucket (le last), _sum and _count series and a summary's
// quantiles, _sum and _count. The summary only subtracts two scrapes, so a
// flat map is all it needs.
func parseMetrics(in io.Reader) (map[string]float64, error) {
	p := expfmt.NewTextParser(model.UTF8Validation)
	families, err := p.TextToMetricFamilies(in)
	if err != nil {
		return nil, fmt.Errorf("/metrics: %w", err)
	}
	m := map[string]float64{}
	for name, mf := range families {
		for _, x := range mf.GetMetric() {
			flatten(m, name, x)
		}
	}
	return m, nil
}

// flatten adds the samples of metric x of family name to m.
func flatten(m map[string]float64, name string, x *dto.Metric) {
	labels := x.GetLabel()
	switch {
	case x.Counter != nil:
		m[sampleKey(name, labels, "", "")] = x.GetCounter().GetValue()
	case x.Gauge != nil:
		m[sampleKey(name, labels, "", "")] = x.GetGauge().GetValue()
	case x.Untyped != nil:
		m[sampleKey(name, labels, "", "")] = x.GetUntyped().GetValue()
	case x.Histogram != nil:
		h := x.GetHistogram()
		count := float64(h.GetSampleCount()) + h.GetSampleCountFloat()
		inf := false
		for _, b := range h.GetBucket() {
			le := b.GetUpperBound()
			inf = inf || math.IsInf(le, 1)
			m[sampleKey(name+"_bucket", labels, model.BucketLabel, formatFloat(le))] =
				float64(b.GetCumulativeCount()) + b.GetCumulativeCountFloat()
		}
		if !inf {
			// Every exposition has the +Inf bucket; the quantiles take
			// their total from it.
			m[sampleKey(name+"_bucket", labels, model.BucketLabel, "+Inf")] = count
		}
		m[sampleKey(name+"_sum", labels, "", "")] = h.GetSampleSum()
		m[sampleKey(name+"_count", labels, "", "")] = count
	case x.Summary != nil:
		s := x.GetSummary()
		for _, q := range s.GetQuantile() {
			m[sampleKey(name, labels, model.QuantileLabel, formatFloat(q.GetQuantile()))] = q.GetValue()
		}
		m[sampleKey(name+"_sum", labels, "", "")] = s.GetSampleSum()
		m[sampleKey(name+"_count", labels, "", "")] = float64(s.GetSampleCount())
	}
}

// sampleKey is name{labels} as in the exposition, with the extra label
// (le or quantile) last when not empty; no braces without labels.
func sampleKey(name string, labels []*dto.LabelPair, extra, value string) string {
	if len(labels) == 0 && extra == "" {
		return name
	}
	var b strings.Builder
	b.WriteString(name)
	b.WriteByte('{')
	sep := ""
	for _, l := range labels {
		fmt.Fprintf(&b, "%s%s=%q", sep, l.GetName(), l.GetValue())
		sep = ","
	}
	if extra != "" {
		fmt.Fprintf(&b, "%s%s=%q", sep, extra, value)
	}
	b.WriteByte('}')
	return b.String()
}

// formatFloat writes a bucket bound or quantile as Prometheus does
// (0.005, 1, +Inf).
func formatFloat(v float64) string {
	if math.IsInf(v, 1) {
		return "+Inf"
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}
