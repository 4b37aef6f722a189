// Package k8s holds livegate's Kubernetes manifests (the YAML files beside
// this one, applied with `kubectl apply -k deploy/k8s`). It has no code: its
// test checks the manifests without a cluster, by decoding every document
// strictly into the official k8s.io/api types and checking the invariants
// the server depends on (probe paths it serves, variables it reads, ports
// it binds, selectors that match).
package k8s
