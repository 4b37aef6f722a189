// Package chaos holds the two-instance chaos test of issue 14: two livegate
// server processes on one Redis of their own, under load from
// cmd/livegate-client -n, then one instance SIGKILLed and later Redis
// restarted mid-load. It has no code of its own, only its test, which runs
// on loopback only and ends by itself (see chaos_test.go and the README's
// "Chaos test").
package chaos
