package server

import (
	"strings"
	"testing"
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
