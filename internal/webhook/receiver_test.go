package webhook_test

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/livegate/livegate/internal/webhook"
)

// readVerified is the README's receiver, on the standard library alone: it
// returns the body of a request whose Livegate-Signature verifies under
// secret and is at most five minutes old.
func readVerified(r *http.Request, secret string) ([]byte, error) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		return nil, err
	}
	var t string
	var sigs []string
	for _, kv := range strings.Split(r.Header.Get("Livegate-Signature"), ",") {
		k, v, _ := strings.Cut(kv, "=")
		if k == "t" {
			t = v
		} else if k == "v1" {
			sigs = append(sigs, v)
		}
	}
	sec, err := strconv.ParseInt(t, 10, 64)
	if err != nil || time.Since(time.Unix(sec, 0)).Abs() > 5*time.Minute {
		return nil, errors.New("stale or missing timestamp")
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(t + "." + string(body)))
	want := mac.Sum(nil)
	for _, s := range sigs {
		if got, err := hex.DecodeString(s); err == nil && hmac.Equal(got, want) {
			return body, nil
		}
	}
	return nil, errors.New("bad signature")
}

func TestREADMEReceiver(t *testing.T) {
	body := []byte(`{"sid":"x","status":"FINISHED"}`)
	for _, c := range []struct {
		name string
		sig  string
		body []byte
		ok   bool
	}{
		{"signed now", webhook.Sign([]string{secret}, time.Now(), body), body, true},
		{"rotation, old secret second", webhook.Sign([]string{"another-secret-0123456789abcdef01234", secret}, time.Now(), body), body, true},
		{"tampered", webhook.Sign([]string{secret}, time.Now(), body), []byte(`{"sid":"x","status":"CANCELED"}`), false},
		{"old", webhook.Sign([]string{secret}, time.Now().Add(-10*time.Minute), body), body, false},
		{"unsigned", "", body, false},
	} {
		req := httptest.NewRequest("POST", "/hook", bytes.NewReader(c.body))
		req.Header.Set("Livegate-Signature", c.sig)
		got, err := readVerified(req, secret)
		if c.ok != (err == nil) || c.ok && !bytes.Equal(got, body) {
			t.Errorf("%s: got %s, %v; want ok=%v", c.name, got, err, c.ok)
		}
	}
}
