package session

import (
	"crypto/rand"
	"math/big"
	"net/url"
	"strings"
	"time"
)

// Params are what an integrator may set when creating a session. Zero values
// mean "use the default".
type Params struct {
	Kind                Kind
	Owner               string
	SuccessURL          string
	CancelURL           string
	NumberOfGestures    int // 0 = default, else 1..5
	Gestures            []string
	ExpiresIn           time.Duration // 0 = default, else 60 s..24 h
	MaxAttempts         int           // 0 = default, else 1..10
	DeviceCorrelationID string
	Locale              string
	WebhookURL          string
	// BiometricRetention is how long the session's biometric values outlive
	// its end (the API key's retention); 0 keeps none past the verdict.
	BiometricRetention time.Duration
}

// Locales are the page languages livegate ships.
var Locales = []string{"en", "id"}

// New validates p and returns a PENDING session created at now with a fresh
// id. Every rule of the session API's table is checked here; errors are
// *Error with code EInvalid and a message naming the field.
func New(p Params, now time.Time) (*Session, error) {
	if !p.Kind.Valid() {
		return nil, Errorf(EInvalid, "unknown session kind %q", p.Kind)
	}
	if p.SuccessURL == "" {
		return nil, Errorf(EInvalid, "success_url is required")
	}
	if err := CheckRedirectURL("success_url", p.SuccessURL); err != nil {
		return nil, err
	}
	if p.CancelURL != "" {
		if err := CheckRedirectURL("cancel_url", p.CancelURL); err != nil {
			return nil, err
		}
	}
	if p.WebhookURL != "" {
		if err := CheckRedirectURL("webhook_url", p.WebhookURL); err != nil {
			return nil, err
		}
	}
	s := &Session{
		ID:                  NewID(),
		Kind:                p.Kind,
		Owner:               p.Owner,
		Status:              StatusPending,
		CreatedAt:           now,
		SuccessURL:          p.SuccessURL,
		CancelURL:           p.CancelURL,
		MaxAttempts:         DefaultMaxAttempts,
		DeviceCorrelationID: p.DeviceCorrelationID,
		Locale:              p.Locale,
		WebhookURL:          p.WebhookURL,
		BiometricRetention:  max(p.BiometricRetention, 0),
	}

	expiresIn := DefaultExpiresIn
	if p.ExpiresIn != 0 {
		if p.ExpiresIn < MinExpiresIn || p.ExpiresIn > MaxExpiresIn {
			return nil, Errorf(EInvalid, "expires_in_seconds must be between %d and %d",
				int(MinExpiresIn.Seconds()), int(MaxExpiresIn.Seconds()))
		}
		expiresIn = p.ExpiresIn
	}
	s.ExpiresAt = now.Add(expiresIn)

	if p.MaxAttempts != 0 {
		if p.MaxAttempts < 1 || p.MaxAttempts > MaxMaxAttempts {
			return nil, Errorf(EInvalid, "max_attempts must be between 1 and %d", MaxMaxAttempts)
		}
		s.MaxAttempts = p.MaxAttempts
	}

	if len(p.DeviceCorrelationID) > MaxDeviceIDLength {
		return nil, Errorf(EInvalid, "device_correlation_id must be at most %d bytes (UTF-8)", MaxDeviceIDLength)
	}
	if p.Locale != "" && !validLocale(p.Locale) {
		return nil, Errorf(EInvalid, "locale must be one of %s", strings.Join(Locales, ", "))
	}

	if p.NumberOfGestures != 0 && (p.NumberOfGestures < 1 || p.NumberOfGestures > MaxNumberOfGestures) {
		return nil, Errorf(EInvalid, "number_of_gestures must be between 1 and %d", MaxNumberOfGestures)
	}
	if p.Kind == KindPassive {
		if len(p.Gestures) > 0 || p.NumberOfGestures != 0 {
			return nil, Errorf(EInvalid, "passive liveness sessions take no gestures")
		}
		return s, nil
	}
	switch {
	case len(p.Gestures) > 0:
		if len(p.Gestures) > MaxNumberOfGestures {
			return nil, Errorf(EInvalid, "gestures must list at most %d codes", MaxNumberOfGestures)
		}
		if p.NumberOfGestures != 0 && p.NumberOfGestures != len(p.Gestures) {
			return nil, Errorf(EInvalid, "number_of_gestures (%d) does not match the %d gestures given",
				p.NumberOfGestures, len(p.Gestures))
		}
		for _, code := range p.Gestures {
			g, err := ParseGesture(code)
			if err != nil {
				return nil, Errorf(EInvalid, "gestures: unknown gesture code %q", code)
			}
			s.Gestures = append(s.Gestures, g)
		}
		if stillOnly(s.Gestures) {
			return nil, Errorf(EInvalid, "gestures: a still photo can perform every one of %s; "+
				"include a head turn, tilt, eye or mouth gesture", strings.Join(p.Gestures, ", "))
		}
	default:
		n := p.NumberOfGestures
		if n == 0 {
			n = DefaultNumberOfGestures
		}
		s.Gestures = randomGestures(n)
	}
	return s, nil
}

// stillOnly reports whether every gesture of gs is one a still picture of a
// neutral face already performs (a session
// always asks at least one gesture a still picture cannot perform). A list
// that mixes them with a real action stays valid: the action is the proof.
func stillOnly(gs []Gesture) bool {
	for _, g := range gs {
		if !g.StillPerformable() {
			return false
		}
	}
	return true
}

// randomGestures draws n gestures from RandomPool with crypto/rand, never the
// same one twice in a row, so that a replayed recording cannot predict them.
// A draw without a head turn or tilt is thrown away and drawn again, so every
// drawn set gives the 3D parallax test something to measure; redrawing the
// whole sequence (rather than patching one slot) keeps every allowed
// sequence equally likely.
func randomGestures(n int) []Gesture {
	out := make([]Gesture, 0, n)
	for {
		out = out[:0]
		head := false
		for len(out) < n {
			i, _ := rand.Int(rand.Reader, big.NewInt(int64(len(RandomPool))))
			g := RandomPool[i.Int64()]
			if len(out) > 0 && out[len(out)-1] == g {
				continue
			}
			out = append(out, g)
			head = head || g.HeadMove()
		}
		if head {
			return out
		}
	}
}

func validLocale(l string) bool {
	for _, x := range Locales {
		if l == x {
			return true
		}
	}
	return false
}

// CheckRedirectURL enforces the rules for integrator URLs: absolute http or
// https, with a host, no user info, at most MaxURLLength bytes.
func CheckRedirectURL(field, raw string) error {
	if len(raw) > MaxURLLength {
		return Errorf(EInvalid, "%s must be at most %d bytes (UTF-8)", field, MaxURLLength)
	}
	if strings.ContainsAny(raw, " \t\r\n\\") {
		return Errorf(EInvalid, "%s must be an absolute http or https URL", field)
	}
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Hostname() == "" || u.User != nil || u.Opaque != "" {
		return Errorf(EInvalid, "%s must be an absolute http or https URL", field)
	}
	return nil
}

// WithSID returns raw with sid=… added to its query. The integrator's own
// query is kept byte for byte (order and encoding), except for a previous
// sid parameter, which is replaced; the fragment is kept. raw must have
// passed CheckRedirectURL.
func WithSID(raw, sid string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", Errorf(EInvalid, "bad redirect URL")
	}
	var kept []string
	if u.RawQuery != "" {
		for _, pair := range strings.Split(u.RawQuery, "&") {
			key, _, _ := strings.Cut(pair, "=")
			if k, err := url.QueryUnescape(key); err == nil && k == "sid" {
				continue
			}
			kept = append(kept, pair)
		}
	}
	u.RawQuery = strings.Join(append(kept, "sid="+url.QueryEscape(sid)), "&")
	u.ForceQuery = false
	return u.String(), nil
}

// SuccessRedirect is where the page sends the user once the session is over,
// whatever its outcome: success_url with sid. The verdict is never in it.
func (s *Session) SuccessRedirect() (string, error) { return WithSID(s.SuccessURL, s.ID) }

// CancelRedirect is where a cancel sends the user: cancel_url with sid, or
// "" when the integrator set no cancel_url.
func (s *Session) CancelRedirect() (string, error) {
	if s.CancelURL == "" {
		return "", nil
	}
	return WithSID(s.CancelURL, s.ID)
}

// checkPending returns the error for changing s at now, or nil when s is
// PENDING and unexpired. An expired session is rewritten to EXPIRED so that
// the store records what readers already see.
func (s *Session) checkPending(now time.Time) error {
	switch s.StatusAt(now) {
	case StatusPending:
		return nil
	case StatusExpired:
		return ErrExpired
	default:
		return ErrFinal
	}
}

// ClaimLease is how long a claim holds a session without being renewed: a
// browser that pressed Start and went away (closed, crashed, or a scanner
// that somehow posted) holds the session no longer than this past its last
// sign of life. Its live connection renews the claim while it is open
// (capture/live, every ClaimLease/3), so a real capture never lapses.
const ClaimLease = 2 * time.Minute

// ClaimLapsed reports whether s has a claim whose lease ran out at now.
func (s *Session) ClaimLapsed(now time.Time) bool {
	if s.ClaimedBy == "" {
		return false
	}
	last := s.ClaimedAt
	if s.ClaimRenewedAt.After(last) {
		last = s.ClaimRenewedAt
	}
	return !now.Before(last.Add(ClaimLease))
}

// HeldByOther reports whether another browser than browser holds a claim
// on s whose lease still runs at now: the "in use on another device" case.
func (s *Session) HeldByOther(browser string, now time.Time) bool {
	return s.ClaimedBy != "" && s.ClaimedBy != browser && !s.ClaimLapsed(now)
}

// Claim binds s to one browser. The first browser to press Start claims
// it; the same browser may come back (which renews its lease); any other
// gets ErrClaimed while the claim's lease runs and takes the session over
// once it has lapsed. Attempts used stay used: a takeover neither refunds
// nor resets them.
func (s *Session) Claim(browser string, now time.Time) error {
	if err := s.checkPending(now); err != nil {
		return err
	}
	if s.HeldByOther(browser, now) {
		return ErrClaimed
	}
	if s.ClaimedBy != browser {
		s.ClaimedBy, s.ClaimedAt = browser, now
	}
	s.ClaimRenewedAt = now
	return nil
}

// RenewClaim extends browser's claim lease from now: a live connection of
// the claiming browser keeps its claim this way. ErrClaimed when browser
// does not hold the claim (another browser took it over after it lapsed).
func (s *Session) RenewClaim(browser string, now time.Time) error {
	if err := s.checkPending(now); err != nil {
		return err
	}
	if browser == "" || s.ClaimedBy != browser {
		return ErrClaimed
	}
	s.ClaimRenewedAt = now
	return nil
}

// Release gives up browser's claim, so that the next browser to open the
// page claims the session: the way out of an in-app browser that cannot use
// the camera, whose user copies the link to a real browser. Only the
// claiming browser may release; releasing an unclaimed session is a no-op.
func (s *Session) Release(browser string, now time.Time) error {
	if err := s.checkPending(now); err != nil {
		return err
	}
	switch s.ClaimedBy {
	case "":
		return nil
	case browser:
		s.ClaimedBy, s.ClaimedAt, s.ClaimRenewedAt = "", time.Time{}, time.Time{}
		return nil
	}
	return ErrClaimed
}

// StartAttempt uses one attempt and returns its number (1-based), or
// ErrNoAttemptsLeft.
func (s *Session) StartAttempt(now time.Time) (int, error) {
	if err := s.checkPending(now); err != nil {
		return 0, err
	}
	if s.AttemptsLeft() == 0 {
		return 0, ErrNoAttemptsLeft
	}
	s.AttemptsUsed++
	return s.AttemptsUsed, nil
}

// ErrNoAttemptToRefund is returned by RefundAttempt when no attempt is used.
var ErrNoAttemptToRefund = &Error{Code: EConflict, Message: "no attempt to hand back"}

// RefundAttempt hands back one used attempt: an attempt that the server cut
// short through no fault of the user (a server shutdown) does not count, so
// the user can resume on another instance. It needs a PENDING, unexpired
// session with at least one attempt used.
func (s *Session) RefundAttempt(now time.Time) error {
	if err := s.checkPending(now); err != nil {
		return err
	}
	if s.AttemptsUsed == 0 {
		return ErrNoAttemptToRefund
	}
	s.AttemptsUsed--
	return nil
}

// Finish records the final result: PENDING → FINISHED, once.
func (s *Session) Finish(r Result, now time.Time) error {
	if err := s.checkPending(now); err != nil {
		return err
	}
	if r.Status != "success" && r.Status != "failed" {
		return Errorf(EInvalid, "result status must be success or failed")
	}
	if !r.GestureStatus.Valid() {
		return Errorf(EInvalid, "unknown gesture_status %q", r.GestureStatus)
	}
	// A success needs every gesture matched and, where liveness was
	// judged, a score at or over the pass mark: an attack caught by the
	// evidence must never finish as a success, whatever the caller says.
	if r.Status == "success" && r.GestureStatus != GestureMatch {
		return Errorf(EInvalid, "a success needs gesture_status MATCH, not %q", r.GestureStatus)
	}
	if r.Status == "success" && r.Liveness != nil && (r.LivenessScore == nil || *r.LivenessScore < r.Liveness.PassMark) {
		return Errorf(EInvalid, "a success needs a liveness score at or over the pass mark %g", r.Liveness.PassMark)
	}
	r.Attempts = s.AttemptsUsed
	s.Status, s.EndedAt, s.Result = StatusFinished, now, &r
	s.endBiometrics()
	return nil
}

// Cancel ends s without a result: PENDING → CANCELED. Used both when the end
// user cancels and when the integrator revokes the session.
func (s *Session) Cancel(now time.Time) error {
	if err := s.checkPending(now); err != nil {
		return err
	}
	s.Status, s.EndedAt = StatusCanceled, now
	s.endBiometrics()
	return nil
}

// Expire rewrites a PENDING session past its expiry to EXPIRED. It reports
// whether it changed anything.
func (s *Session) Expire(now time.Time) bool {
	if s.Status == StatusPending && s.StatusAt(now) == StatusExpired {
		s.Status, s.EndedAt = StatusExpired, s.ExpiresAt
		s.endBiometrics()
		return true
	}
	return false
}

// endBiometrics runs when the session ends: under a biometric retention of
// 0 the reference's embedding goes at once, in the very write that records
// the verdict (compared, then discarded); under a longer one it stays until
// BiometricUntil, when ExpireBiometrics drops it.
func (s *Session) endBiometrics() {
	if s.BiometricRetention <= 0 {
		s.dropReference()
	}
}

// BiometricUntil is when the session's biometric values must be gone: its
// end (or its expiry, if sooner) plus its BiometricRetention. A store keeps
// the session itself longer, until KeepUntil(the session retention).
func (s *Session) BiometricUntil() time.Time { return s.KeepUntil(s.BiometricRetention) }

// HasBiometrics reports whether s holds any biometric value.
func (s *Session) HasBiometrics() bool { return s.Reference != nil && s.Reference.Sealed != nil }

// ExpireBiometrics drops the biometric values of s once now has reached
// BiometricUntil, keeping its status, result and the reference's grade, and
// returns the names of those it dropped (nil when none). Stores call it on
// every read and record what it drops as a "data_expired" audit entry.
func (s *Session) ExpireBiometrics(now time.Time) []string {
	if !s.HasBiometrics() || now.Before(s.BiometricUntil()) {
		return nil
	}
	s.dropReference()
	return []string{BiometricReference}
}

// EventDataExpired is the audit event of biometric values dropped at the
// end of their retention; its outcome names them, comma-separated.
const EventDataExpired = "data_expired"

// DataExpiredEntry is the audit entry recording that the values named were
// dropped at s's BiometricUntil.
func (s *Session) DataExpiredEntry(names []string) AuditEntry {
	return AuditEntry{Time: s.BiometricUntil(), Event: EventDataExpired, Outcome: strings.Join(names, ",")}
}

// dropReference forgets the reference face's embedding; its grade stays, for
// the result's quality_for_recognition.
func (s *Session) dropReference() {
	if s.Reference != nil {
		s.Reference.Sealed = nil
	}
}

// BiometricReference names the reference embedding in DeleteBiometrics'
// answer and the audit.
const BiometricReference = "reference_embedding"

// DeleteBiometrics removes every biometric value s keeps (today the
// reference's sealed embedding; the grade, a verdict, stays) and returns
// the names of those it removed. A pending session is canceled as well: a
// check whose reference is gone cannot go on. An ended session keeps its
// status and result.
func (s *Session) DeleteBiometrics(now time.Time) []string {
	var deleted []string
	if s.Reference != nil && s.Reference.Sealed != nil {
		deleted = append(deleted, BiometricReference)
	}
	// Cancel succeeds only on a pending session; on any other, Expire
	// records an expiry that readers already see, and changes nothing else.
	if s.Cancel(now) != nil {
		s.Expire(now)
	}
	s.dropReference()
	return deleted
}

// Consent records that the end user agreed to the consent text version at
// now (pressing Start) and reports whether this was the first time: a
// reload of the capture step agrees again to nothing new.
func (s *Session) Consent(version string, now time.Time) (first bool, err error) {
	if err := s.checkPending(now); err != nil {
		return false, err
	}
	if !s.ConsentedAt.IsZero() {
		return false, nil
	}
	s.ConsentedAt, s.ConsentVersion = now, version
	return true, nil
}
