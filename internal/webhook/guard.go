package webhook

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"

	"github.com/livegate/livegate/internal/session"
)

// Resolver looks a host name up; *net.Resolver is one. Tests give the Guard
// their own to play DNS rebinding.
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// ErrRefused is the cause of a delivery whose target resolves only to
// addresses the Guard refuses.
var ErrRefused = errors.New("webhook: target address refused")

// blocked are the ranges a webhook may not reach unless allowed: the
// server's own machine and network, and cloud metadata services.
var blocked = func() []netip.Prefix {
	var out []netip.Prefix
	for _, s := range []string{
		"0.0.0.0/8",          // "this network", unspecified
		"10.0.0.0/8",         // private
		"100.64.0.0/10",      // CGNAT (RFC 6598)
		"127.0.0.0/8",        // loopback
		"169.254.0.0/16",     // link-local, 169.254.169.254 metadata
		"172.16.0.0/12",      // private
		"192.0.0.0/24",       // IETF protocol assignments
		"192.168.0.0/16",     // private
		"198.18.0.0/15",      // benchmarking
		"224.0.0.0/4",        // multicast
		"240.0.0.0/4",        // reserved, broadcast
		"::/128",             // unspecified
		"::1/128",            // loopback
		"fc00::/7",           // unique local, fd00:ec2::254 metadata
		"fe80::/10",          // link-local
		"ff00::/8",           // multicast
		"100::/64",           // discard
		"2001:db8::/32",      // documentation
		"fec0::/10",          // old site-local
		"64:ff9b:1::/48",     // local-use NAT64
		"::ffff:0:0:0/96",    // IPv4-translated
		"2001:10::/28",       // ORCHID
		"2001::/32",          // Teredo: the server's own tunnel
		"2002::/16",          // 6to4: may wrap any IPv4 address
		"5f00::/16",          // SRv6 SIDs
		"3fff::/20",          // documentation
		"198.51.100.0/24",    // documentation
		"203.0.113.0/24",     // documentation
		"192.0.2.0/24",       // documentation
		"255.255.255.255/32", // broadcast
	} {
		out = append(out, netip.MustParsePrefix(s))
	}
	return out
}()

// nat64 is the well-known NAT64 prefix; its addresses carry an IPv4
// address in their last 32 bits, which is what is judged.
var nat64 = netip.MustParsePrefix("64:ff9b::/96")

// Guard decides which addresses webhooks may reach. The zero value refuses
// every blocked range and resolves with net.DefaultResolver.
type Guard struct {
	allowCIDRs []netip.Prefix
	allowHosts map[string]bool
	// Resolver replaces net.DefaultResolver (tests).
	Resolver Resolver
}

// ParseAllow reads LIVEGATE_WEBHOOK_ALLOW: comma-separated host names, IP
// addresses or CIDRs that webhooks may reach even though they are private,
// loopback or link-local.
func ParseAllow(v string) (*Guard, error) {
	g := &Guard{}
	for _, item := range splitList(v) {
		if p, err := netip.ParsePrefix(item); err == nil {
			g.allowCIDRs = append(g.allowCIDRs, p.Masked())
			continue
		}
		if a, err := netip.ParseAddr(strings.Trim(item, "[]")); err == nil {
			g.allowCIDRs = append(g.allowCIDRs, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
			continue
		}
		h := strings.ToLower(strings.TrimSuffix(item, "."))
		if strings.ContainsAny(h, "/:@ ") || h == "" {
			return nil, fmt.Errorf("LIVEGATE_WEBHOOK_ALLOW: %q is neither a host name, an IP address nor a CIDR", item)
		}
		if g.allowHosts == nil {
			g.allowHosts = map[string]bool{}
		}
		g.allowHosts[h] = true
	}
	return g, nil
}

// Allowed reports whether a webhook may reach ip.
func (g *Guard) Allowed(ip netip.Addr) bool {
	ip = ip.Unmap().WithZone("")
	for _, p := range g.allowCIDRs {
		if p.Contains(ip) {
			return true
		}
	}
	if nat64.Contains(ip) {
		b := ip.As16()
		return g.Allowed(netip.AddrFrom4([4]byte(b[12:])))
	}
	for _, p := range blocked {
		if p.Contains(ip) {
			return false
		}
	}
	return ip.IsValid()
}

func (g *Guard) hostAllowed(host string) bool {
	return g.allowHosts[strings.ToLower(strings.TrimSuffix(host, "."))]
}

func (g *Guard) resolver() Resolver {
	if g.Resolver != nil {
		return g.Resolver
	}
	return net.DefaultResolver
}

// lookup returns host's addresses: itself for an IP literal.
func (g *Guard) lookup(ctx context.Context, host string) ([]netip.Addr, error) {
	if a, err := netip.ParseAddr(strings.Trim(host, "[]")); err == nil {
		return []netip.Addr{a}, nil
	}
	return g.resolver().LookupNetIP(ctx, "ip", host)
}

// CheckURL is the check at a session's creation: raw's host must not be, or
// resolve to, a refused address. A host that does not resolve now is let
// through (DNS may be down for a moment; the check at delivery still
// stands). Errors are *session.Error with code EInvalid.
func (g *Guard) CheckURL(ctx context.Context, raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return session.Errorf(session.EInvalid, "webhook_url must be an absolute http or https URL")
	}
	host := u.Hostname()
	if g.hostAllowed(host) {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	addrs, err := g.lookup(ctx, host)
	if err != nil {
		return nil
	}
	for _, a := range addrs {
		if !g.Allowed(a) {
			return session.Errorf(session.EInvalid, "webhook_url must not point to a loopback, private, link-local, "+
				"multicast or metadata address (%s is %s); the operator may allow it with LIVEGATE_WEBHOOK_ALLOW", host, a)
		}
	}
	return nil
}

// DialContext dials addr for a delivery. Unless the host is allowed by name,
// every address it resolves to is checked, and the check is made again on
// the very address being connected to (the dialer's Control function), so
// that a name that resolves to a public address at the creation check and
// to a private one now (DNS rebinding) is refused.
func (g *Guard) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	addrs, err := g.lookup(ctx, host)
	if err != nil {
		return nil, err
	}
	byName := g.hostAllowed(host)
	d := net.Dialer{Timeout: 10 * time.Second}
	if !byName {
		d.Control = g.control
	}
	var firstErr error
	for _, a := range addrs {
		if !byName && !g.Allowed(a) {
			if firstErr == nil {
				firstErr = fmt.Errorf("%w: %s resolves to %s", ErrRefused, host, a)
			}
			continue
		}
		c, err := d.DialContext(ctx, network, net.JoinHostPort(a.String(), port))
		if err == nil {
			return c, nil
		}
		if firstErr == nil || errors.Is(firstErr, ErrRefused) {
			firstErr = err
		}
	}
	if firstErr == nil {
		firstErr = fmt.Errorf("webhook: %s has no address", host)
	}
	return nil, firstErr
}

// control refuses a connection to a blocked address at the last moment.
func (g *Guard) control(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: %s", ErrRefused, address)
	}
	if !g.Allowed(ap.Addr()) {
		return fmt.Errorf("%w: %s", ErrRefused, ap.Addr())
	}
	return nil
}

// MaxResponseBytes bounds how much of a receiver's answer is read.
const MaxResponseBytes = 4 << 10

// Client returns the HTTP client deliveries use: dials through the Guard,
// no proxy (a proxy would dial for us, unchecked), no redirects followed,
// every attempt bounded by timeout.
func (g *Guard) Client(timeout time.Duration) *http.Client {
	return &http.Client{
		Timeout: timeout,
		Transport: &http.Transport{
			Proxy:                  nil,
			DialContext:            g.DialContext,
			TLSHandshakeTimeout:    timeout,
			ResponseHeaderTimeout:  timeout,
			MaxResponseHeaderBytes: 16 << 10,
			MaxIdleConns:           16,
			IdleConnTimeout:        90 * time.Second,
			ForceAttemptHTTP2:      true,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// Checker is the API's check of a webhook_url at a session's creation: the
// server must hold a secret to sign the owner's deliveries with, and the
// target must pass the Guard.
type Checker struct {
	Guard   *Guard
	Secrets *Secrets
}

// CheckWebhook returns a *session.Error (EUnavailable without a secret,
// EInvalid for a refused target), or nil.
func (c Checker) CheckWebhook(ctx context.Context, owner, raw string) error {
	if len(c.Secrets.For(owner)) == 0 {
		return session.Errorf(session.EUnavailable, "webhook_url is not available for this API key: no webhook secret is configured")
	}
	return c.Guard.CheckURL(ctx, raw)
}
