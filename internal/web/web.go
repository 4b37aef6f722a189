// Package web serves the end user's pages: /s/{sid} (consent, then the
// capture step), the cancel form and the static files they load.
//
// The first browser to open a session's page claims it: the browser gets a
// random id in a signed, encrypted, HttpOnly cookie, and the session stores
// only that id's SHA-256 digest. Any other browser is told the session is in
// use on another device. Forms are protected twice against cross-site
// requests: net/http's CrossOriginProtection (Sec-Fetch-Site / Origin) and a
// per-browser synchronizer token compared in constant time.
//
// Every page carries a strict Content-Security-Policy with no inline script
// or style; all strings come from the i18n catalogues.
package web

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/a-h/templ"

	"github.com/livegate/livegate/internal/httpx"
	"github.com/livegate/livegate/internal/session"
	"github.com/livegate/livegate/internal/signedurl"
	"github.com/livegate/livegate/internal/web/i18n"
	"github.com/livegate/livegate/web/static"
	"github.com/livegate/livegate/web/templates"
)

// Config is what the end user's pages need.
type Config struct {
	// Store holds the sessions. Required.
	Store session.Store
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// Logger receives errors and notable events; slog.Default when nil.
	Logger *slog.Logger
	// CookieKeys are the hash and block key pairs of the browser cookie,
	// newest first (see DeriveCookieKeys). Required.
	CookieKeys [][]byte
	// PublicURL is the base URL browsers reach livegate at. Cookies are
	// Secure unless its host is localhost, 127.0.0.1 or ::1. Required.
	PublicURL string
	// FrameAncestors is the CSP frame-ancestors value; "'none'" when empty.
	FrameAncestors string
	// Retention is how long results are kept after a session ends, as the
	// consent screen tells the user; session.DefaultRetention when zero.
	Retention time.Duration
	// ClientIP returns the address recorded in the audit trail; the host of
	// RemoteAddr when nil (set it when livegate runs behind a proxy).
	ClientIP func(*http.Request) string
	// Live is the live capture behind the capture screen. When nil, the
	// capture step says the camera check is not available.
	Live Live
	// Limits are the lockouts and offer limits; nil fields are no limit.
	Limits Limits
	// ICERelayOnly makes the capture page use TURN relay candidates only
	// (RTCPeerConnection's iceTransportPolicy "relay"): to prove a TURN
	// deployment, or to keep users' addresses from the service's peer.
	ICERelayOnly bool
	// FrameRate is the camera frame rate the capture page asks for: the
	// rate the server analyses (every frame sent is decoded, so frames
	// above it cost the server for nothing); capture.DefaultAnalysisFPS
	// when zero.
	FrameRate float64
	// Reports verifies the signed links of the session report
	// (GET /report/{sid}); nil answers 404 there.
	Reports *signedurl.Signer
	// ReportImages lists a session's evidence images for its report; nil
	// shows none.
	ReportImages ReportImages
	// KeepsImages: the server keeps a finished session's evidence images
	// (a data key and an image store), for the session's biometric
	// retention; the consent screen says so where that retention is above
	// zero, and that none are kept otherwise.
	KeepsImages bool
}

// Handler serves the end user's pages and the session report. Mount it for
// the path prefixes "/s/", "/report/" and "/static/".
type Handler struct {
	store          session.Store
	now            func() time.Time
	log            *slog.Logger
	browsers       *BrowserStore
	assets         *Assets
	catalogues     *i18n.Catalogues
	origins        *http.CrossOriginProtection
	frameAncestors string
	retention      time.Duration
	keepsImages    bool
	clientIP       func(*http.Request) string
	limits         Limits
	live           Live
	relayOnly      bool
	frameRate      float64
	signaller      Signaller // cfg.Live when it implements it (offer.go)
	reports        *signedurl.Signer
	images         ReportImages
	mux            *httpx.Mux
}

// New checks cfg and returns the handler.
func New(cfg Config) (*Handler, error) {
	if cfg.Store == nil {
		return nil, errors.New("web: no session store")
	}
	if _, err := url.Parse(cfg.PublicURL); err != nil || Origin(cfg.PublicURL) == "" {
		return nil, errors.New("web: public URL must be an absolute http or https URL")
	}
	browsers, err := NewBrowserStore(cfg.CookieKeys, SecureCookies(cfg.PublicURL))
	if err != nil {
		return nil, err
	}
	assets, err := NewAssets(static.FS())
	if err != nil {
		return nil, err
	}
	cat, err := i18n.Load()
	if err != nil {
		return nil, err
	}
	h := &Handler{
		store:          cfg.Store,
		now:            cfg.Now,
		log:            cfg.Logger,
		browsers:       browsers,
		assets:         assets,
		catalogues:     cat,
		origins:        http.NewCrossOriginProtection(),
		frameAncestors: cfg.FrameAncestors,
		retention:      cfg.Retention,
		keepsImages:    cfg.KeepsImages,
		clientIP:       cfg.ClientIP,
		limits:         cfg.Limits,
		live:           cfg.Live,
		relayOnly:      cfg.ICERelayOnly,
		frameRate:      cfg.FrameRate,
		reports:        cfg.Reports,
		images:         cfg.ReportImages,
		mux:            httpx.NewMux(),
	}
	if h.now == nil {
		h.now = time.Now
	}
	if h.log == nil {
		h.log = slog.Default()
	}
	if h.frameAncestors == "" {
		h.frameAncestors = DefaultFrameAncestors
	}
	if strings.ContainsAny(h.frameAncestors, ";,\r\n") {
		return nil, fmt.Errorf("web: frame ancestors %q must be CSP sources separated by spaces", h.frameAncestors)
	}
	if u, _ := url.Parse(cfg.PublicURL); browsers.secure && u.Scheme == "http" {
		h.log.Warn("web: cookies are Secure but the public URL is plain http: browsers will drop them and every visit will look like a new device",
			"public_url", cfg.PublicURL)
	}
	if h.retention <= 0 {
		h.retention = session.DefaultRetention
	}
	if h.clientIP == nil {
		h.clientIP = remoteHost
	}
	h.mux.HandleFunc("GET /s/{sid}", h.limitPages(h.serveConsent))
	h.mux.HandleFunc("GET /s/{sid}/capture", h.limitPages(h.serveCapture))
	h.mux.HandleFunc("POST /s/{sid}/capture", h.serveStart)
	h.mux.HandleFunc("POST /s/{sid}/cancel", h.serveCancel)
	h.mux.HandleFunc("POST /s/{sid}/release", h.serveRelease)
	if sig, ok := cfg.Live.(Signaller); ok {
		h.signaller = sig
		h.mux.HandleFunc("POST /s/{sid}/offer", h.serveOffer)
		h.mux.HandleFunc("DELETE /s/{sid}/offer", h.serveHangup)
	}
	h.mux.HandleFunc("GET /s/", h.limitPages(h.serveNotFound))
	h.mux.HandleFunc("GET /report/{sid}", h.serveReport)
	h.mux.Handle("GET "+StaticPrefix, assets)
	return h, nil
}

// ServeHTTP routes a request. Every response, the router's own 404 and 405
// included, starts with the strictest headers; pages and static files
// replace them with their own.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	hd.Set("Content-Security-Policy", ContentSecurityPolicy(h.frameAncestors))
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Referrer-Policy", "no-referrer")
	hd.Set("Cache-Control", "no-store")
	h.mux.ServeHTTP(w, r)
}

// Routes lists the patterns the pages serve ("GET /s/{sid}", …), with the
// catch-all "GET /s/" (the not-found page) and the static files' prefix.
func (h *Handler) Routes() []string { return h.mux.Patterns() }

// AssetURL returns the hashed URL of a static file by its plain name.
func (h *Handler) AssetURL(name string) string { return h.assets.URL(name) }

// page is the view every component gets.
func (h *Handler) page(m *i18n.Messages, title string) templates.Page {
	return templates.Page{T: m, Title: title, Asset: h.assets.URL}
}

// render writes a complete page, or a plain 500 when the component fails,
// never half a page.
func (h *Handler) render(w http.ResponseWriter, r *http.Request, status int, csp string, c templ.Component) {
	Render(w, r, h.log, status, csp, c)
}

// Render buffers c, then writes it with the page headers and status.
func Render(w http.ResponseWriter, r *http.Request, log *slog.Logger, status int, csp string, c templ.Component) {
	var buf bytes.Buffer
	if err := c.Render(r.Context(), &buf); err != nil {
		log.ErrorContext(r.Context(), "web: render page", "err", err)
		http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
		return
	}
	SetPageHeaders(w.Header(), csp)
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

func remoteHost(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
