package main

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"
)

// TestSummaryCPUFigures: the server's CPU between two scrapes is divided by
// the sessions' summed wall time and by the frames it analysed.
func TestSummaryCPUFigures(t *testing.T) {
	var buf bytes.Buffer
	r := &runner{out: json.NewEncoder(&buf)}
	before := map[string]float64{"process_cpu_seconds_total": 10, `livegate_capture_frames_total{fate="analysed"}`: 100}
	after := map[string]float64{"process_cpu_seconds_total": 13, `livegate_capture_frames_total{fate="analysed"}`: 700}
	results := []result{{Outcome: "success", WallS: 10}, {Outcome: "success", WallS: 30}}
	if code := r.summary(results, before, after, 0, 20*time.Second, 2*time.Second); code != 0 {
		t.Fatalf("exit code %d", code)
	}
	var s summary
	if err := json.Unmarshal(buf.Bytes(), &s); err != nil {
		t.Fatal(err)
	}
	f := s.Server
	if f == nil {
		t.Fatal("no server figures")
	}
	// 3 CPU-seconds over 40 session-seconds; 3000 ms over 600 frames.
	if f.CPUPerSessionSecond != 0.075 || f.CPUMSPerAnalysedFrame != 5 || f.CPUSecondsPerSess != 1.5 {
		t.Errorf("cpu per session-second %v (want 0.075), ms per analysed frame %v (want 5), per session %v (want 1.5)",
			f.CPUPerSessionSecond, f.CPUMSPerAnalysedFrame, f.CPUSecondsPerSess)
	}
	if s.ClientCPUCores != 0.1 {
		t.Errorf("client cores %v, want 0.1 (2 s over 20 s)", s.ClientCPUCores)
	}
}
