package web

import (
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"

	"github.com/gorilla/sessions"
)

// cookieMaxAge bounds how long a browser keeps its id: a session lives at
// most 24 hours, and each page view renews the cookie.
const cookieMaxAge = 24 * 60 * 60

// Browser is the identity of one browser: a random id that never leaves the
// cookie (the session stores only its digest) and the synchronizer token its
// forms carry.
type Browser struct {
	ID        string
	CSRFToken string
}

// Digest is what a session stores in ClaimedBy: the SHA-256 of the id, so
// that a leaked session record cannot be replayed as a cookie.
func (b Browser) Digest() string {
	sum := sha256.Sum256([]byte(b.ID))
	return "sha256:" + hex.EncodeToString(sum[:])
}

// ValidToken compares a submitted form token with the browser's, in
// constant time.
func (b Browser) ValidToken(token string) bool {
	if b.CSRFToken == "" || token == "" {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(b.CSRFToken), []byte(token)) == 1
}

// BrowserStore keeps the Browser in a signed and encrypted cookie
// (gorilla/sessions): HttpOnly, SameSite=Lax, Secure unless the public URL
// is a loopback host.
type BrowserStore struct {
	cookies *sessions.CookieStore
	name    string
	secure  bool
}

// NewBrowserStore returns a store that signs and encrypts with keys: pairs
// of a hash key (32 or 64 bytes) and a block key (16, 24 or 32 bytes), newest
// first, so that older pairs still read cookies after a rotation.
func NewBrowserStore(keys [][]byte, secure bool) (*BrowserStore, error) {
	if len(keys) == 0 || len(keys)%2 != 0 {
		return nil, errors.New("web: cookie keys must be hash and block key pairs")
	}
	for i := 0; i < len(keys); i += 2 {
		if len(keys[i]) < 32 {
			return nil, fmt.Errorf("web: cookie hash key %d is %d bytes, want at least 32", i/2, len(keys[i]))
		}
		if n := len(keys[i+1]); n != 16 && n != 24 && n != 32 {
			return nil, fmt.Errorf("web: cookie block key %d is %d bytes, want 16, 24 or 32", i/2, n)
		}
	}
	cs := sessions.NewCookieStore(keys...)
	cs.MaxAge(cookieMaxAge)
	cs.Options = &sessions.Options{
		Path:     "/",
		MaxAge:   cookieMaxAge,
		Secure:   secure,
		HttpOnly: true,
		SameSite: http.SameSiteLaxMode,
	}
	name := "livegate"
	if secure {
		// The __Host- prefix makes the browser refuse the cookie unless it
		// is Secure, host-only and for path /, so a sibling subdomain cannot
		// plant one.
		name = "__Host-livegate"
	}
	return &BrowserStore{cookies: cs, name: name, secure: secure}, nil
}

// CookieName is the name of the browser cookie.
func (s *BrowserStore) CookieName() string { return s.name }

// DeriveCookieKeys turns secrets (such as LIVEGATE_SESSION_SECRET, newest
// first for rotation) into the hash and block key pairs NewBrowserStore
// takes. Each secret must be at least 32 bytes.
func DeriveCookieKeys(secrets ...string) ([][]byte, error) {
	if len(secrets) == 0 {
		return nil, errors.New("web: no session secret")
	}
	var keys [][]byte
	for i, s := range secrets {
		if len(s) < 32 {
			return nil, fmt.Errorf("web: session secret %d is %d bytes, want at least 32", i, len(s))
		}
		hash, err := hkdf.Key(sha256.New, []byte(s), nil, "livegate cookie hash", 32)
		if err != nil {
			return nil, fmt.Errorf("web: derive cookie key: %w", err)
		}
		block, err := hkdf.Key(sha256.New, []byte(s), nil, "livegate cookie block", 32)
		if err != nil {
			return nil, fmt.Errorf("web: derive cookie key: %w", err)
		}
		keys = append(keys, hash, block)
	}
	return keys, nil
}

// Load returns the browser named by the request's cookie, if it has a
// valid one. It never creates one: a POST from a browser without the cookie
// cannot carry a valid token anyway.
func (s *BrowserStore) Load(r *http.Request) (Browser, bool) {
	sess, err := s.cookies.New(r, s.name)
	if err != nil || sess.IsNew {
		return Browser{}, false
	}
	id, _ := sess.Values["id"].(string)
	tok, _ := sess.Values["csrf"].(string)
	if len(id) < 32 || len(tok) < 32 {
		return Browser{}, false
	}
	return Browser{ID: id, CSRFToken: tok}, true
}

// Identify returns the request's browser, creating one when the cookie is
// missing or unreadable, and (re)sets the cookie so that it lasts another
// cookieMaxAge. Call it before writing the response body.
func (s *BrowserStore) Identify(w http.ResponseWriter, r *http.Request) (Browser, error) {
	b, ok := s.Load(r)
	if !ok {
		b = Browser{ID: randomToken(), CSRFToken: randomToken()}
	}
	sess, _ := s.cookies.New(r, s.name) // a bad cookie still yields a fresh session
	sess.Values = map[any]any{"id": b.ID, "csrf": b.CSRFToken}
	if err := s.cookies.Save(r, w, sess); err != nil {
		return Browser{}, fmt.Errorf("web: save browser cookie: %w", err)
	}
	return b, nil
}

func randomToken() string {
	var b [32]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go ≥ 1.24)
	return base64.RawURLEncoding.EncodeToString(b[:])
}
