package capture_test

import (
	"errors"
	"image"
	"log/slog"
	"net/http"
	"time"

	"github.com/livegate/livegate/internal/capture"
)

// engineSink stands for the gesture engine: it reads the grey frame and
// keeps nothing of it after returning.
type engineSink struct{}

func (engineSink) Frame(img *image.Gray, t time.Time) {}

// Example shows the wiring the HTTP layer is expected to do: one API per
// server, one Accept per offer, 400 for a bad offer.
func Example() {
	api, err := capture.NewAPI(capture.NewConfig(
		capture.WithICEServer([]string{"stun:stun.example.org:3478"}, "", ""),
		capture.WithUDPPort(3478),
		capture.WithNAT1To1IPs("203.0.113.7"),
		capture.WithICETCPPort(3479),
		capture.WithTimeLimit(3*time.Minute),
		capture.WithLogger(slog.Default()),
	))
	if err != nil {
		panic(err)
	}
	defer api.Close()

	offerHandler := func(w http.ResponseWriter, r *http.Request, offer string) {
		answer, peer, err := api.Accept(r.Context(), offer, engineSink{},
			capture.WithOnMessage(func(msg []byte) { /* page → server protocol */ }))
		if errors.Is(err, capture.ErrBadOffer) {
			http.Error(w, "bad offer", http.StatusBadRequest)
			return
		}
		if err != nil {
			http.Error(w, "internal error", http.StatusInternalServerError)
			return
		}
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
	_ = offerHandler
}
