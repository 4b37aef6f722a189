// Package signedurl makes and checks links that carry their own expiry and
// an HMAC-SHA256 over it, so that a browser without an API key can fetch one
// resource (an evidence image, a session's report) for a limited time.
//
// A link is a path with the query exp=<unix seconds>&sig=<base64url MAC>.
// The MAC covers a version tag, the path and the expiry; anything else in
// the query (a language, say) is not covered and must not grant anything.
// Keys are derived with HKDF from the server's session secrets
// (LIVEGATE_SESSION_SECRET): the first signs, every one verifies, so a
// secret can be rotated the way the cookie keys are.
package signedurl

import (
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"time"
)

// Errors of Verify. Both mean 403 to the caller; they are told apart for
// the error message and the logs only.
var (
	ErrExpired   = errors.New("signedurl: link expired")
	ErrSignature = errors.New("signedurl: link signature missing or invalid")
)

const (
	version = "v1"
	// maxSig bounds the signature Verify decodes: a real one is 43
	// characters.
	maxSig = 64
)

// Signer signs and verifies links. Its zero value is unusable; make one
// with New.
type Signer struct {
	keys [][]byte
}

// New derives one key per secret. It fails without a secret or with one
// shorter than 32 bytes, the rule of LIVEGATE_SESSION_SECRET.
func New(secrets ...string) (*Signer, error) {
	if len(secrets) == 0 {
		return nil, errors.New("signedurl: no secret")
	}
	s := &Signer{}
	for i, secret := range secrets {
		if len(secret) < 32 {
			return nil, fmt.Errorf("signedurl: secret %d is %d bytes, want at least 32", i+1, len(secret))
		}
		k, err := hkdf.Key(sha256.New, []byte(secret), nil, "livegate signed url", 32)
		if err != nil {
			return nil, fmt.Errorf("signedurl: derive key: %w", err)
		}
		s.keys = append(s.keys, k)
	}
	return s, nil
}

func mac(key []byte, path string, exp int64) []byte {
	m := hmac.New(sha256.New, key)
	fmt.Fprintf(m, "%s\n%s\n%d", version, path, exp)
	return m.Sum(nil)
}

// Query returns the query string (without "?") that makes path valid until
// exp, to the second.
func (s *Signer) Query(path string, exp time.Time) string {
	e := exp.Unix()
	v := url.Values{}
	v.Set("exp", strconv.FormatInt(e, 10))
	v.Set("sig", base64.RawURLEncoding.EncodeToString(mac(s.keys[0], path, e)))
	return v.Encode()
}

// Path returns path with the signed query appended.
func (s *Signer) Path(path string, exp time.Time) string {
	return path + "?" + s.Query(path, exp)
}

// Verify checks that q signs path and that now is before its expiry. A
// link signed with any of the Signer's keys is accepted; the comparison
// takes the same time whatever the signature.
func (s *Signer) Verify(path string, q url.Values, now time.Time) error {
	es, sigs := q.Get("exp"), q.Get("sig")
	if es == "" || sigs == "" || len(sigs) > maxSig {
		return ErrSignature
	}
	e, err := strconv.ParseInt(es, 10, 64)
	if err != nil || e <= 0 {
		return ErrSignature
	}
	sig, err := base64.RawURLEncoding.DecodeString(sigs)
	if err != nil {
		return ErrSignature
	}
	ok := false
	for _, k := range s.keys {
		// Every key is tried, so the time taken does not say which matched.
		if hmac.Equal(sig, mac(k, path, e)) {
			ok = true
		}
	}
	if !ok {
		return ErrSignature
	}
	// The expiry is checked only once the signature holds: an attacker
	// learns nothing from a forged exp.
	if !now.Before(time.Unix(e, 0)) {
		return ErrExpired
	}
	return nil
}
