package live

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/livegate/livegate/internal/capture"
)

// metrics are the Service's Prometheus metrics. The frame counters are
// collected on scrape from the running peers' Stats plus the totals of the
// peers that ended, so they are current while connections run.
type metrics struct {
	s            *Service
	connections  prometheus.Gauge
	refused      prometheus.Counter
	attempts     *prometheus.CounterVec
	resumes      prometheus.Counter
	savesPending prometheus.Gauge
	analysis     prometheus.Histogram
	delay        prometheus.Histogram
	frames       *prometheus.Desc
}

func newMetrics(s *Service) *metrics {
	return &metrics{
		s: s,
		connections: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "livegate_capture_live_connections",
			Help: "Live capture connections (WebRTC peers) running now.",
		}),
		refused: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "livegate_capture_offers_refused_full_total",
			Help: "Offers refused with 503 because the live-connection cap was reached.",
		}),
		attempts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "livegate_capture_attempts_total",
			Help: "Ended attempts by outcome: MATCH, NOT_MATCH, face not detected, too many faces detected, timeout, connection_lost, canceled, handed_back.",
		}, []string{"outcome"}),
		resumes: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "livegate_capture_attempt_resumes_total",
			Help: "Open attempts resumed by a new connection before any gesture was asked (only the first resume of an attempt is audited).",
		}),
		savesPending: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "livegate_capture_results_pending",
			Help: "Session results the store refused (an outage) that are being written again with backoff.",
		}),
		analysis: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "livegate_capture_analysis_seconds",
			Help:    "Time to analyse one frame (engine and challenge).",
			Buckets: []float64{.001, .002, .004, .006, .008, .01, .015, .02, .03, .05, .1, .25},
		}),
		delay: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "livegate_capture_frame_delay_seconds",
			Help:    "Frame-to-decision delay: from a frame's capture time (sender's clock anchored at the first frame's arrival) to the end of its analysis.",
			Buckets: []float64{.005, .01, .02, .03, .05, .075, .1, .15, .2, .3, .5, 1, 2},
		}),
		frames: prometheus.NewDesc("livegate_capture_frames_total",
			"Video frames by fate: received (assembled), decoded, analysed, dropped (overload), rate_limited (above the analysis rate), skipped (waiting for a key frame), decode_error.",
			[]string{"fate"}, nil),
	}
}

func (m *metrics) register(r prometheus.Registerer) error {
	var errs []error
	for _, c := range []prometheus.Collector{m.connections, m.refused, m.attempts, m.resumes, m.savesPending, m.analysis, m.delay, m} {
		errs = append(errs, r.Register(c))
	}
	return errors.Join(errs...)
}

// Describe is part of prometheus.Collector (the frame counters).
func (m *metrics) Describe(ch chan<- *prometheus.Desc) { ch <- m.frames }

// Collect is part of prometheus.Collector (the frame counters).
func (m *metrics) Collect(ch chan<- prometheus.Metric) {
	t := m.s.FrameStats()
	for _, f := range []struct {
		fate string
		n    uint64
	}{
		{"received", t.FramesReceived}, {"decoded", t.FramesDecoded}, {"analysed", t.FramesAnalysed},
		{"dropped", t.FramesDropped}, {"rate_limited", t.FramesRateLimited}, {"skipped", t.FramesSkipped},
		{"decode_error", t.DecodeErrors},
	} {
		ch <- prometheus.MustNewConstMetric(m.frames, prometheus.CounterValue, float64(f.n), f.fate)
	}
}

// FrameStats sums the frame counters of every connection since the start.
func (s *Service) FrameStats() capture.Stats {
	s.mu.Lock()
	t := s.ended
	conns := make([]*conn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	for _, c := range conns {
		st := c.peer.Stats()
		t.FramesReceived += st.FramesReceived
		t.FramesDecoded += st.FramesDecoded
		t.FramesAnalysed += st.FramesAnalysed
		t.FramesDropped += st.FramesDropped
		t.FramesRateLimited += st.FramesRateLimited
		t.FramesSkipped += st.FramesSkipped
		t.DecodeErrors += st.DecodeErrors
	}
	return t
}
