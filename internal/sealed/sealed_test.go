package sealed_test

import (
	"bytes"
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"github.com/livegate/livegate/internal/sealed"
)

func keyOf(b byte) []byte { return bytes.Repeat([]byte{b}, 32) }

func ring(t *testing.T, keys ...[]byte) *sealed.Keyring {
	t.Helper()
	k, err := sealed.New(keys...)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestSealOpen(t *testing.T) {
	k := ring(t, keyOf(1))
	msg := []byte("a face embedding")
	v, err := k.Seal("sid-a", "reference", msg)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(v, msg) {
		t.Fatal("the sealed value holds the plaintext")
	}
	got, err := k.Open("sid-a", "reference", v)
	if err != nil || !bytes.Equal(got, msg) {
		t.Fatalf("Open: %q %v", got, err)
	}
	w, _ := k.Seal("sid-a", "reference", msg)
	if bytes.Equal(v, w) {
		t.Error("two seals of one value are equal: the nonce repeats")
	}
	tampered := append([]byte(nil), v...)
	tampered[len(tampered)-1] ^= 1
	header := append([]byte(nil), v...)
	header[2] ^= 1
	for name, try := range map[string]func() ([]byte, error){
		"other session": func() ([]byte, error) { return k.Open("sid-b", "reference", v) },
		"other label":   func() ([]byte, error) { return k.Open("sid-a", "image:near", v) },
		"tampered":      func() ([]byte, error) { return k.Open("sid-a", "reference", tampered) },
		"key id":        func() ([]byte, error) { return k.Open("sid-a", "reference", header) },
		"short":         func() ([]byte, error) { return k.Open("sid-a", "reference", v[:10]) },
		"empty":         func() ([]byte, error) { return k.Open("sid-a", "reference", nil) },
		"other key":     func() ([]byte, error) { return ring(t, keyOf(2)).Open("sid-a", "reference", v) },
	} {
		if got, err := try(); !errors.Is(err, sealed.ErrOpen) || got != nil {
			t.Errorf("%s: got %q, %v; want ErrOpen", name, got, err)
		}
	}
}

// TestRotation: a new key put first seals; values of the old key still open
// while it stays listed; a ring without it refuses them.
func TestRotation(t *testing.T) {
	old := ring(t, keyOf(1))
	v, err := old.Seal("s", "reference", []byte("x"))
	if err != nil {
		t.Fatal(err)
	}
	rotated := ring(t, keyOf(2), keyOf(1))
	if got, err := rotated.Open("s", "reference", v); err != nil || string(got) != "x" {
		t.Fatalf("rotated ring opens the old value: %q %v", got, err)
	}
	w, _ := rotated.Seal("s", "reference", []byte("y"))
	if _, err := old.Open("s", "reference", w); err == nil {
		t.Error("the old ring opened a value of the new key")
	}
	if rotated.SealingKey() == old.SealingKey() {
		t.Error("the rotated ring still seals with the old key")
	}
	if _, err := ring(t, keyOf(2)).Open("s", "reference", v); err == nil {
		t.Error("a ring without the old key opened its value")
	}
}

func TestParse(t *testing.T) {
	a, b := base64.StdEncoding.EncodeToString(keyOf(1)), base64.RawURLEncoding.EncodeToString(keyOf(2))
	k, err := sealed.Parse(" " + a + " , " + b)
	if err != nil || k == nil {
		t.Fatalf("Parse: %v", err)
	}
	if k.SealingKey() != ring(t, keyOf(1)).SealingKey() {
		t.Error("the first key listed does not seal")
	}
	if k, err := sealed.Parse(""); k != nil || err != nil {
		t.Errorf("empty: %v %v; want no ring and no error", k, err)
	}
	for _, bad := range []string{"short", base64.StdEncoding.EncodeToString(keyOf(1)[:16]), a + ",", a + "," + a, "!!!!"} {
		if _, err := sealed.Parse(bad); err == nil {
			t.Errorf("Parse(%q) accepted", bad)
		} else if strings.Contains(err.Error(), bad) && len(bad) > 8 {
			t.Errorf("the error repeats the key: %v", err)
		}
	}
	if e := sealed.Ephemeral(); e.SealingKey() == sealed.Ephemeral().SealingKey() {
		t.Error("two ephemeral rings share a key")
	}
}

func BenchmarkSeal4KiB(b *testing.B) {
	k, _ := sealed.New(keyOf(1))
	msg := make([]byte, 4096)
	b.SetBytes(int64(len(msg)))
	for b.Loop() {
		if _, err := k.Seal("sid", "reference", msg); err != nil {
			b.Fatal(err)
		}
	}
}
