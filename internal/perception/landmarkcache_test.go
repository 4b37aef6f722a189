package perception

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/livegate/livegate/internal/gesture/landmarks"
)

// A landmark model file is read once while it stays the same file; a file
// replaced in place is read again, and a failed read is not kept.
func TestLandmarkCacheReadsAFileOnce(t *testing.T) {
	reads := 0
	fail := false
	c := landmarkCache{read: func(path string) (*landmarks.Model, error) {
		reads++
		if _, err := os.Stat(path); err != nil {
			return nil, err
		}
		if fail {
			return nil, errors.New("unreadable")
		}
		return new(landmarks.Model), nil
	}}
	path := filepath.Join(t.TempDir(), "model.dat")
	if err := os.WriteFile(path, []byte("one"), 0o600); err != nil {
		t.Fatal(err)
	}
	first, err := c.load(path)
	if err != nil {
		t.Fatal(err)
	}
	// The same file by another spelling of its path is the same entry.
	again, err := c.load(filepath.Join(filepath.Dir(path), ".", "model.dat"))
	if err != nil {
		t.Fatal(err)
	}
	if again != first || reads != 1 {
		t.Fatalf("second load: same model %v, reads %d; want the same model and 1 read", again == first, reads)
	}

	// Replaced in place (another size, another time): read again.
	if err := os.WriteFile(path, []byte("second"), 0o600); err != nil {
		t.Fatal(err)
	}
	later := time.Now().Add(time.Minute)
	if err := os.Chtimes(path, later, later); err != nil {
		t.Fatal(err)
	}
	second, err := c.load(path)
	if err != nil {
		t.Fatal(err)
	}
	if second == first || reads != 2 {
		t.Fatalf("after a rewrite: new model %v, reads %d; want a new model and 2 reads", second != first, reads)
	}

	// A failed read is reported each time and never kept.
	other := filepath.Join(filepath.Dir(path), "other.dat")
	if err := os.WriteFile(other, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	fail = true
	for i := range 2 {
		if _, err := c.load(other); err == nil {
			t.Fatalf("failing read %d: no error", i)
		}
	}
	if reads != 4 {
		t.Fatalf("reads %d after two failed loads; want 4", reads)
	}
	fail = false
	if m, err := c.load(other); err != nil || m == nil || reads != 5 {
		t.Fatalf("load after the failures: %v, %v, reads %d; want a model read anew (5 reads)", m, err, reads)
	}
	// A missing file is the reader's error, each time.
	for i := range 2 {
		if _, err := c.load(filepath.Join(filepath.Dir(path), "missing.dat")); !errors.Is(err, os.ErrNotExist) || reads != 6+i {
			t.Fatalf("missing file, load %d: %v, reads %d; want the reader's not-exist error (%d reads)", i, err, reads, 6+i)
		}
	}
}

// The server's engines, still checker and face embedder read one model
// file: they get one parsed model.
func TestLoadSharesTheLandmarkModel(t *testing.T) {
	cfg, err := Config{}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	path := cfg.Landmarks
	a, err := loadLandmarks(path)
	if err != nil {
		t.Fatal(err)
	}
	b, err := loadLandmarks(path)
	if err != nil {
		t.Fatal(err)
	}
	if a != b {
		t.Error("two loads of one landmark file gave two models; want one shared")
	}
}
