// Package live runs the live capture of sessions: it answers a browser's SDP
// offer for a session (capture.API.Accept), feeds the peer's frames to a
// per-connection gesture engine and the session's gesture.Challenge, speaks
// the data-channel protocol of docs/protocol.md and writes the outcome to
// the session store.
//
// One Service serves every session of a process. Per session it keeps at
// most one live connection (a second offer replaces the first, which is sent
// closing/replaced) and the attempt in progress, which outlives a dropped
// connection for a grace period so that the page can reconnect and resume
// it, but only before the attempt asked its first gesture: after that a new
// connection ends it as connection_lost and must start another, which
// counts against max_attempts (attempt.go, settleOpen).
//
// Goroutines: capture's own per peer (receive, analysis), and one control
// goroutine per connection, which owns everything that touches the store
// (StartAttempt, Finish, Cancel, audit) so that the analysis goroutine never
// waits on I/O while it holds a core of the Scheduler. Challenge events that
// only inform the page (instruction, progress, hint, face, matched) are sent
// from the analysis goroutine as they happen; an attempt's end is handed to
// the control goroutine, which writes the result (Store.Update with
// Session.Finish, exactly once) before it sends done.
//
// Files: conn.go is a connection and its control goroutine, protocol.go
// the data-channel messages (decoding the page's, encoding and sending the
// server's), attempt.go what the messages and an attempt's end do to the
// session, store.go the store calls; liveness.go the session's liveness
// evidence and its fusion, sample.go the frames kept for the
// anti-spoofing model, stream.go the stream cues of every decoded frame;
// passive.go and passivecheck.go a passive-liveness session's attempt (no
// gestures: one still, frontal face, then a short burst of frames for the
// model, judged from the engine's observations without a Challenge).
//
// Store calls: every one has a deadline (Config.StoreTimeout, default 5 s).
// Those of the Service's own goroutines derive from a context the Service
// owns, which ends when Shutdown's context does, so a hung store delays
// neither a connection for long nor the process's exit.
//
// Revocation and expiry: each control goroutine reads its session every
// PollInterval (default 1 s): one Store.Get per live connection per second,
// a memory read or one Redis GET. When the session is no longer PENDING the
// page is sent closing (revoked or expired) and the connection is closed.
//
// Liveness (Result.LivenessScore, AttackType and the Liveness breakdown)
// is internal/liveness's fusion of the session's evidence on this
// instance: the turns' parallax and flat or display rejections of every
// attempt, and the deciding attempt's anti-spoofing scores (Config.AntiSpoof
// on its best frontal frames, run when the attempt has ended) and stream
// cues (loops, repeats, frozen runs, RTP timing and drift, size and rate
// changes, the page's camera label). A session whose gestures all matched
// finishes failed when the score is under Config.Liveness.PassMark.
package live
