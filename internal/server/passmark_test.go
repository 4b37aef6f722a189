package server

import (
	"slices"
	"strings"
	"testing"

	"github.com/livegate/livegate/internal/liveness"
)

// LIVEGATE_PASS_MARK: default 50, a score from above 0 to 100, anything
// else refused with an error that names the variable.
func TestPassMarkConfig(t *testing.T) {
	for v, want := range map[string]float64{"": 50, "65": 65, "100": 100, "0.5": 0.5} {
		cfg, err := loadConfig(func(k string) string {
			if k == "LIVEGATE_PASS_MARK" {
				return v
			}
			return ""
		})
		if err != nil || cfg.PassMark != want {
			t.Errorf("LIVEGATE_PASS_MARK=%q: %v, %v; want %v", v, cfg, err, want)
		}
	}
	for _, v := range []string{"0", "-3", "101", "half", "NaN"} {
		_, err := loadConfig(func(k string) string {
			if k == "LIVEGATE_PASS_MARK" {
				return v
			}
			return ""
		})
		if err == nil || !strings.Contains(err.Error(), "LIVEGATE_PASS_MARK") {
			t.Errorf("LIVEGATE_PASS_MARK=%q: error %v; want one naming the variable", v, err)
		}
	}
}

// LIVEGATE_VIRTUAL_CAMERAS: liveness's list by default (Chromium's fake
// device included); set, it replaces the list, trimmed and lower-cased.
func TestVirtualCamerasConfig(t *testing.T) {
	load := func(v string) []string {
		t.Helper()
		cfg, err := loadConfig(func(k string) string {
			if k == "LIVEGATE_VIRTUAL_CAMERAS" {
				return v
			}
			return ""
		})
		if err != nil {
			t.Fatalf("LIVEGATE_VIRTUAL_CAMERAS=%q: %v", v, err)
		}
		return cfg.VirtualCameras
	}
	if got := load(""); !slices.Equal(got, liveness.DefaultVirtualCameras) || !slices.Contains(got, "fake") {
		t.Errorf("default %q; want liveness.DefaultVirtualCameras, with fake", got)
	}
	if got, want := load(" OBS Virtual , ,My Cam "), []string{"obs virtual", "my cam"}; !slices.Equal(got, want) {
		t.Errorf("set: %q; want %q", got, want)
	}
}
