// Package sealed encrypts biometric values at rest: AES-256-GCM under keys
// from configuration (LIVEGATE_DATA_KEYS), the first of which seals and all
// of which open, so keys rotate without downtime. Each value carries the id
// of its key and is authenticated with the session id and what it is (its
// label) as associated data: a value copied into another session, or passed
// off as another kind of value, does not open.
//
// A sealed value is: version byte (1) ‖ key id (4 bytes) ‖ nonce (12 bytes)
// ‖ ciphertext and tag. Nonces are random: at 2⁻³² collision odds a key can
// seal far more values than one deployment keeps in its lifetime.
package sealed

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

const (
	version  = 1
	idLen    = 4
	nonceLen = 12
	header   = 1 + idLen + nonceLen
)

// ErrOpen is returned for a value that does not open: unknown key, wrong
// session or label, or tampered bytes. It never says which.
var ErrOpen = errors.New("sealed: value does not open")

// Keyring holds the data keys: the first seals, all open.
type Keyring struct {
	keys []key
}

type key struct {
	id   [idLen]byte
	aead cipher.AEAD
}

// Parse reads LIVEGATE_DATA_KEYS: comma-separated keys, each 32 bytes in
// standard or URL-safe base64 (with or without padding). An empty string
// gives nil and no error: no keys configured.
func Parse(s string) (*Keyring, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	var raw [][]byte
	for i, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		b, err := decodeKey(part)
		if err != nil || len(b) != 32 {
			return nil, fmt.Errorf("key %d: want 32 bytes in base64 (e.g. `openssl rand -base64 32`)", i+1)
		}
		raw = append(raw, b)
	}
	return New(raw...)
}

func decodeKey(s string) ([]byte, error) {
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			return b, nil
		}
	}
	return nil, errors.New("not base64")
}

// New makes a keyring of 32-byte keys; the first seals. Two equal keys are
// refused (a rotation that forgot to change one).
func New(keys ...[]byte) (*Keyring, error) {
	if len(keys) == 0 {
		return nil, errors.New("sealed: no key")
	}
	k := &Keyring{}
	seen := map[[idLen]byte]bool{}
	for i, raw := range keys {
		if len(raw) != 32 {
			return nil, fmt.Errorf("sealed: key %d is %d bytes, want 32", i+1, len(raw))
		}
		block, err := aes.NewCipher(raw)
		if err != nil {
			return nil, err
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, err
		}
		id := KeyID(raw)
		if seen[id] {
			return nil, fmt.Errorf("sealed: key %d repeats an earlier key", i+1)
		}
		seen[id] = true
		k.keys = append(k.keys, key{id: id, aead: aead})
	}
	return k, nil
}

// Ephemeral makes a keyring of one random key that lives as long as the
// process: enough for the in-memory store, whose values die with it.
func Ephemeral() *Keyring {
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	k, err := New(raw)
	if err != nil {
		panic(err)
	}
	return k
}

// KeyID is a key's public id: the first 4 bytes of its SHA-256, which says
// which key sealed a value without saying anything of the key.
func KeyID(raw []byte) [idLen]byte {
	sum := sha256.Sum256(append([]byte("livegate data key id\x00"), raw...))
	var id [idLen]byte
	copy(id[:], sum[:idLen])
	return id
}

// SealingKey is the hex id of the key that seals (the first), for logs.
func (k *Keyring) SealingKey() string {
	return hex.EncodeToString(k.keys[0].id[:])
}

// Seal encrypts plaintext for session sid under label (what the value is:
// "reference", "image:near"…) with the first key.
func (k *Keyring) Seal(sid, label string, plaintext []byte) ([]byte, error) {
	kk := k.keys[0]
	out := make([]byte, header, header+len(plaintext)+kk.aead.Overhead())
	out[0] = version
	copy(out[1:], kk.id[:])
	if _, err := rand.Read(out[1+idLen : header]); err != nil {
		return nil, err
	}
	return kk.aead.Seal(out, out[1+idLen:header], plaintext, ad(sid, label, out[:1+idLen])), nil
}

// Open decrypts a value sealed for sid under label by any key of the ring.
func (k *Keyring) Open(sid, label string, value []byte) ([]byte, error) {
	if len(value) < header || value[0] != version {
		return nil, ErrOpen
	}
	for _, kk := range k.keys {
		if [idLen]byte(value[1:1+idLen]) != kk.id {
			continue
		}
		p, err := kk.aead.Open(nil, value[1+idLen:header], value[header:], ad(sid, label, value[:1+idLen]))
		if err != nil {
			return nil, ErrOpen
		}
		return p, nil
	}
	return nil, ErrOpen
}

// ad binds a value to its session, its label and its header.
func ad(sid, label string, head []byte) []byte {
	b := make([]byte, 0, 32+len(sid)+len(label)+len(head))
	b = append(b, "livegate/sealed/v1\x00"...)
	b = binary.BigEndian.AppendUint16(b, uint16(len(sid)))
	b = append(b, sid...)
	b = append(b, label...)
	return append(b, head...)
}
