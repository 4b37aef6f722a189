package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/livegate/livegate/internal/pad"
)

// fixture lays out a tiny evaluation set: 10 bona fide media and two
// species (photo: 4, replay: 2), with scores (0–100) written beside them.
// By hand, at pass mark 50: bona fide 20 and 40 are rejected (BPCER 20 %);
// photo 55 passes (APCER 1/4 = 25 %); replay 70 and 90 pass (100 %);
// APCER_AP 100 %, ACER 60 %. BPCER ≤ 5 % of 10 allows no rejection: the
// pass mark is the lowest bona fide score, 20, where photo 55 and 30 pass
// (50 %).
func fixture(t *testing.T) (dir string) {
	t.Helper()
	dir = t.TempDir()
	scores := map[string]float64{
		"bonafide/a.png": 20, "bonafide/b.jpg": 40, "bonafide/c.png": 60, "bonafide/d.png": 65,
		"bonafide/e.y4m": 70, "bonafide/f.y4m": 75, "bonafide/sub/g.ivf": 80, "bonafide/h.png": 85,
		"bonafide/i.png": 90, "bonafide/j.jpeg": 95,
		"attack/photo/a.png": 10, "attack/photo/b.png": 30, "attack/photo/c.png": 55, "attack/photo/d.png": 5,
		"attack/replay/a.webm": 70, "attack/replay/b.mp4": 90,
	}
	var csv strings.Builder
	csv.WriteString("path,score\n")
	for p, s := range scores {
		touch(t, filepath.Join(dir, p))
		fmt.Fprintf(&csv, "%s,%v\n", p, s)
	}
	touch(t, filepath.Join(dir, "bonafide", "notes.txt")) // not a medium: ignored
	if err := os.WriteFile(filepath.Join(dir, "scores.csv"), []byte(csv.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func touch(t *testing.T, p string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, nil, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestRunJSON(t *testing.T) {
	dir := fixture(t)
	var out, errb bytes.Buffer
	err := run(context.Background(), []string{"-bonafide", filepath.Join(dir, "bonafide"), "-attack", filepath.Join(dir, "attack"),
		"-scores", filepath.Join(dir, "scores.csv"), "-json"}, &out, &errb)
	if err != nil {
		t.Fatalf("run: %v (%s)", err, errb.String())
	}
	var r pad.Report
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		t.Fatalf("JSON: %v\n%s", err, out.String())
	}
	p := r.At
	if r.BonaFide != 10 || r.Attacks != 6 || p.PassMark != 50 || p.BPCER != 0.2 || p.APCERAP != 1 || p.ACER != 0.6 {
		t.Errorf("at 50: got %d/%d samples, mark %v BPCER %v APCER_AP %v ACER %v; want 10/6, 50, 0.2, 1, 0.6",
			r.BonaFide, r.Attacks, p.PassMark, p.BPCER, p.APCERAP, p.ACER)
	}
	if len(p.Species) != 2 || p.Species[0].Species != "photo" || p.Species[0].APCER != 0.25 || p.Species[1].APCER != 1 {
		t.Errorf("species: got %+v; want photo 0.25, replay 1", p.Species)
	}
	if s := r.Sweep[1]; s.TargetBPCER != 0.05 || s.PassMark != 20 || s.BPCER != 0 || s.Species[0].APCER != 0.5 {
		t.Errorf("BPCER ≤ 5 %%: got %+v; want mark 20, BPCER 0, photo APCER 0.5", s)
	}
}

func TestRunText(t *testing.T) {
	dir := fixture(t)
	var out, errb bytes.Buffer
	err := run(context.Background(), []string{"-bonafide", filepath.Join(dir, "bonafide"), "-attack", filepath.Join(dir, "attack"),
		"-scores", filepath.Join(dir, "scores.csv"), "-pass", "60"}, &out, &errb)
	if err != nil {
		t.Fatalf("run: %v (%s)", err, errb.String())
	}
	// At 60: bona fide 20 and 40 rejected (20 %); photo none (0 %); replay both.
	for _, s := range []string{"at pass mark", "60", "APCER photo", "0.00 %", "APCER replay", "100.00 %", "20.00 %", "BPCER ≤ 1.00 %"} {
		if !strings.Contains(out.String(), s) {
			t.Errorf("output lacks %q:\n%s", s, out.String())
		}
	}
}

func TestRunErrors(t *testing.T) {
	dir := fixture(t)
	bf, at, sc := filepath.Join(dir, "bonafide"), filepath.Join(dir, "attack"), filepath.Join(dir, "scores.csv")
	loose := t.TempDir()
	touch(t, filepath.Join(loose, "x.png"))
	unscored := fixture(t)
	touch(t, filepath.Join(unscored, "attack", "photo", "new.png"))
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no folders", []string{"-scores", sc}, "required"},
		{"no attack folder", []string{"-bonafide", bf, "-scores", sc}, "-attack (or -simulate) are required"},
		{"missing attack folder", []string{"-bonafide", bf, "-attack", at + "-nope", "-scores", sc}, "no such file"},
		{"simulate with scores", []string{"-bonafide", bf, "-simulate", "-scores", sc}, "-simulate needs the model"},
		{"media outside a species folder", []string{"-bonafide", bf, "-attack", loose, "-scores", sc}, "species"},
		{"unscored medium", []string{"-bonafide", filepath.Join(unscored, "bonafide"), "-attack", filepath.Join(unscored, "attack"),
			"-scores", filepath.Join(unscored, "scores.csv")}, "no score"},
	}
	for _, tt := range tests {
		var out, errb bytes.Buffer
		err := run(context.Background(), tt.args, &out, &errb)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: got %v; want an error containing %q", tt.name, err, tt.want)
		}
	}
}
