package capture

import (
	"bytes"
	"testing"
	"time"

	"github.com/livegate/livegate/internal/capture/client"
)

// TestAPICloseWaitsForPeerTeardown: the teardown goroutine Close starts is
// the API's; API.Close returns only once it has released the peer.
func TestAPICloseWaitsForPeerTeardown(t *testing.T) {
	a := newTestAPI(t)
	_, p := connect(t, a, FrameSinkFunc(func(Frame) {}), client.Options{})
	p.Close(nil)
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.Done():
	default:
		t.Error("API.Close returned while a peer's teardown was running")
	}
}

// TestCloseFlushesTheLastMessage: a message sent just before Close reaches
// the page (the closing and done messages of the protocol rely on it).
func TestCloseFlushesTheLastMessage(t *testing.T) {
	a := newTestAPI(t)
	got := make(chan []byte, 1)
	c, p := connect(t, a, FrameSinkFunc(func(Frame) {}), client.Options{})
	c.OnMessage(func(m []byte) {
		select {
		case got <- m:
		default:
		}
	})
	// Larger than one SCTP packet, so that it is still buffered at Close.
	last := bytes.Repeat([]byte("x"), 60<<10)
	if err := p.Send(last); err != nil {
		t.Fatal(err)
	}
	p.Close(nil)
	select {
	case m := <-got:
		if !bytes.Equal(m, last) {
			t.Errorf("got %d bytes; want the %d sent", len(m), len(last))
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the message sent before Close never arrived")
	}
	<-p.Done()
}
