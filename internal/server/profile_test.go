package server

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCPUProfile: LIVEGATE_CPU_PROFILE's file holds a profile (gzip, as
// pprof writes it) once stopped; an unwritable path is a clear error; no
// path, no profile.
func TestCPUProfile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cpu.pprof")
	stop, err := cpuProfile(path, os.Stderr)
	if err != nil {
		t.Fatal(err)
	}
	stop()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b, []byte{0x1f, 0x8b}) {
		t.Errorf("profile file starts %x; want a gzip'd pprof profile", b[:min(len(b), 4)])
	}
	if _, err := cpuProfile(filepath.Join(t.TempDir(), "no", "such", "dir", "cpu.pprof"), os.Stderr); err == nil || !strings.Contains(err.Error(), "LIVEGATE_CPU_PROFILE") {
		t.Errorf("unwritable path: %v; want an error naming LIVEGATE_CPU_PROFILE", err)
	}
	stop, err = cpuProfile("", os.Stderr)
	if err != nil {
		t.Fatal(err)
	}
	stop()
}
