// Package templates holds the templ components of the end user's pages and
// of the demo. Components take plain view values, already localised by the
// caller's choice of catalogue; they never see a store or a request. Every
// screen root and every key control carries a data-testid that the handler
// and browser tests query.
//
// The *_templ.go files are generated: run `go tool templ generate` after an
// edit and commit both.
package templates

import "github.com/livegate/livegate/internal/web/i18n"

// Page is what every page needs: the catalogue of its language, its title
// and the lookup from a static file's plain name to its hashed URL.
type Page struct {
	T     *i18n.Messages
	Title string
	Asset func(name string) string
	Wide  bool // a wider column, for the demo's JSON
	// Scripts are extra static scripts (plain names) the page loads after
	// app.js, such as capture.js on the capture screen.
	Scripts []string
	// Styles are extra style sheets (plain names) after app.css, such as
	// report.css on the session report.
	Styles []string
}

func (p Page) mainClass() string {
	if p.Wide {
		return "main main-wide"
	}
	return "main"
}

// ConsentView is the consent screen shown before the camera is used.
type ConsentView struct {
	StartURL  string // where Start posts (the capture step), which claims the session
	CSRFToken string // the browser's synchronizer token, for Start's form
	Retention string // how long results are kept, in words ("7 days")
	// FaceData says what becomes of the face data of the session's
	// reference photo and for how long, as rendered; empty when the session
	// has none.
	FaceData string
	// Pictures says whether still pictures of the face are kept, and for
	// how long.
	Pictures string
	Passive  bool // one selfie, no gestures
	Cancel   *CancelForm
}

// CancelForm is the POST form that cancels a session, shown only when the
// integrator set a cancel_url (or on screens that offer a way out).
type CancelForm struct {
	Action    string
	CSRFToken string
}

// Link is a button-styled link.
type Link struct {
	URL    string
	TestID string
}

// MessageView is a screen that states where the session stands, with at
// most one way forward.
type MessageView struct {
	TestID   string // screen-…
	Icon     string // a file in web/static
	Title    string
	Body     string
	Continue *Link       // to the success redirect
	Back     *Link       // to the cancel redirect
	Cancel   *CancelForm // cancel, then to the cancel redirect
}

// DemoHomeView is the demo's first page.
type DemoHomeView struct {
	Action    string
	CSRFToken string
}

// DemoExchange is one call the demo made to the REST API and what came back.
type DemoExchange struct {
	Request     string // "POST /face/v1/active-liveness-sessions"
	RequestBody string // pretty JSON, or ""
	Status      int
	StatusText  string
	Body        string // pretty JSON, exactly the fields the API sent
	OK          bool
}

func (e DemoExchange) statusClass() string {
	if e.OK {
		return "status-ok"
	}
	return "status-err"
}

// DemoCreatedView is the page after the demo created a session.
type DemoCreatedView struct {
	Exchange DemoExchange
	PageURL  string // the response's url, or "" when creation failed
	Home     string
}

// DemoResultView is the page the end user's page sends the user back to.
type DemoResultView struct {
	TestID   string
	Title    string
	Exchange *DemoExchange // nil when the link had no valid sid
	Home     string
}
