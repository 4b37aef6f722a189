package metrics_test

import (
	"context"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/livegate/livegate/internal/metrics"
	"github.com/livegate/livegate/internal/session"
	"github.com/livegate/livegate/internal/session/memstore"
)

func TestStoreCountsTransitions(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	reg := prometheus.NewRegistry()
	st := metrics.InstrumentStore(memstore.New(memstore.WithClock(func() time.Time { return now })), reg)
	defer st.Close()
	ctx := context.Background()
	var ids []string
	for i := 0; i < 3; i++ {
		s, err := session.New(session.Params{Kind: session.KindActive, SuccessURL: "https://a.example/"}, now)
		if err != nil {
			t.Fatal(err)
		}
		if err := st.Create(ctx, s); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, s.ID)
	}
	cancel := func(s *session.Session) error { return s.Cancel(now) }
	if _, err := st.Update(ctx, ids[0], cancel); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Update(ctx, ids[0], cancel); err == nil { // refused: already final
		t.Fatal("second cancel succeeded")
	}
	if _, err := st.Update(ctx, ids[1], func(s *session.Session) error { s.AttemptsUsed++; return nil }); err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	mfs, _ := reg.Gather()
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			var status string
			for _, l := range m.GetLabel() {
				if l.GetName() == "status" {
					status = l.GetValue()
				}
			}
			got[status] = m.GetCounter().GetValue()
		}
	}
	if got["PENDING"] != 3 || got["CANCELED"] != 1 || len(got) != 2 {
		t.Errorf("livegate_sessions_total by status: got %v; want PENDING 3, CANCELED 1", got)
	}
}
