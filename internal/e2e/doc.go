// Package e2e holds the end user's flows tested in a real headless
// Chromium against the server cmd/server runs, started in process through
// internal/server's Run (REST API, pages, demo switch, middleware, live
// capture over WebRTC on loopback, gesture engine), with facegen footage
// as the browser's fake camera: a neutral clip where a face in view is
// enough, and the reactive camera (camera_test.go), which answers each
// instruction after a reaction delay, where a gesture must pass or fail.
//
// Everything is in the tests; this file only documents the package. Run:
//
//	npm ci --prefix test/a11y   # axe-core, for the accessibility scans
//	go test ./internal/e2e/
//
// Screenshots of every screen at 390×844 and 1280×800 go to
// $LIVEGATE_TEST_OUT when set (else a temporary directory). The tests fail,
// never skip, when Chromium, the models or axe-core are missing.
package e2e
