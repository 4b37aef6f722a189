// Package coturntest starts a real coturn on loopback for tests, checking
// credentials with a shared secret (use-auth-secret) as livegate's TURN
// support expects of a deployment.
package coturntest

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"net"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"
)

// Server is a running coturn.
type Server struct {
	// Addr is its UDP and TCP listening address, 127.0.0.1:port.
	Addr string
	// Secret is its static-auth-secret.
	Secret string

	log *syncBuffer
}

// URL is the turn: URL of the server over UDP.
func (s *Server) URL() string { return "turn:" + s.Addr + "?transport=udp" }

// Log is what coturn has logged so far.
func (s *Server) Log() string { return s.log.String() }

// Start runs turnserver on a free loopback port with secret, relaying on
// 127.0.0.1 to loopback peers (which coturn refuses by default), and stops
// it when the test ends. A missing turnserver fails the test: CI installs
// coturn (scripts/deps.sh test), and a skip would hide that it went missing.
func Start(tb testing.TB, secret string) *Server {
	tb.Helper()
	bin, err := exec.LookPath("turnserver")
	if err != nil {
		tb.Fatal("turnserver not found; run `scripts/deps.sh test` (or apt-get install coturn)")
	}
	port := freePort(tb)
	dir := tb.TempDir()
	s := &Server{Addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), Secret: secret, log: &syncBuffer{}}
	cmd := exec.Command(bin,
		"-n", // no configuration file: only these flags
		"--listening-ip=127.0.0.1", "--relay-ip=127.0.0.1",
		"--listening-port="+strconv.Itoa(port),
		"--use-auth-secret", "--static-auth-secret="+secret, "--realm=livegate.test",
		"--no-tls", "--no-dtls", "--no-cli", "--allow-loopback-peers",
		"--pidfile="+filepath.Join(dir, "turnserver.pid"),
		"--userdb="+filepath.Join(dir, "turndb"),
		"--log-file=stdout", "--simple-log", "--verbose",
	)
	cmd.Stdout, cmd.Stderr = s.log, s.log
	if err := cmd.Start(); err != nil {
		tb.Fatalf("start turnserver: %v", err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	tb.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
	})
	deadline := time.Now().Add(15 * time.Second)
	for !s.answers() {
		select {
		case <-exited:
			tb.Fatalf("turnserver exited at start:\n%s", s.Log())
		default:
		}
		if time.Now().After(deadline) {
			tb.Fatalf("turnserver does not answer STUN on %s within 15 s:\n%s", s.Addr, s.Log())
		}
		time.Sleep(50 * time.Millisecond)
	}
	return s
}

// answers sends a STUN Binding request (RFC 5389) and reports whether a
// Binding success response with the same transaction id came back.
func (s *Server) answers() bool {
	c, err := net.Dial("udp", s.Addr)
	if err != nil {
		return false
	}
	defer c.Close()
	req := make([]byte, 20)
	binary.BigEndian.PutUint16(req[0:], 0x0001)     // Binding request
	binary.BigEndian.PutUint32(req[4:], 0x2112A442) // magic cookie
	_, _ = rand.Read(req[8:20])
	if _, err := c.Write(req); err != nil {
		return false
	}
	_ = c.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
	buf := make([]byte, 1500)
	n, err := c.Read(buf)
	return err == nil && n >= 20 && binary.BigEndian.Uint16(buf[0:]) == 0x0101 && bytes.Equal(buf[8:20], req[8:20])
}

// freePort returns a port free on 127.0.0.1 for both UDP and TCP (coturn
// listens on both).
func freePort(tb testing.TB) int {
	tb.Helper()
	for range 20 {
		u, err := net.ListenPacket("udp4", "127.0.0.1:0")
		if err != nil {
			tb.Fatal(err)
		}
		port := u.LocalAddr().(*net.UDPAddr).Port
		t, err := net.Listen("tcp4", fmt.Sprintf("127.0.0.1:%d", port))
		u.Close()
		if err == nil {
			t.Close()
			return port
		}
	}
	tb.Fatal("no port free for both UDP and TCP on 127.0.0.1")
	return 0
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}
