package i18n_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/livegate/livegate/internal/web/i18n"
)

func TestCataloguesAreCompleteAndTranslated(t *testing.T) {
	c, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Langs(); !reflect.DeepEqual(got, []string{"en", "id"}) {
		t.Fatalf("Langs = %v; want [en id]", got)
	}
	en, id := reflect.ValueOf(*c.Get("en")), reflect.ValueOf(*c.Get("id"))
	for i := 0; i < en.NumField(); i++ {
		name := en.Type().Field(i).Name
		if en.Field(i).String() == id.Field(i).String() {
			t.Errorf("%s is the same in English and Indonesian: %q", name, en.Field(i).String())
		}
	}
}

func TestChoose(t *testing.T) {
	c, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ session, accept, want string }{
		{"id", "en", "id"},
		{"en", "id", "en"},
		{"ID", "", "id"},
		{"xx", "id", "id"},
		{"", "id-ID,id;q=0.9,en-US;q=0.8,en;q=0.7", "id"},
		{"", "en-GB,en;q=0.9,id;q=0.8", "en"},
		{"", "de, id;q=0.5", "id"},
		{"", "id;q=0, en;q=0.1", "en"},
		{"", "id;q=bogus", "en"},
		{"", "in", "id"},
		{"", "*", "en"},
		{"", "", "en"},
	}
	for _, tc := range tests {
		if got := c.Choose(tc.session, tc.accept).Lang; got != tc.want {
			t.Errorf("Choose(%q, %q) = %s; want %s", tc.session, tc.accept, got, tc.want)
		}
	}
}

func TestFormatAndDays(t *testing.T) {
	c, _ := i18n.Load()
	if got := c.Get("en").Days(1); got != "1 day" {
		t.Errorf("Days(1) = %q", got)
	}
	if got := c.Get("en").Days(7); got != "7 days" {
		t.Errorf("Days(7) = %q", got)
	}
	if got := c.Get("id").Days(7); got != "7 hari" {
		t.Errorf("id Days(7) = %q", got)
	}
	if got := i18n.Format("a {x} b {y}", "x", "1", "y", "2"); got != "a 1 b 2" {
		t.Errorf("Format = %q", got)
	}
}

// TestPeriod: a retention in words, in both languages.
func TestPeriod(t *testing.T) {
	c, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		d      time.Duration
		en, id string
	}{
		{24 * time.Hour, "1 day", "1 hari"},
		{7 * 24 * time.Hour, "7 days", "7 hari"},
		{time.Hour, "1 hour", "1 jam"},
		{36 * time.Hour, "36 hours", "36 jam"},
		{90 * time.Minute, "90 minutes", "90 menit"},
		{30 * time.Second, "1 minute", "1 menit"},
	} {
		if got := c.Get("en").Period(tc.d); got != tc.en {
			t.Errorf("en Period(%s) = %q; want %q", tc.d, got, tc.en)
		}
		if got := c.Get("id").Period(tc.d); got != tc.id {
			t.Errorf("id Period(%s) = %q; want %q", tc.d, got, tc.id)
		}
	}
}

// TestConsentVersionCoversShownText: the version changes with the periods
// the screen shows, not only with the catalogue.
func TestConsentVersionCoversShownText(t *testing.T) {
	c, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	m := c.Get("en")
	a := m.ConsentVersion(i18n.Format(m.ConsentKeptBody, "period", "7 days"))
	b := m.ConsentVersion(i18n.Format(m.ConsentKeptBody, "period", "7 days"), i18n.Format(m.ConsentFaceKept, "period", "2 days"))
	d := m.ConsentVersion(i18n.Format(m.ConsentKeptBody, "period", "7 days"), i18n.Format(m.ConsentFaceKept, "period", "36 hours"))
	if a == b || b == d || a == d {
		t.Errorf("versions %s, %s, %s; want three different ones", a, b, d)
	}
	if again := m.ConsentVersion(i18n.Format(m.ConsentKeptBody, "period", "7 days")); again != a {
		t.Errorf("the same text gave %s then %s", a, again)
	}
}
