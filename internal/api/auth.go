package api

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Key is one integrator credential. When Username is set, requests must also
// carry matching HTTP Basic credentials, as GLAIR's clients send them.
type Key struct {
	Secret   string
	Username string
	Password string
	// BiometricRetention is how long the biometric values of this key's
	// sessions outlive their end (0: they go with the verdict).
	BiometricRetention time.Duration
}

// ID names the key without revealing it: sessions record it as their owner.
func (k Key) ID() string {
	sum := sha256.Sum256([]byte(k.Secret))
	return "key_" + hex.EncodeToString(sum[:8])
}

// ParseKeys reads LIVEGATE_API_KEYS: comma-separated `key` or
// `key:username:password` entries.
func ParseKeys(s string) ([]Key, error) {
	var keys []Key
	seen := map[string]bool{}
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		f := strings.Split(part, ":")
		var k Key
		switch len(f) {
		case 1:
			k = Key{Secret: f[0]}
		case 3:
			k = Key{Secret: f[0], Username: f[1], Password: f[2]}
			if k.Username == "" || k.Password == "" {
				return nil, fmt.Errorf("entry %d: username and password must both be set", len(keys)+1)
			}
		default:
			return nil, fmt.Errorf("entry %d: want key or key:username:password", len(keys)+1)
		}
		if len(k.Secret) < 16 {
			return nil, fmt.Errorf("entry %d: key must be at least 16 characters", len(keys)+1)
		}
		if seen[k.Secret] {
			return nil, fmt.Errorf("entry %d: duplicate key", len(keys)+1)
		}
		seen[k.Secret] = true
		keys = append(keys, k)
	}
	return keys, nil
}

// keyring checks credentials in constant time: every key is compared, by
// digest so that lengths leak nothing, whatever matches first.
type keyring struct {
	keys  []hashedKey
	basic bool // some key also wants HTTP Basic credentials
	// retention is each key's biometric retention, by key id.
	retention map[string]time.Duration
}

type hashedKey struct {
	id               string
	secret           [32]byte
	basic            bool
	username, passwd [32]byte
}

func newKeyring(keys []Key) *keyring {
	kr := &keyring{retention: make(map[string]time.Duration, len(keys))}
	for _, k := range keys {
		kr.retention[k.ID()] = k.BiometricRetention
		kr.keys = append(kr.keys, hashedKey{
			id:       k.ID(),
			secret:   sha256.Sum256([]byte(k.Secret)),
			basic:    k.Username != "",
			username: sha256.Sum256([]byte(k.Username)),
			passwd:   sha256.Sum256([]byte(k.Password)),
		})
		kr.basic = kr.basic || k.Username != ""
	}
	return kr
}

// authenticate returns the id of the key the request carries, or "".
func (kr *keyring) authenticate(r *http.Request) string {
	given := r.Header.Get("x-api-key")
	if given == "" {
		return ""
	}
	secret := sha256.Sum256([]byte(given))
	user, pass, hasBasic := r.BasicAuth()
	u, p := sha256.Sum256([]byte(user)), sha256.Sum256([]byte(pass))
	found := ""
	for _, k := range kr.keys {
		ok := subtle.ConstantTimeCompare(secret[:], k.secret[:])
		if k.basic {
			basicOK := subtle.ConstantTimeCompare(u[:], k.username[:]) & subtle.ConstantTimeCompare(p[:], k.passwd[:])
			if !hasBasic {
				basicOK = 0
			}
			ok &= basicOK
		}
		if ok == 1 && found == "" {
			found = k.id
		}
	}
	return found
}
