package httpx

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// TrustedProxies are the addresses of the reverse proxies in front of
// livegate (LIVEGATE_TRUSTED_PROXIES), whose X-Forwarded-For is believed.
// The zero value trusts no one: the client is the connection's peer.
type TrustedProxies struct {
	nets []netip.Prefix
}

// ParseTrustedProxies reads a comma-separated list of CIDRs (a bare
// address is a one-address prefix).
func ParseTrustedProxies(s string) (TrustedProxies, error) {
	var tp TrustedProxies
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		p, err := netip.ParsePrefix(f)
		if err != nil {
			a, aerr := netip.ParseAddr(f)
			if aerr != nil {
				return TrustedProxies{}, fmt.Errorf("%q is neither a CIDR nor an IP address", f)
			}
			p = netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen())
		}
		if p.Addr().Is4In6() {
			p = netip.PrefixFrom(p.Addr().Unmap(), max(0, p.Bits()-96))
		}
		tp.nets = append(tp.nets, p.Masked())
	}
	return tp, nil
}

func (tp TrustedProxies) trusted(a netip.Addr) bool {
	for _, p := range tp.nets {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// ClientIP is the one answer to "who sent this request", for audit
// entries, limits and lockouts alike: the connection's peer, unless that
// peer is a trusted proxy; then the right-most address of X-Forwarded-For
// that is not a trusted proxy. Each proxy appends the peer it saw, so the
// entries right of that address were written by trusted proxies and the
// ones left of it by whoever the client is, who may write anything. An
// entry that is not an address stops the walk at the last trusted hop.
func (tp TrustedProxies) ClientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	peer, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	peer = peer.Unmap().WithZone("")
	if len(tp.nets) == 0 || !tp.trusted(peer) {
		return peer.String()
	}
	hops := r.Header.Values("X-Forwarded-For")
	client := peer
	for i := len(hops) - 1; i >= 0; i-- {
		entries := strings.Split(hops[i], ",")
		for j := len(entries) - 1; j >= 0; j-- {
			a, ok := parseHop(entries[j])
			if !ok {
				return client.String()
			}
			client = a
			if !tp.trusted(a) {
				return a.String()
			}
		}
	}
	return client.String()
}

// parseHop reads one X-Forwarded-For entry: an address, perhaps with a
// port, IPv6 perhaps in brackets.
func parseHop(s string) (netip.Addr, bool) {
	s = strings.TrimSpace(s)
	if a, err := netip.ParseAddr(s); err == nil {
		return a.Unmap().WithZone(""), true
	}
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap().WithZone(""), true
	}
	if a, err := netip.ParseAddr(strings.TrimSuffix(strings.TrimPrefix(s, "["), "]")); err == nil {
		return a.Unmap().WithZone(""), true
	}
	return netip.Addr{}, false
}
