package main

import (
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// summary is the last line.
type summary struct {
	Summary  bool           `json:"summary"`
	Sessions int            `json:"sessions"`
	Outcomes map[string]int `json:"outcomes"`
	WallS    float64        `json:"wall_s"`
	// FirstInstructionMS: time from ready to the first instruction.
	FirstInstructionMS pct `json:"first_instruction_ms"`
	// TruthToMatchMS: from the clip's truth threshold crossing to the
	// matched message (includes the challenge's hold time, 130 ms at
	// least by design, and the frame interval).
	TruthToMatchMS pct `json:"truth_to_match_ms"`
	// ClientCPUCores is this process's CPU time over the wall time: the
	// share of the machine the client itself took.
	ClientCPUCores float64 `json:"client_cpu_cores"`
	// Server figures, from /metrics before and after the run.
	Server *serverFigures `json:"server,omitempty"`
}

type pct struct {
	N   int     `json:"n"`
	P50 float64 `json:"p50"`
	P95 float64 `json:"p95"`
	P99 float64 `json:"p99"`
	Max float64 `json:"max"`
}

type serverFigures struct {
	FramesDecoded  float64 `json:"frames_decoded"`
	FramesAnalysed float64 `json:"frames_analysed"`
	FramesDropped  float64 `json:"frames_dropped"`
	// DroppedPct is dropped over decoded (overload drops; frames skipped
	// by the analysis rate are not counted).
	DroppedPct float64 `json:"dropped_pct"`
	// FrameDelayMS: frame-to-decision delay (capture time to the end of
	// its analysis), upper bounds of the histogram buckets holding the
	// quantiles.
	FrameDelayMS      pct     `json:"frame_delay_ms_le"`
	AnalysisMeanMS    float64 `json:"analysis_mean_ms"`
	CPUSecondsPerSess float64 `json:"cpu_seconds_per_session"`
	CPUCoresUsed      float64 `json:"cpu_cores_used"`
	// CPUPerSessionSecond is the server's CPU time over the sessions'
	// summed wall time (result.WallS): the share of a core one live
	// session takes.
	CPUPerSessionSecond float64 `json:"cpu_per_session_second"`
	// CPUMSPerAnalysedFrame is the server's CPU time over the frames it
	// analysed: everything (WebRTC, decoding, the engine, the API) per
	// analysed frame, to set against the engine's per-frame benchmark.
	CPUMSPerAnalysedFrame float64 `json:"cpu_ms_per_analysed_frame"`
	RSSPeakMB             float64 `json:"rss_peak_mb"`
	RSSPerSessionMB       float64 `json:"rss_per_session_mb"`
}

func (r *runner) summary(results []result, before, after map[string]float64, peakRSS float64, wall, cpu time.Duration) int {
	s := summary{Summary: true, Sessions: len(results), Outcomes: map[string]int{}, WallS: round(wall.Seconds()),
		ClientCPUCores: round4(cpu.Seconds() / wall.Seconds())}
	var first, delays []float64
	code := 0
	for _, res := range results {
		s.Outcomes[res.Outcome]++
		if res.FirstInstruction > 0 {
			first = append(first, res.FirstInstruction)
		}
		delays = append(delays, res.DelaysMS...)
		switch res.Outcome {
		case "success":
		case "failed", "attempt_failed":
			code = max(code, 1)
		default:
			code = 2
		}
	}
	s.FirstInstructionMS = percentiles(first)
	s.TruthToMatchMS = percentiles(delays)
	if before != nil && after != nil {
		d := func(k string) float64 { return after[k] - before[k] }
		f := &serverFigures{
			FramesDecoded:  d(`livegate_capture_frames_total{fate="decoded"}`),
			FramesAnalysed: d(`livegate_capture_frames_total{fate="analysed"}`),
			FramesDropped:  d(`livegate_capture_frames_total{fate="dropped"}`),
		}
		if f.FramesDecoded > 0 {
			f.DroppedPct = round(100 * f.FramesDropped / f.FramesDecoded)
		}
		if n := d("livegate_capture_analysis_seconds_count"); n > 0 {
			f.AnalysisMeanMS = round(1000 * d("livegate_capture_analysis_seconds_sum") / n)
		}
		f.FrameDelayMS = histogram(before, after, "livegate_capture_frame_delay_seconds")
		cpu := d("process_cpu_seconds_total")
		f.CPUSecondsPerSess = round(cpu / float64(len(results)))
		f.CPUCoresUsed = round(cpu / wall.Seconds())
		var sessS float64
		for _, res := range results {
			sessS += res.WallS
		}
		if sessS > 0 {
			f.CPUPerSessionSecond = round4(cpu / sessS)
		}
		if f.FramesAnalysed > 0 {
			f.CPUMSPerAnalysedFrame = round(1000 * cpu / f.FramesAnalysed)
		}
		f.RSSPeakMB = round(peakRSS / (1 << 20))
		f.RSSPerSessionMB = round(max(0, peakRSS-before["process_resident_memory_bytes"]) / (1 << 20) / float64(len(results)))
		s.Server = f
	}
	r.print(s)
	return code
}

func percentiles(v []float64) pct {
	if len(v) == 0 {
		return pct{}
	}
	slices.Sort(v)
	q := func(p float64) float64 { return round(v[min(len(v)-1, int(math.Ceil(p*float64(len(v))))-1)]) }
	return pct{N: len(v), P50: q(0.5), P95: q(0.95), P99: q(0.99), Max: round(v[len(v)-1])}
}

// histogram estimates quantiles of a Prometheus histogram's increase
// between two scrapes: each is the upper bound of the bucket that holds it.
func histogram(before, after map[string]float64, name string) pct {
	type bucket struct{ le, n float64 }
	var bs []bucket
	for k, v := range after {
		rest, ok := strings.CutPrefix(k, name+`_bucket{le="`)
		if !ok {
			continue
		}
		le, err := strconv.ParseFloat(strings.TrimSuffix(rest, `"}`), 64)
		if err != nil {
			continue
		}
		bs = append(bs, bucket{le, v - before[k]})
	}
	slices.SortFunc(bs, func(a, b bucket) int {
		switch {
		case a.le < b.le:
			return -1
		case a.le > b.le:
			return 1
		}
		return 0
	})
	if len(bs) == 0 || bs[len(bs)-1].n == 0 {
		return pct{}
	}
	total := bs[len(bs)-1].n
	q := func(p float64) float64 {
		for _, b := range bs {
			if b.n >= p*total {
				return round(b.le * 1000)
			}
		}
		return math.Inf(1)
	}
	return pct{N: int(total), P50: q(0.5), P95: q(0.95), P99: q(0.99), Max: q(1)}
}

func ms(d time.Duration) float64 { return round(float64(d) / float64(time.Millisecond)) }

func round(v float64) float64 { return math.Round(v*10) / 10 }

// round4 keeps four decimals, for shares of a core.
func round4(v float64) float64 { return math.Round(v*1e4) / 1e4 }
