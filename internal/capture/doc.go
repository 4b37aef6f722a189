// Package capture receives the end user's camera over WebRTC and turns it
// into grey frames for the gesture engine.
//
// One API (NewAPI) holds the pion configuration shared by every peer: VP8 as
// the only codec, NACK and RTCP report interceptors, ICE servers, the UDP
// port mux or port range, NAT 1:1 addresses and ICE over TCP. API.Accept
// answers one browser's SDP offer (non-trickle: the answer carries the
// gathered candidates) and returns a Peer.
//
// Frame path of a Peer:
//
//	RTP ─▶ assembler ─▶ vpx decoder (every frame) ─▶ mailbox (one slot)
//	                                                        │ newest frame only
//	                   analysis goroutine ◀─ Scheduler ◀────┘
//	                          │ FrameSink.Frame(Frame{Img, T, Arrival})
//
// The receive goroutine decodes every frame (VP8 needs them all) and puts
// the grey result in a single-slot mailbox, replacing, and counting, a
// frame the consumer has not taken yet (Stats.FramesDropped when the
// consumer is busy, Stats.FramesRateLimited when it waits for its rate). Nothing is ever queued,
// so a slow consumer costs dropped frames, never latency or memory. A
// Scheduler limits how often each peer's frames are analysed (default 15
// per second) and how many analyses run at once across all peers (default
// GOMAXPROCS).
//
// Latency: a frame is decoded as soon as its last RTP packet arrives (own
// reassembly, not pion's samplebuilder, which waits for the next frame's
// first packet). A lost packet is waited for, for NACK to recover it, up to
// 300 ms; then the frames behind it are given up, a key frame is requested
// (PLI, at most one per PLIInterval) and inter frames are skipped until it
// comes. A frame libvpx cannot decode is handled the same way.
//
// Ownership: the *image.Gray given to FrameSink.Frame is the peer's and is
// valid only until Frame returns. Its time T is the sender's clock (RTP
// timestamps) anchored at the first frame's arrival, so a clip sent faster
// than real time in a test keeps its own timeline; Arrival is the
// server's own clock when the frame arrived, which the page cannot bend.
//
// Capture knows nothing of sessions, HTTP or landmarks: package
// capture/live wires a FrameSink to the engine and the data channel to the
// session's gesture challenge.
package capture
