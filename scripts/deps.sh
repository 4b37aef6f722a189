#!/usr/bin/env bash
# Installs what livegate needs on Debian 12, idempotently.
#   scripts/deps.sh run    build and run the server (OpenCV, libvpx, the landmark model, Go)
#   scripts/deps.sh test   also what the tests need (Redis, Chromium, Node.js and the npm packages, buildah)
#   scripts/deps.sh build  only what compiling needs (the container image's build stage)
# apt-get runs only when a package is missing, and then updates its lists once.
set -euo pipefail
cd "$(dirname "$0")/.."

mode=${1:-run}
GO_VERSION=1.26.8 # keep in step with go.mod's go line

run_pkgs=(ca-certificates curl unzip git gcc g++ pkg-config libopencv-dev opencv-data libvpx-dev libdlib-data)
test_pkgs=(redis-server redis-tools chromium coturn)
# The container image test (internal/imagetest) builds with buildah on a debootstrapped base.
image_pkgs=(buildah debootstrap)
build_pkgs=(ca-certificates curl unzip gcc g++ pkg-config libopencv-dev libvpx-dev)

pkgs=("${run_pkgs[@]}")
[ "$mode" != build ] || pkgs=("${build_pkgs[@]}")
if [ "$mode" = test ]; then
	pkgs+=("${test_pkgs[@]}" "${image_pkgs[@]}")
fi
command -v node >/dev/null && command -v npm >/dev/null || { [ "$mode" = test ] && pkgs+=(nodejs npm); }

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	sudo=""
	[ "$(id -u)" -eq 0 ] || sudo=sudo
	echo "deps: installing ${missing[*]}"
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Go: Debian 12's golang is too old for go.mod. When no Go ≥ 1.21 is on the
# PATH (those fetch the pinned toolchain themselves), fetch the official
# toolchain from the Go module proxy, which is where `go` itself gets it.
have_go() {
	command -v go >/dev/null || return 1
	local v
	v=$(go env GOVERSION 2>/dev/null | sed 's/^go//')
	[ "$(printf '%s\n' 1.21 "$v" | sort -V | head -n1)" = 1.21 ]
}
if ! have_go; then
	if [ -x /usr/local/go/bin/go ]; then
		export PATH=/usr/local/go/bin:$PATH
	fi
fi
if ! have_go; then
	proxy=${GOPROXY:-https://proxy.golang.org}
	proxy=${proxy%%,*}
	arch=$(dpkg --print-architecture)
	zip=$(mktemp --suffix=.zip)
	echo "deps: fetching Go $GO_VERSION from $proxy"
	curl -fsSL -o "$zip" "$proxy/golang.org/toolchain/@v/v0.0.1-go$GO_VERSION.linux-$arch.zip"
	rm -rf "/usr/local/go-$GO_VERSION" && mkdir -p "/usr/local/go-$GO_VERSION"
	unzip -q "$zip" -d "/usr/local/go-$GO_VERSION"
	rm -f "$zip"
	root=$(find "/usr/local/go-$GO_VERSION" -maxdepth 5 -type f -path '*/bin/go' | head -n1)
	root=${root%/bin/go}
	chmod +x "$root"/bin/* "$root"/pkg/tool/*/* 2>/dev/null || true
	[ ! -e /usr/local/go ] || [ -L /usr/local/go ] || mv /usr/local/go "/usr/local/go.old.$$"
	ln -sfn "$root" /usr/local/go
	export PATH=/usr/local/go/bin:$PATH
	echo "deps: Go installed in /usr/local/go (add /usr/local/go/bin to your PATH)"
fi

if [ "$mode" = test ]; then
	# The GLAIR client test drives the official npm package, pinned by the lock file.
	if [ ! -d test/glair/node_modules/@glair/vision ]; then
		(cd test/glair && npm ci --no-audit --no-fund --loglevel=error)
	fi
	# The browser tests inject axe-core for their accessibility scans.
	if [ ! -f test/a11y/node_modules/axe-core/axe.min.js ]; then
		(cd test/a11y && npm ci --no-audit --no-fund --loglevel=error)
	fi
fi
