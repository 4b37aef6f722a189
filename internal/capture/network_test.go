package capture

import (
	"context"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/livegate/livegate/internal/capture/client"
	"github.com/pion/webrtc/v4"
)

// candidates returns the "a=candidate" lines of an SDP.
func candidates(sdp string) []string {
	var out []string
	for _, l := range strings.Split(sdp, "\n") {
		if strings.HasPrefix(l, "a=candidate:") {
			out = append(out, strings.TrimSpace(l))
		}
	}
	return out
}

// candidateField returns field i of a candidate line: foundation component
// transport priority address port "typ" type ...
func candidateField(c string, i int) string {
	f := strings.Fields(strings.TrimPrefix(c, "a=candidate:"))
	if i >= len(f) {
		return ""
	}
	return f[i]
}

func freePort(t *testing.T, network string) int {
	t.Helper()
	switch network {
	case "udp":
		c, err := net.ListenPacket("udp4", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		return c.LocalAddr().(*net.UDPAddr).Port
	default:
		l, err := net.Listen("tcp4", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		return l.Addr().(*net.TCPAddr).Port
	}
}

// dialAnswer connects a client and returns the server's answer SDP.
func dialAnswer(t *testing.T, a *API, sink FrameSink, copts client.Options) (*client.Client, *Peer, string) {
	t.Helper()
	var answer string
	var peer *Peer
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	copts.Width, copts.Height, copts.IncludeLoopback, copts.Interval = testW, testH, true, 2*time.Millisecond
	c, err := client.Dial(ctx, copts, func(ctx context.Context, offer string) (string, error) {
		ans, p, err := a.Accept(ctx, offer, sink)
		answer, peer = ans, p
		return ans, err
	})
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() {
		c.Close()
		peer.Close(nil)
		<-peer.Done()
	})
	for _, ch := range []<-chan struct{}{peer.Connected(), c.Connected()} {
		select {
		case <-ch:
		case <-ctx.Done():
			t.Fatalf("not connected; answer candidates:\n%s", strings.Join(candidates(answer), "\n"))
		}
	}
	return c, peer, answer
}

func TestSingleUDPPort(t *testing.T) {
	port := freePort(t, "udp")
	a := newTestAPI(t, WithUDPPort(port))
	// Two peers share the port.
	for i := 0; i < 2; i++ {
		_, _, answer := dialAnswer(t, a, &recorder{}, client.Options{})
		cs := candidates(answer)
		if len(cs) == 0 {
			t.Fatal("no candidates in the answer")
		}
		for _, c := range cs {
			if candidateField(c, 2) == "udp" && candidateField(c, 5) != strconv.Itoa(port) {
				t.Errorf("candidate %q not on the shared port %d", c, port)
			}
		}
	}
}

func TestUDPPortRange(t *testing.T) {
	a := newTestAPI(t, WithUDPPortRange(41000, 41100))
	_, _, answer := dialAnswer(t, a, &recorder{}, client.Options{})
	for _, c := range candidates(answer) {
		p, _ := strconv.Atoi(candidateField(c, 5))
		if p < 41000 || p > 41100 {
			t.Errorf("candidate %q outside 41000-41100", c)
		}
	}
}

func TestICETCPFallback(t *testing.T) {
	port := freePort(t, "tcp")
	a := newTestAPI(t, WithICETCPPort(port))
	// The client can only use TCP, as behind a firewall that blocks UDP.
	rec := &recorder{}
	c, p, answer := dialAnswer(t, a, rec, client.Options{NetworkTypes: []webrtc.NetworkType{webrtc.NetworkTypeTCP4}})
	if !strings.Contains(answer, " tcp ") {
		t.Errorf("answer has no TCP candidate:\n%s", strings.Join(candidates(answer), "\n"))
	}
	if _, err := c.Play(context.Background(), clip(0, 10)); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for p.Stats().FramesDecoded < 10 {
		if time.Now().After(deadline) {
			t.Fatalf("frames over ICE-TCP: %+v, client got %d PLIs", p.Stats(), c.PLIs())
		}
		time.Sleep(5 * time.Millisecond)
	}
	if rec.count() == 0 {
		t.Error("no frame at the sink over ICE-TCP")
	}
}

func TestNAT1To1IPsAnnounced(t *testing.T) {
	a := newTestAPI(t, WithNAT1To1IPs("203.0.113.7"))
	answer, p, err := a.Accept(context.Background(), offerFrom(t, &webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}, nil, true), &recorder{})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { p.Close(nil); <-p.Done() }()
	if !strings.Contains(answer, " 203.0.113.7 ") {
		t.Errorf("answer does not announce the NAT IP:\n%s", strings.Join(candidates(answer), "\n"))
	}
}

func TestICEServersAndGatherTimeout(t *testing.T) {
	// A STUN server that never answers: Accept still answers, with the host
	// candidates, once the gather timeout passes.
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	a := newTestAPI(t,
		WithICEServer([]string{"stun:" + pc.LocalAddr().String()}, "", ""),
		WithICEServer([]string{"turn:127.0.0.1:3478?transport=udp"}, "user", "secret"),
		WithGatherTimeout(300*time.Millisecond))
	if got := a.ICEServers(); len(got) != 2 || got[1].Username != "user" || got[1].Credential != "secret" {
		t.Fatalf("ICEServers %+v", got)
	}
	start := time.Now()
	answer, p, err := a.Accept(context.Background(), offerFrom(t, &webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}, nil, true), &recorder{})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { p.Close(nil); <-p.Done() }()
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("Accept took %v with a 300 ms gather timeout", d)
	}
	if len(candidates(answer)) == 0 {
		t.Error("answer has no candidates")
	}
}
