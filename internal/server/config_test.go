package server

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/livegate/livegate/internal/api"
)

// TestREADMEConfigTable: the README's configuration table names exactly
// the variables loadConfig reads, so neither a new setting nor a removed
// one goes undocumented.
func TestREADMEConfigTable(t *testing.T) {
	var read []string
	_, err := loadConfig(func(k string) string {
		if !slices.Contains(read, k) {
			read = append(read, k)
		}
		return ""
	})
	if err != nil {
		t.Fatalf("loadConfig with an empty environment: %v", err)
	}

	raw, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, table, ok := strings.Cut(string(raw), "<!-- config-table:")
	if !ok {
		t.Fatal("README.md has no <!-- config-table: … --> marker")
	}
	table, _, _ = strings.Cut(table, "\n\n") // the table ends at the first blank line
	row := regexp.MustCompile("(?m)^\\| `([A-Z0-9_]+)` \\|")
	var documented []string
	for _, m := range row.FindAllStringSubmatch(table, -1) {
		documented = append(documented, m[1])
	}
	if len(documented) == 0 {
		t.Fatal("no rows found in the README's configuration table")
	}

	for _, name := range read {
		if !slices.Contains(documented, name) {
			t.Errorf("loadConfig reads %s; the README's configuration table lacks it", name)
		}
	}
	for _, name := range documented {
		if !slices.Contains(read, name) {
			t.Errorf("the README's configuration table documents %s; loadConfig never reads it", name)
		}
	}
}

// TestSpoofBandsConfig: the bands default to api.DefaultSpoofBands and
// are read from the environment.
func TestSpoofBandsConfig(t *testing.T) {
	for _, tc := range []struct {
		env  map[string]string
		want api.SpoofBands
	}{
		{nil, api.DefaultSpoofBands},
		{map[string]string{"LIVEGATE_SPOOF_HIGH": "0.95", "LIVEGATE_SPOOF_MODERATE": "0.4"}, api.SpoofBands{High: 0.95, Moderate: 0.4}},
	} {
		c, err := loadConfig(func(k string) string { return tc.env[k] })
		if err != nil {
			t.Fatal(err)
		}
		if c.SpoofBands != tc.want {
			t.Errorf("env %v: bands %+v; want %+v", tc.env, c.SpoofBands, tc.want)
		}
	}
}
