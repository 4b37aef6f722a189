// Package metrics holds livegate's domain metrics that are not tied to one
// surface: session transitions, counted at the one place every transition
// passes through, the store.
package metrics

import (
	"context"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/livegate/livegate/internal/session"
)

// Store wraps a session.Store and counts sessions created and every status
// change, by kind and new status. Counting in the wrapper means the API, the
// pages and the capture pipeline cannot forget to.
type Store struct {
	session.Store
	transitions *prometheus.CounterVec
}

// InstrumentStore returns s wrapped with a counter registered on reg.
func InstrumentStore(s session.Store, reg prometheus.Registerer) *Store {
	m := &Store{
		Store: s,
		transitions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "livegate_sessions_total",
			Help: "Sessions entering each status (PENDING when created), by kind.",
		}, []string{"kind", "status"}),
	}
	reg.MustRegister(m.transitions)
	return m
}

// Create counts a new PENDING session.
func (m *Store) Create(ctx context.Context, s *session.Session) error {
	if err := m.Store.Create(ctx, s); err != nil {
		return err
	}
	m.transitions.WithLabelValues(string(s.Kind), string(s.Status)).Inc()
	return nil
}

// Update counts a status change that fn made and the store committed.
func (m *Store) Update(ctx context.Context, id string, fn func(*session.Session) error) (*session.Session, error) {
	var before session.Status
	s, err := m.Store.Update(ctx, id, func(s *session.Session) error {
		before = s.Status // the store may call fn again on a retry
		return fn(s)
	})
	if err == nil && s.Status != before {
		m.transitions.WithLabelValues(string(s.Kind), string(s.Status)).Inc()
	}
	return s, err
}
