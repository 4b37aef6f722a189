package pad_test

import (
	"bytes"
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/livegate/livegate/internal/pad"
)

func samples(species string, scores ...float64) []pad.Sample {
	out := make([]pad.Sample, len(scores))
	for i, s := range scores {
		out[i] = pad.Sample{Path: species + "/" + string(rune('a'+i)), Species: species, Score: s}
	}
	return out
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

// The fixture, by hand: 20 bona fide scores, of which 30 and 45 are under
// the pass mark 50 (BPCER 2/20 = 10 %); print has one of 5 at or over 50
// (APCER 20 %), replay 2 of 4 (50 %, the worst: APCER_AP); ACER (50+10)/2.
var (
	bona = []float64{30, 45, 52, 55, 60, 62, 64, 66, 68, 70, 72, 74, 76, 78, 80, 82, 84, 86, 88, 90}
	all  = append(append(samples("", bona...), samples("print", 10, 20, 55, 5, 40)...), samples("replay", 60, 70, 20, 10)...)
)

func TestEvaluateAtPassMark(t *testing.T) {
	r, err := pad.Evaluate(all, 50)
	if err != nil {
		t.Fatal(err)
	}
	p := r.At
	if r.BonaFide != 20 || r.Attacks != 9 {
		t.Errorf("counts: got %d bona fide %d attacks; want 20, 9", r.BonaFide, r.Attacks)
	}
	if !near(p.BPCER, 0.10) || p.Rejected != 2 || !near(p.APCERAP, 0.5) || !near(p.ACER, 0.30) {
		t.Errorf("at 50: got BPCER %v (%d) APCER_AP %v ACER %v; want 0.10 (2), 0.5, 0.30", p.BPCER, p.Rejected, p.APCERAP, p.ACER)
	}
	want := []pad.SpeciesResult{{"print", 5, 1, 0.2}, {"replay", 4, 2, 0.5}}
	if len(p.Species) != 2 || p.Species[0] != want[0] || p.Species[1] != want[1] {
		t.Errorf("species: got %+v; want %+v", p.Species, want)
	}
	// A score equal to the pass mark passes, as liveness_score does.
	r, _ = pad.Evaluate(all, 55)
	if r.At.Species[0].Accepted != 1 || r.At.Rejected != 3 {
		t.Errorf("at 55: got print accepted %d, bona fide rejected %d; want 1 and 3 (52 < 55 ≤ 55)", r.At.Species[0].Accepted, r.At.Rejected)
	}
}

func TestEvaluateSweep(t *testing.T) {
	r, err := pad.Evaluate(all, 50)
	if err != nil {
		t.Fatal(err)
	}
	// BPCER ≤ 1 % of 20 allows 0 rejections: the mark is the lowest bona
	// fide score, 30; there print has 55 and 40 through (40 %), replay 60
	// and 70 (50 %). BPCER ≤ 5 % allows 1: the mark is 45; print 55 (20 %),
	// replay 50 %, BPCER 1/20.
	tests := []struct {
		target, mark, bpcer, apcerPrint, apcerAP float64
	}{
		{0.01, 30, 0, 0.4, 0.5},
		{0.05, 45, 0.05, 0.2, 0.5},
	}
	if len(r.Sweep) != len(tests) {
		t.Fatalf("sweep: got %d points; want %d", len(r.Sweep), len(tests))
	}
	for i, tt := range tests {
		s := r.Sweep[i]
		if s.TargetBPCER != tt.target || s.PassMark != tt.mark || !near(s.BPCER, tt.bpcer) ||
			!near(s.Species[0].APCER, tt.apcerPrint) || !near(s.APCERAP, tt.apcerAP) {
			t.Errorf("BPCER ≤ %v: got mark %v BPCER %v APCER print %v AP %v; want %v %v %v %v",
				tt.target, s.PassMark, s.BPCER, s.Species[0].APCER, s.APCERAP, tt.mark, tt.bpcer, tt.apcerPrint, tt.apcerAP)
		}
	}
}

func TestEER(t *testing.T) {
	sep := append(samples("", 60, 70, 80), samples("photo", 10, 20, 30)...)
	r, err := pad.Evaluate(sep, 50)
	if err != nil {
		t.Fatal(err)
	}
	if r.EER != 0 || r.EERPassMark != 60 {
		t.Errorf("separable: got EER %v at %v; want 0 at 60", r.EER, r.EERPassMark)
	}
	// One bona fide (40) below one attack (50): at 50, BPCER 1/4 and APCER 1/4.
	mixed := append(samples("", 40, 60, 70, 80), samples("photo", 10, 20, 30, 50)...)
	r, _ = pad.Evaluate(mixed, 50)
	if !near(r.EER, 0.25) || r.EERPassMark != 50 {
		t.Errorf("mixed: got EER %v at %v; want 0.25 at 50", r.EER, r.EERPassMark)
	}
}

func TestEERTie(t *testing.T) {
	// At 60: BPCER 1/2, APCER 1; at 80: BPCER 1/2, APCER 0. Equally far
	// apart; the lower error (25 %) is reported.
	r, err := pad.Evaluate(append(samples("", 80, 40), samples("photo", 60)...), 50)
	if err != nil {
		t.Fatal(err)
	}
	if !near(r.EER, 0.25) || r.EERPassMark != 80 {
		t.Errorf("tie: got EER %v at %v; want 0.25 at 80", r.EER, r.EERPassMark)
	}
}

func TestEvaluateRefuses(t *testing.T) {
	if _, err := pad.Evaluate(samples("", 1, 2), 50); err == nil {
		t.Error("no attacks: got no error")
	}
	if _, err := pad.Evaluate(samples("photo", 1, 2), 50); err == nil {
		t.Error("no bona fide: got no error")
	}
	if _, err := pad.Evaluate(append(samples("", math.NaN()), samples("photo", 1)...), 50); err == nil {
		t.Error("NaN score: got no error")
	}
}

func TestWriteText(t *testing.T) {
	r, _ := pad.Evaluate(all, 50)
	var b bytes.Buffer
	if err := r.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"APCER print", "20.00 %", "APCER replay", "50.00 %", "BPCER", "10.00 %", "ACER", "30.00 %", "BPCER ≤ 5.00 %", "EER"} {
		if !strings.Contains(b.String(), s) {
			t.Errorf("text report lacks %q:\n%s", s, b.String())
		}
	}
}

func TestLoadScores(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := []struct {
		name, body string
		wantErr    bool
	}{
		{"s.csv", "path,score\nbf/a.png,0.9\n# comment\nattack/photo/b.png, 0.1\n", false},
		{"s.json", `{"bf/a.png":0.9,"attack/photo/b.png":0.1}`, false},
		{"a.json", `[{"path":"bf/a.png","score":0.9},{"path":"attack/photo/b.png","score":0.1}]`, false},
		{"bad.csv", "bf/a.png,high\n", true},
		{"dup.csv", "bf/a.png,1\nbf/a.png,2\n", true},
		{"missing.json", `[{"path":"bf/a.png"}]`, true},
		{"s.txt", "bf/a.png,1\n", true},
	}
	for _, tt := range tests {
		fs, err := pad.LoadScores(write(tt.name, tt.body))
		if tt.wantErr {
			if err == nil {
				t.Errorf("%s: got no error", tt.name)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if s, err := fs.Score(context.Background(), filepath.Join(dir, "bf", "a.png")); err != nil || s != 0.9 {
			t.Errorf("%s: bf/a.png: got %v, %v; want 0.9", tt.name, s, err)
		}
		if _, err := fs.Score(context.Background(), filepath.Join(dir, "bf", "zzz.png")); !errors.Is(err, pad.ErrNoScore) {
			t.Errorf("%s: unscored file: got %v; want ErrNoScore", tt.name, err)
		}
	}
}
