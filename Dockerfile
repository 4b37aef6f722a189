# livegate: multi-stage build on Debian 12, built and run in CI by
# internal/imagetest (`make image` builds it: scripts/image.sh).
# BASE is Debian 12 itself: the official image, or the same release made
# with debootstrap where no registry answers. No registry-only image (golang:…)
# is needed: the build stage installs the pinned Go toolchain from the Go
# module proxy, as scripts/deps.sh does on a development machine.
ARG BASE=docker.io/library/debian:12-slim

FROM ${BASE} AS build
ARG GOPROXY=https://proxy.golang.org,direct
ENV GOPROXY=${GOPROXY} \
    PATH=/usr/local/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
WORKDIR /src
# The steps that fetch over HTTPS trust the CA certificates of the machine
# that builds (secret "hostca", e.g. a TLS-inspecting proxy's CA), when given;
# a secret mount stays out of the image's layers.
COPY scripts/deps.sh scripts/deps.sh
RUN --mount=type=secret,id=hostca \
    if [ -s /run/secrets/hostca ]; then export SSL_CERT_FILE=/run/secrets/hostca CURL_CA_BUNDLE=/run/secrets/hostca; fi \
 && scripts/deps.sh build && rm -rf /var/lib/apt/lists/*
COPY go.mod go.sum ./
RUN --mount=type=secret,id=hostca \
    if [ -s /run/secrets/hostca ]; then export SSL_CERT_FILE=/run/secrets/hostca; fi \
 && go mod download
COPY . .
# The Go build cache outlives the build (a cache mount), so a changed source
# file recompiles only its packages, not OpenCV's cgo bindings.
RUN --mount=type=cache,target=/root/.cache/go-build \
    go build -trimpath -buildvcs=false -ldflags="-s -w" -o /out/livegate ./cmd/server
# The runtime image installs exactly the Debian packages whose shared
# libraries the binary links, found here with ldd and dpkg.
RUN ldd /out/livegate | awk '/=> \// {print $3}' | xargs -r readlink -f \
      | xargs -r dpkg -S 2>/dev/null | cut -d: -f1 | sort -u \
      | grep -v -E '^(libc6|libgcc-s1|libstdc\+\+6)$' > /out/runtime-packages.txt \
 && cat /out/runtime-packages.txt

FROM ${BASE}
COPY --from=build /out/runtime-packages.txt /tmp/runtime-packages.txt
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      ca-certificates libdlib-data $(cat /tmp/runtime-packages.txt) \
 && apt-get clean \
 && rm -rf /var/lib/apt/lists/* /var/log/apt /var/log/dpkg.log /tmp/runtime-packages.txt \
 && useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin livegate
COPY --from=build /out/livegate /usr/local/bin/livegate
COPY models /usr/share/livegate/models
USER 10001
ENV LIVEGATE_ADDR=:8080
# HTTP, and the UDP port range for WebRTC media (see LIVEGATE_* in the README).
EXPOSE 8080/tcp
EXPOSE 50000-50100/udp
# HEALTHCHECK is kept only in the Docker image format (buildah bud --format docker).
HEALTHCHECK --interval=30s --timeout=3s CMD ["/usr/local/bin/livegate", "-healthcheck"]
ENTRYPOINT ["/usr/local/bin/livegate"]
