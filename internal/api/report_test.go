package api_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/livegate/livegate/internal/api"
	"github.com/livegate/livegate/internal/session"
	"github.com/livegate/livegate/internal/signedurl"
)

func reportPath(sid string) string { return "/report/" + sid }

// TestFinishedSessionHasEvidenceAndReportLink: a finished active session's
// answer carries result.evidence as stored and a report_url signed for its
// path that the signer accepts, valid for ReportTTL but never past the
// session's retention; an unfinished session has no link, and a link
// changed to another session's path does not verify.
func TestFinishedSessionHasEvidenceAndReportLink(t *testing.T) {
	signer, err := signedurl.New(strings.Repeat("k", 40))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name      string
		retention time.Duration
		want      time.Duration // validity from the finish
	}{
		{"default validity", 0, api.DefaultReportTTL},
		{"retention shorter than the validity", 2 * time.Hour, 2 * time.Hour},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, nil, func(c *api.Config) {
				c.Reports, c.ReportPath, c.Retention = signer, reportPath, tc.retention
			})
			sid := f.create(keyA, `{"success_url":"https://a.example/","gestures":["HEAD_LEFT"]}`).obj["sid"].(string)
			if r := f.do("GET", sessions+"/"+sid, keyA, ""); r.obj["report_url"] != nil {
				t.Fatalf("a pending session has a report_url: %s", r.body)
			}
			now := f.clock.Now()
			held, matched := int64(700), int64(900)
			ev := session.GestureEvidence{
				Gesture: session.HeadLeft, Status: session.GestureMatch, Measure: "yaw", Threshold: 18, Release: 10,
				HeldMS: &held, MatchedMS: &matched, EndMS: 900, Held: [][2]int64{{700, 900}},
				Turn: &session.TurnEvidence{Planar: 0.06, PlanarMin: 0.02, Parallax: 0.16, ParallaxMin: 0.08},
				Samples: session.EvidenceSamples{T: []int64{0, 100}, Yaw: []float32{0.5, 19}, Pitch: []float32{0, 1},
					Eye: []float32{1, 1}, Mouth: []float32{0, 0}, Measure: []float32{0.5, 19}},
			}
			_, err := f.store.Update(context.Background(), sid, func(s *session.Session) error {
				if _, err := s.StartAttempt(now); err != nil {
					return err
				}
				return s.Finish(session.Result{Status: "failed", GestureStatus: session.GestureMatch,
					Evidence: []session.GestureEvidence{ev}}, now)
			})
			if err != nil {
				t.Fatal(err)
			}
			r := f.do("GET", sessions+"/"+sid, keyA, "")
			res, _ := r.obj["result"].(map[string]any)
			evs, _ := res["evidence"].([]any)
			if len(evs) != 1 {
				t.Fatalf("result.evidence %v; want one gesture", res["evidence"])
			}
			e0, _ := evs[0].(map[string]any)
			samples, _ := e0["samples"].(map[string]any)
			if e0["gesture"] != "HEAD_LEFT" || e0["threshold"] != float64(18) || e0["matched_ms"] != float64(900) || len(samples["t_ms"].([]any)) != 2 {
				t.Errorf("evidence %v; want the stored one", e0)
			}

			raw, _ := r.obj["report_url"].(string)
			u, err := url.Parse(raw)
			if err != nil || !strings.HasPrefix(raw, public+"/report/"+sid+"?") {
				t.Fatalf("report_url %q; want %s/report/%s?…", raw, public, sid)
			}
			if err := signer.Verify(u.Path, u.Query(), now); err != nil {
				t.Errorf("report_url does not verify: %v", err)
			}
			if err := signer.Verify(reportPath("another"), u.Query(), now); err == nil {
				t.Errorf("report_url's signature verifies for another session")
			}
			exp, _ := r.obj["report_expires_at"].(float64)
			if want := now.Add(tc.want).Truncate(time.Second).UnixMilli(); int64(exp) != want {
				t.Errorf("report_expires_at %d; want %d (%v after the finish)", int64(exp), want, tc.want)
			}
			if err := signer.Verify(u.Path, u.Query(), now.Add(tc.want+time.Second)); err == nil {
				t.Errorf("report_url still valid past report_expires_at")
			}
		})
	}
}
