package perception

import (
	"errors"
	"testing"
)

// Close during the load waits for the load's goroutine and then frees what
// it loaded: nothing of the load outlives Close.
func TestAsyncCloseWaitsForLoad(t *testing.T) {
	release := make(chan struct{})
	m := &Models{}
	a := loadAsync(func() (*Models, error) {
		<-release
		return m, nil
	})
	closed := make(chan error)
	go func() { closed <- a.Close() }()
	select {
	case <-closed:
		t.Fatal("Close returned while the load was still running")
	case <-a.done:
		t.Fatal("load ended before it was released")
	default:
	}
	close(release)
	if err := <-closed; err != nil {
		t.Fatalf("Close: %v", err)
	}
	select {
	case <-a.done:
	default:
		t.Fatal("Close returned before the load's goroutine ended")
	}
	m.mu.Lock()
	freed := m.closed
	m.mu.Unlock()
	if !freed {
		t.Error("Close did not free the loaded models")
	}
	if _, err := a.NewEngine(); !errors.Is(err, ErrModelsClosed) {
		t.Errorf("NewEngine after Close: got %v; want ErrModelsClosed", err)
	}
}

// A failed load has nothing to free: Close returns at once without error,
// and every NewEngine fails with the load's error.
func TestAsyncFailedLoad(t *testing.T) {
	boom := errors.New("boom")
	a := loadAsync(func() (*Models, error) { return nil, boom })
	if err := a.Close(); err != nil {
		t.Errorf("Close: got %v; want nil", err)
	}
	if _, err := a.NewEngine(); !errors.Is(err, boom) {
		t.Errorf("NewEngine: got %v; want %v", err, boom)
	}
}
