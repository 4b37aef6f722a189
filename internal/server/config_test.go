package server

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"maps"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/livegate/livegate/internal/api"
	"github.com/livegate/livegate/internal/sealed"
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

// TestDataKeysConfig: LIVEGATE_DATA_KEYS seals; without it the in-memory
// store gets a key of its own and a Redis store none (it keeps no
// biometric data); a bad key is a start-up error naming the variable.
func TestDataKeysConfig(t *testing.T) {
	k1 := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{1}, 32))
	k2 := base64.RawURLEncoding.EncodeToString(bytes.Repeat([]byte{2}, 32))
	for _, tc := range []struct {
		name      string
		env       map[string]string
		keys      bool
		ephemeral bool
		err       string
	}{
		{"development mode (no API key), memory, no data key", nil, true, true, ""},
		{"API keys, memory, no data key: none kept", map[string]string{"LIVEGATE_API_KEYS": "k_0123456789abcdef"}, false, false, ""},
		{"API keys, memory, explicit development key", map[string]string{"LIVEGATE_API_KEYS": "k_0123456789abcdef", "LIVEGATE_DEV_DATA_KEY": "true"}, true, true, ""},
		{"development mode, development key turned off", map[string]string{"LIVEGATE_DEV_DATA_KEY": "false"}, false, false, ""},
		{"redis, no key", map[string]string{"REDIS_URL": "redis://127.0.0.1:6379"}, false, false, ""},
		{"redis, development key", map[string]string{"REDIS_URL": "redis://127.0.0.1:6379", "LIVEGATE_DEV_DATA_KEY": "true"}, false, false, "LIVEGATE_DEV_DATA_KEY"},
		{"development key not a bool", map[string]string{"LIVEGATE_DEV_DATA_KEY": "yes please"}, false, false, "LIVEGATE_DEV_DATA_KEY"},
		{"redis, two keys", map[string]string{"REDIS_URL": "redis://127.0.0.1:6379", "LIVEGATE_DATA_KEYS": k1 + ", " + k2}, true, false, ""},
		{"short key", map[string]string{"LIVEGATE_DATA_KEYS": base64.StdEncoding.EncodeToString([]byte("short"))}, false, false, "LIVEGATE_DATA_KEYS: key 1"},
		{"not base64", map[string]string{"LIVEGATE_DATA_KEYS": k1 + ",%%%"}, false, false, "LIVEGATE_DATA_KEYS: key 2"},
		{"repeated key", map[string]string{"LIVEGATE_DATA_KEYS": k1 + "," + k1}, false, false, "LIVEGATE_DATA_KEYS"},
	} {
		c, err := loadConfig(func(k string) string { return tc.env[k] })
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s: error %v; want one starting %q", tc.name, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if (c.DataKeys != nil) != tc.keys || c.EphemeralDataKey != tc.ephemeral {
			t.Errorf("%s: keys %v ephemeral %v; want %v %v", tc.name, c.DataKeys != nil, c.EphemeralDataKey, tc.keys, tc.ephemeral)
		}
	}
	c, err := loadConfig(func(k string) string {
		return map[string]string{"LIVEGATE_DATA_KEYS": k1 + "," + k2}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := sealed.KeyID(bytes.Repeat([]byte{1}, 32)); c.DataKeys.SealingKey() != hex.EncodeToString(want[:]) {
		t.Errorf("sealing key %s; want the first configured one", c.DataKeys.SealingKey())
	}
}

// TestBiometricRetentionConfig: LIVEGATE_BIOMETRIC_RETENTION is every key's
// retention of biometric values, LIVEGATE_KEY_RETENTION sets some keys' own
// by id or username; a bad value stops start-up with a line naming the
// variable, and never echoes a name that matches no key (it may be a secret).
func TestBiometricRetentionConfig(t *testing.T) {
	const (
		shop  = "shop-secret-0123456789"
		bank  = "bank-secret-0123456789"
		third = "third-secret-0123456789"
	)
	keys := shop + "," + bank + ":bank:pw," + third
	shopID := api.Key{Secret: shop}.ID()
	for _, tc := range []struct {
		name string
		env  map[string]string
		want [3]time.Duration // shop, bank, third
		err  string
	}{
		{"default none", nil, [3]time.Duration{}, ""},
		{"default for all", map[string]string{"LIVEGATE_BIOMETRIC_RETENTION": "2h"}, [3]time.Duration{2 * time.Hour, 2 * time.Hour, 2 * time.Hour}, ""},
		{"per key by id and username", map[string]string{
			"LIVEGATE_BIOMETRIC_RETENTION": "1h",
			"LIVEGATE_KEY_RETENTION":       shopID + "=0s, bank = 72h",
		}, [3]time.Duration{0, 72 * time.Hour, time.Hour}, ""},
		{"default over the session retention", map[string]string{"LIVEGATE_RETENTION": "24h", "LIVEGATE_BIOMETRIC_RETENTION": "25h"}, [3]time.Duration{}, "LIVEGATE_BIOMETRIC_RETENTION: want a duration from 0s to 24h0m0s"},
		{"negative", map[string]string{"LIVEGATE_BIOMETRIC_RETENTION": "-1h"}, [3]time.Duration{}, "LIVEGATE_BIOMETRIC_RETENTION"},
		{"not a duration", map[string]string{"LIVEGATE_KEY_RETENTION": "bank=3 days"}, [3]time.Duration{}, "LIVEGATE_KEY_RETENTION: entry 1 (bank): want a duration"},
		{"key over the session retention", map[string]string{"LIVEGATE_KEY_RETENTION": "bank=169h"}, [3]time.Duration{}, "LIVEGATE_KEY_RETENTION: entry 1 (bank): want a duration from 0s to 168h0m0s"},
		{"no name", map[string]string{"LIVEGATE_KEY_RETENTION": "bank=1h,24h"}, [3]time.Duration{}, "LIVEGATE_KEY_RETENTION: entry 2: want name=duration"},
		{"unknown name", map[string]string{"LIVEGATE_KEY_RETENTION": shop + "=1h"}, [3]time.Duration{}, "LIVEGATE_KEY_RETENTION: entry 1 names no key"},
		{"twice", map[string]string{"LIVEGATE_KEY_RETENTION": "bank=1h,bank=2h"}, [3]time.Duration{}, "LIVEGATE_KEY_RETENTION: entry 2 (bank): that key's retention is already set"},
	} {
		env := map[string]string{"LIVEGATE_API_KEYS": keys}
		maps.Copy(env, tc.env)
		c, err := loadConfig(func(k string) string { return env[k] })
		if tc.err != "" {
			if err == nil || !strings.HasPrefix(err.Error(), tc.err) {
				t.Errorf("%s: error %v; want one starting %q", tc.name, err, tc.err)
			}
			if err != nil && strings.Contains(err.Error(), shop) {
				t.Errorf("%s: the error quotes a secret: %v", tc.name, err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		for i, k := range c.Keys {
			if k.BiometricRetention != tc.want[i] {
				t.Errorf("%s: key %d retention %s; want %s", tc.name, i+1, k.BiometricRetention, tc.want[i])
			}
		}
	}
}
