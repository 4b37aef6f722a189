// Package turncred issues short-lived TURN credentials by the TURN REST
// convention (draft-uberti-behave-turn-rest-00), which coturn checks when it
// runs with use-auth-secret and static-auth-secret: the username is
// "<unix expiry>:<id>" and the password is base64(HMAC-SHA1(secret,
// username)). The TURN server needs only the shared secret, no user list,
// and a password read off a page stops working at its expiry.
package turncred

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"errors"
	"strconv"
	"time"
)

// Credential is one TURN username and password and when they expire.
type Credential struct {
	Username string
	Password string
	Expires  time.Time
}

// Issuer issues credentials under one shared secret.
type Issuer struct {
	secret []byte
	ttl    time.Duration
	now    func() time.Time
}

// New returns an Issuer whose credentials last ttl (whole seconds; at least
// one). now is the clock, nil for time.Now.
func New(secret string, ttl time.Duration, now func() time.Time) (*Issuer, error) {
	if secret == "" {
		return nil, errors.New("turncred: empty secret")
	}
	if ttl < time.Second {
		return nil, errors.New("turncred: lifetime under one second")
	}
	if now == nil {
		now = time.Now
	}
	return &Issuer{secret: []byte(secret), ttl: ttl, now: now}, nil
}

// TTL is how long the credentials last.
func (i *Issuer) TTL() time.Duration { return i.ttl }

// Issue returns credentials for id (a session id) that expire TTL from now.
// id is part of the username, so coturn's logs and quotas name the session
// and credentials issued for one session are not those of another.
func (i *Issuer) Issue(id string) Credential {
	exp := i.now().Add(i.ttl).Truncate(time.Second)
	user := strconv.FormatInt(exp.Unix(), 10) + ":" + id
	return Credential{Username: user, Password: Password(string(i.secret), user), Expires: exp}
}

// Password is the TURN REST password of username under secret:
// base64(HMAC-SHA1(secret, username)).
func Password(secret, username string) string {
	m := hmac.New(sha1.New, []byte(secret))
	m.Write([]byte(username))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}
