package capture_test

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/livegate/livegate/internal/capture"
)

// engineSink stands for the gesture engine: it reads the grey frame and
// keeps nothing of it after returning.
type engineSink struct{}

func (engineSink) Frame(f capture.Frame) {}

// Example shows the wiring the HTTP layer is expected to do (package
// capture/live does it for the service): one API per server, one Accept per
// offer, 400 for a bad offer, the data channel for the protocol and
// Peer.Done for the end. A production server also shares one UDP port
// (WithUDPPort) and listens for ICE over TCP (WithICETCPPort); they are left
// out here so that the example runs anywhere.
func Example() {
	api, err := capture.NewAPI(capture.NewConfig(
		capture.WithICEServer([]string{"stun:stun.example.org:3478"}, "", ""),
		capture.WithNAT1To1IPs("203.0.113.7"),
		capture.WithTimeLimit(3*time.Minute),
		capture.WithLogger(slog.New(slog.DiscardHandler)),
	))
	if err != nil {
		panic(err)
	}
	defer api.Close()

	offerHandler := func(w http.ResponseWriter, r *http.Request) {
		offer, _ := io.ReadAll(io.LimitReader(r.Body, 64<<10))
		answer, peer, err := api.Accept(r.Context(), string(offer), engineSink{},
			capture.WithOnMessage(func(msg []byte) { /* page → server protocol */ }))
		if errors.Is(err, capture.ErrBadOffer) {
			http.Error(w, "bad offer", http.StatusBadRequest)
			return
		}
		if err != nil {
			http.Error(w, "internal error", http.StatusInternalServerError)
			return
		}
		// The peer's owner waits for its end (Done) and speaks the
		// protocol once the channel is open.
		go func() {
			<-peer.ChannelOpen()
			_ = peer.Send([]byte(`{"v":1,"type":"instruction"}`))
		}()
		go func() {
			<-peer.Done()
			slog.Info("peer ended", "reason", peer.Err(), "stats", peer.Stats())
		}()
		w.Header().Set("Content-Type", "application/sdp")
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write([]byte(answer))
	}

	fmt.Println("page's ICE servers:", api.ICEServers()[0].URLs)
	for _, offer := range []string{"", "v=0\r\n"} {
		rec := httptest.NewRecorder()
		offerHandler(rec, httptest.NewRequest("POST", "/s/sid/offer", strings.NewReader(offer)))
		fmt.Printf("offer %q: %d %s", offer, rec.Code, rec.Body.String())
	}
	// Output:
	// page's ICE servers: [stun:stun.example.org:3478]
	// offer "": 400 bad offer
	// offer "v=0\r\n": 400 bad offer
}
