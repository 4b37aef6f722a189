// Package api serves livegate's REST API under /face/v1: the GLAIR-compatible
// active and passive liveness sessions with livegate's extensions, behind API
// keys. Paths, field names, value spellings and status codes follow GLAIR;
// livegate only ever adds fields.
package api

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/livegate/livegate/internal/faceid"
	"github.com/livegate/livegate/internal/httpx"
	"github.com/livegate/livegate/internal/liveness"
	"github.com/livegate/livegate/internal/sealed"
	"github.com/livegate/livegate/internal/session"
	"github.com/livegate/livegate/internal/signedurl"
)

// MaxBodyBytes bounds every JSON request body.
const MaxBodyBytes = 64 << 10

// Config holds what the API needs. Store, Keys and PublicURL are required.
type Config struct {
	Store session.Store
	// Limiter bounds session creation per API key; nil means no limit.
	Limiter   session.RateLimiter
	Keys      []Key
	PublicURL string // base of the end user's page URLs, without a trailing slash
	Now       func() time.Time
	Logger    *slog.Logger
	Still     StillChecker // POST /face/v1/active-liveness; nil answers 503
	// Passive judges POST /face/v1/passive-liveness; nil answers 503.
	Passive PassiveChecker
	// SpoofBands cut spoof_percentage into HIGH, MODERATE and LOW; the zero
	// value means DefaultSpoofBands.
	SpoofBands SpoofBands
	// Liveness fuses the single image's model score into liveness_score and
	// attack_type (its ModelThreshold and PassMark); the zero value means
	// liveness.DefaultConfig.
	Liveness liveness.Config
	// Faces embeds the photos of POST /face/v1/match; nil answers 503.
	Faces FaceEmbedder
	// References checks a session's verify_image; nil answers 503 to a create that
	// carries one.
	References ReferenceChecker
	// DataKeys seals the biometric values a session keeps (a reference's
	// embedding); nil keeps none: a create with a verify_image answers 503.
	DataKeys *sealed.Keyring
	// MatchThreshold is the embedding distance under which two faces are the same
	// person; 0 means faceid.DefaultThreshold.
	MatchThreshold float64
	// Limits are the lockouts and rate limits beyond session creation's.
	Limits Limits
	// Images holds the sessions' evidence images; URLSigner signs their
	// links, valid for ImageURLTTL (0: DefaultImageURLTTL), never past the
	// images' retention. Without Images, URLSigner or DataKeys a result
	// lists no images (images_status "no_data_keys").
	Images      session.ImageStore
	URLSigner   *signedurl.Signer
	ImageURLTTL time.Duration
	// Webhooks checks a session's webhook_url at creation (a secret to sign
	// with, a target that is not an internal address); nil answers 503 to a
	// create that carries one.
	Webhooks WebhookChecker
	// Reports signs the report links of finished active sessions
	// (report_url, GET /report/{sid}); nil gives none.
	Reports *signedurl.Signer
	// ReportPath is the path of a session's report page (the pages'
	// web.ReportPath); required with Reports.
	ReportPath func(sid string) string
	// ReportTTL is how long a report link is valid, never past the
	// session's Retention; 0 means DefaultReportTTL.
	ReportTTL time.Duration
	// Retention is how long the store keeps a session after it ends; 0
	// means session.DefaultRetention.
	Retention time.Duration
}

// DefaultReportTTL is how long a report link is valid by default.
const DefaultReportTTL = 24 * time.Hour

// WebhookChecker decides whether owner may have its sessions' ends POSTed
// to raw. webhook.Checker is the server's.
type WebhookChecker interface {
	// CheckWebhook returns a *session.Error saying why not (EInvalid for
	// the URL, EUnavailable when the server cannot sign for owner), or nil.
	CheckWebhook(ctx context.Context, owner, raw string) error
}

// Handler is the REST API.
type Handler struct {
	store     session.Store
	limiter   session.RateLimiter
	keys      *keyring
	publicURL string
	now       func() time.Time
	log       *slog.Logger
	mux       *httpx.Mux
	refs      ReferenceChecker
	dataKeys  *sealed.Keyring
	bands     SpoofBands // of passive sessions' results too
	limits    Limits
	webhooks  WebhookChecker
	reports   *signedurl.Signer
	reportAt  func(sid string) string
	reportTTL time.Duration
	retention time.Duration

	imageStore session.ImageStore
	signer     *signedurl.Signer
	imageTTL   time.Duration
}

// New returns the API handler. Mount it at the root: it serves /face/v1/….
func New(cfg Config) (*Handler, error) {
	if cfg.Store == nil {
		return nil, errors.New("api: Store is required")
	}
	if len(cfg.Keys) == 0 {
		return nil, errors.New("api: at least one API key is required")
	}
	if cfg.PublicURL == "" {
		return nil, errors.New("api: PublicURL is required")
	}
	h := &Handler{
		store:     cfg.Store,
		limiter:   cfg.Limiter,
		keys:      newKeyring(cfg.Keys),
		publicURL: strings.TrimRight(cfg.PublicURL, "/"),
		now:       cfg.Now,
		log:       cfg.Logger,
		mux:       httpx.NewMux(),
		refs:      cfg.References,
		dataKeys:  cfg.DataKeys,
		limits:    cfg.Limits,
		webhooks:  cfg.Webhooks,
		reports:   cfg.Reports,
		reportAt:  cfg.ReportPath,
		reportTTL: cmp.Or(cfg.ReportTTL, DefaultReportTTL),
		retention: cmp.Or(cfg.Retention, session.DefaultRetention),

		imageStore: cfg.Images,
		signer:     cfg.URLSigner,
		imageTTL:   cfg.ImageURLTTL,
	}
	if h.imageTTL <= 0 {
		h.imageTTL = DefaultImageURLTTL
	}
	if h.now == nil {
		h.now = time.Now
	}
	if h.reports != nil && h.reportAt == nil {
		return nil, errors.New("api: ReportPath is required with Reports")
	}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	for _, f := range []struct {
		path string
		kind session.Kind
	}{
		{"/face/v1/active-liveness-sessions", session.KindActive},
		{"/face/v1/passive-liveness-sessions", session.KindPassive},
	} {
		h.mux.Handle("POST "+f.path, h.auth(h.create(f.kind)))
		h.mux.Handle("GET "+f.path+"/{sid}", h.auth(h.get(f.kind)))
		h.mux.Handle("DELETE "+f.path+"/{sid}", h.auth(h.revoke(f.kind)))
		h.mux.Handle("GET "+f.path+"/{sid}/audit", h.auth(h.audit(f.kind)))
		h.mux.Handle("DELETE "+f.path+"/{sid}/data", h.auth(h.deleteData(f.kind)))
		h.mux.Handle("DELETE "+f.path+"/{sid}/evidence", h.auth(h.deleteEvidence(f.kind)))
	}
	// A signed link, opened by a browser without an API key.
	h.mux.HandleFunc("GET /evidence/{sid}/{name}", h.serveImage)
	h.mux.Handle("POST /face/v1/active-liveness", h.auth(h.limitChecks(activeLiveness(cfg.Still, h.log))))
	bands := cfg.SpoofBands
	if bands == (SpoofBands{}) {
		bands = DefaultSpoofBands
	}
	if err := bands.Validate(); err != nil {
		return nil, fmt.Errorf("api: spoof bands: %w", err)
	}
	h.bands = bands
	h.mux.Handle("POST /face/v1/passive-liveness", h.auth(h.limitChecks(passiveLiveness(cfg.Passive, bands, cfg.Liveness, h.log))))
	th := cfg.MatchThreshold
	if th == 0 {
		th = faceid.DefaultThreshold
	}
	if th < 0 {
		return nil, errors.New("api: MatchThreshold must not be negative")
	}
	h.mux.Handle("POST /face/v1/match", h.auth(h.limitChecks(match(cfg.Faces, th, h.log))))
	h.mux.HandleFunc("/face/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, r, h.log, session.Errorf(session.ENotFound, "no endpoint for %s %s", r.Method, r.URL.Path))
	})
	return h, nil
}

// ServeHTTP serves the API. Unknown paths and methods get 404 in the API's
// error format, never the mux's plain text.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

// Routes lists the patterns the API serves ("POST /face/v1/match", …), the
// catch-all "/face/" that answers 404 last.
func (h *Handler) Routes() []string { return h.mux.Patterns() }

// auth rejects requests without a valid key (and Basic credentials when the
// key has them) before the handler runs.
func (h *Handler) auth(next func(w http.ResponseWriter, r *http.Request, owner string)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if h.authLocked(w, r) {
			return
		}
		owner := h.keys.authenticate(r)
		if owner == "" {
			h.authFailed(r)
			// RFC 9110 §11.6.1: a 401 names how to authenticate.
			w.Header().Add("WWW-Authenticate", `APIKey realm="livegate", header="x-api-key"`)
			if h.keys.basic {
				w.Header().Add("WWW-Authenticate", `Basic realm="livegate", charset="UTF-8"`)
			}
			writeError(w, r, h.log, session.Errorf(session.EUnauthorized, "missing or invalid API key or credentials"))
			return
		}
		next(w, r, owner)
	})
}

// writeError answers err in the API's error format, with its status from
// httpx's one table. Internal errors are logged with their cause and shown
// as "internal server error".
func writeError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	if status := httpx.Status(err); status >= 500 {
		log.ErrorContext(r.Context(), "api error", "err", err, "path", r.URL.Path)
	}
	httpx.WriteDomainError(w, err)
}

// WritePanic is the response for a handler that panicked, in the API's format.
func WritePanic(w http.ResponseWriter, r *http.Request) {
	httpx.WriteError(w, http.StatusInternalServerError, "internal server error")
}

func writeJSON(w http.ResponseWriter, r *http.Request, log *slog.Logger, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		if log != nil {
			log.ErrorContext(r.Context(), "api: encode response", "err", err)
		}
		httpx.WriteError(w, http.StatusInternalServerError, "internal server error")
		return
	}
	httpx.WriteJSONBytes(w, status, b)
}
