package e2e_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/livegate/livegate/internal/turncred/coturntest"
)

// recordPeers keeps every RTCPeerConnection the page makes in
// window.__livegatePeers, so that the test can read the page's
// configuration and ICE statistics (the page keeps its peer to itself).
const recordPeers = `(() => {
  const Orig = window.RTCPeerConnection;
  if (!Orig) return;
  window.__livegatePeers = [];
  window.RTCPeerConnection = function (...args) {
    const pc = new Orig(...args);
    window.__livegatePeers.push(pc);
    return pc;
  };
  window.RTCPeerConnection.prototype = Orig.prototype;
})();`

// selectedPair describes the page's last peer: its iceTransportPolicy and
// the candidate types of its selected pair, from getStats.
const selectedPair = `(async () => {
  const pcs = window.__livegatePeers || [];
  const pc = pcs[pcs.length - 1];
  if (!pc) return "no peer";
  const stats = await pc.getStats();
  let pairId = "";
  stats.forEach((s) => { if (s.type === "transport" && s.selectedCandidatePairId) pairId = s.selectedCandidatePairId; });
  const pair = stats.get(pairId);
  if (!pair) return pc.getConfiguration().iceTransportPolicy + " no-pair";
  const local = stats.get(pair.localCandidateId), remote = stats.get(pair.remoteCandidateId);
  return [pc.getConfiguration().iceTransportPolicy, local.candidateType, local.address + ":" + local.port, remote.candidateType].join(" ");
})()`

// TestFlowThroughTURN: with a real coturn on loopback, LIVEGATE_TURN_SECRET
// and LIVEGATE_ICE_RELAY_ONLY, headless Chromium gathers relay candidates
// only, with the credentials livegate issued for its session, and
// completes a live session through the relay.
func TestFlowThroughTURN(t *testing.T) {
	const secret = "e2e-turn-secret-0123456789abcdef"
	turn := coturntest.Start(t, secret)
	s := newStack(t, stackOptions{real: true, env: map[string]string{
		"LIVEGATE_TURN_SECRET":    secret,
		"LIVEGATE_TURN_URLS":      turn.URL(),
		"LIVEGATE_ICE_RELAY_ONLY": "true",
	}})
	sid, pageURL := s.session(map[string]any{"gestures": []string{"HEAD_LEFT"}})
	b := openReactiveBrowser(t, reaction{Delay: reactionDelay})
	beforeEachDocument(t, b, recordPeers)

	startCapture(t, b, pageURL)
	if got := evalString(b, `document.getElementById("capture").dataset.iceTransportPolicy`); got != "relay" {
		t.Errorf("data-ice-transport-policy = %q; want relay", got)
	}
	waitScreen(t, b, "screen-live", 60*time.Second)
	waitInstruction(t, b, "HEAD_LEFT", firstInstructionTimeout)
	pair, err := chromedp.Run(b.Context(), chromedp.Evaluate[string](selectedPair, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("reading the page's selected pair: %v", err)
	}
	t.Logf("page's selected candidate pair: %s", pair)
	if f := strings.Fields(pair); len(f) != 4 || f[0] != "relay" || f[1] != "relay" {
		t.Errorf("page's policy and selected pair %q; want relay-only and a relay local candidate", pair)
	}
	waitScreen(t, b, "screen-success", 30*time.Second)
	// coturn allocated for the page with the credentials issued for sid.
	if log := turn.Log(); !strings.Contains(log, ":"+sid+">: incoming packet ALLOCATE processed, success") {
		t.Errorf("coturn's log shows no allocation for %s:\n%s", sid, log)
	}
	noProblems(t, b)
}
