// Package imagetest proves livegate's container image: its test builds the
// Dockerfile with buildah (scripts/image.sh, as `make image` does), then runs
// the server from the image's own root filesystem and talks to it over HTTP.
// No Docker engine and no registry are needed (see scripts/image.sh). The
// package has no code of its own; everything is in the test.
package imagetest
