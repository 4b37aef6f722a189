package capture

import (
	"errors"
	"strings"
	"testing"
	"time"
)

const fuzzOfferMax = 16 << 10

// seedOffer is a browser's sendonly VP8 video offer, trimmed.
const seedOffer = "v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n" +
	"a=group:BUNDLE 0 1\r\na=msid-semantic: WMS\r\n" +
	"m=video 9 UDP/TLS/RTP/SAVPF 96 97\r\nc=IN IP4 0.0.0.0\r\na=rtcp:9 IN IP4 0.0.0.0\r\n" +
	"a=ice-ufrag:abcd\r\na=ice-pwd:abcdefghijklmnopqrstuvwx\r\na=ice-options:trickle\r\n" +
	"a=fingerprint:sha-256 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF\r\n" +
	"a=setup:actpass\r\na=mid:0\r\na=sendonly\r\na=rtcp-mux\r\n" +
	"a=rtpmap:96 VP8/90000\r\na=rtcp-fb:96 nack\r\na=rtcp-fb:96 nack pli\r\na=rtpmap:97 rtx/90000\r\na=fmtp:97 apt=96\r\n" +
	"m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\nc=IN IP4 0.0.0.0\r\na=mid:1\r\na=sctp-port:5000\r\n"

// FuzzCheckOffer: any text as an SDP offer. checkOffer must not panic,
// must return promptly (an offer that hangs the parser would hold a
// request goroutine and a core), must refuse with one of its four errors,
// and accepts only an offer within the limit that names VP8.
func FuzzCheckOffer(f *testing.F) {
	f.Add(seedOffer)
	f.Add(strings.Replace(seedOffer, "VP8", "H264", 1))
	f.Add(strings.Replace(seedOffer, "a=sendonly", "a=recvonly", 1))
	f.Add(strings.Replace(seedOffer, "m=video 9", "m=video 0", 1))
	f.Add("v=0\r\n")
	f.Add("")
	f.Add("v=0\r\no=- 0 0 IN IP4 0\r\ns=-\r\nt=0 0\r\nm=video 9 RTP/AVP 96\r\na=rtpmap:96 vp8\r\n")
	f.Fuzz(func(t *testing.T, offer string) {
		done := make(chan error, 1)
		go func() { done <- checkOffer(offer, fuzzOfferMax) }()
		var err error
		select {
		case err = <-done:
		case <-time.After(2 * time.Second):
			t.Fatalf("checkOffer did not return within 2 s for %q", offer)
		}
		switch {
		case err == nil:
			if len(offer) > fuzzOfferMax || !strings.Contains(strings.ToLower(offer), "vp8") {
				t.Fatalf("accepted an offer of %d bytes without VP8 or over the limit", len(offer))
			}
		case errors.Is(err, ErrOfferTooLarge):
			if len(offer) <= fuzzOfferMax {
				t.Fatalf("%d bytes refused as too large", len(offer))
			}
		case errors.Is(err, ErrMalformedSDP), errors.Is(err, ErrNoVideo), errors.Is(err, ErrUnsupportedCodec):
		default:
			t.Fatalf("refused with an error of no known kind: %v", err)
		}
	})
}
