package templates_test

import (
	"bytes"
	"context"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/a-h/templ"
	"golang.org/x/net/html"

	"github.com/livegate/livegate/internal/web/i18n"
	"github.com/livegate/livegate/web/templates"
)

// markers is a catalogue whose every string is «FieldName», so that any
// other text on a page must have been written into a template by hand.
func markers() *i18n.Messages {
	m := new(i18n.Messages)
	v := reflect.ValueOf(m).Elem()
	for i := 0; i < v.NumField(); i++ {
		v.Field(i).SetString("«" + v.Type().Field(i).Name + "»")
	}
	m.Lang = "xx"
	m.DayOther = "«DayOther {n}»"
	return m
}

func page() templates.Page {
	return templates.Page{T: markers(), Title: "«Title»", Asset: func(n string) string { return "/static/" + n }}
}

// allowed is text that may appear outside the catalogue: markers, values the
// view passes in (JSON, status codes), and punctuation.
var allowed = regexp.MustCompile(`^(\s|«[A-Za-z0-9 {}]+»|[–·:/(){}\[\]",.0-9]|\{\{VALUE\}\})*$`)

func TestNoHardCodedText(t *testing.T) {
	cancel := &templates.CancelForm{Action: "/s/x/cancel", CSRFToken: "tok"}
	ex := templates.DemoExchange{Request: "{{VALUE}}", RequestBody: "{{VALUE}}", Status: 200, StatusText: "{{VALUE}}", Body: "{{VALUE}}", OK: true}
	components := map[string]templ.Component{
		"consent":         templates.Consent(page(), templates.ConsentView{StartURL: "/s/x/capture", Retention: "{{VALUE}}", Cancel: cancel}),
		"consent passive": templates.Consent(page(), templates.ConsentView{StartURL: "/s/x/capture", Retention: "{{VALUE}}", Passive: true}),
		"message": templates.Message(page(), templates.MessageView{
			TestID: "screen-x", Icon: "i.svg", Title: "«T»", Body: "«B»",
			Continue: &templates.Link{URL: "https://a.example/", TestID: "btn-continue"},
			Back:     &templates.Link{URL: "https://a.example/", TestID: "btn-back"},
			Cancel:   cancel,
		}),
		"demo home":    templates.DemoHome(page(), templates.DemoHomeView{Action: "/demo", CSRFToken: "tok"}),
		"demo created": templates.DemoCreated(page(), templates.DemoCreatedView{Exchange: ex, PageURL: "https://a.example/s/x", Home: "/demo"}),
		"demo result":  templates.DemoResult(page(), templates.DemoResultView{TestID: "screen-demo-done", Title: "«T»", Exchange: &ex, Home: "/demo"}),
		"demo missing": templates.DemoResult(page(), templates.DemoResultView{TestID: "screen-demo-done", Title: "«T»", Home: "/demo"}),
	}
	for name, c := range components {
		t.Run(name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := c.Render(context.Background(), &buf); err != nil {
				t.Fatal(err)
			}
			doc, err := html.Parse(&buf)
			if err != nil {
				t.Fatal(err)
			}
			var walk func(*html.Node)
			walk = func(n *html.Node) {
				if n.Type == html.TextNode && !allowed.MatchString(n.Data) {
					t.Errorf("hard-coded text %q in <%s>", strings.TrimSpace(n.Data), n.Parent.Data)
				}
				if n.Type == html.ElementNode {
					for _, a := range n.Attr {
						if (a.Key == "aria-label" || a.Key == "alt" || a.Key == "title" || a.Key == "placeholder") && !allowed.MatchString(a.Val) {
							t.Errorf("hard-coded %s=%q on <%s>", a.Key, a.Val, n.Data)
						}
					}
				}
				for c := n.FirstChild; c != nil; c = c.NextSibling {
					walk(c)
				}
			}
			walk(doc)
		})
	}
}
