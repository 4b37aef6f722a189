# livegate: multi-stage build on Debian 12. Untested here: no Docker engine
# runs on the development machines (see README).

FROM golang:1.26-bookworm AS build
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      pkg-config libopencv-dev libvpx-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN go build -trimpath -ldflags="-s -w" -o /out/livegate ./cmd/server
# The runtime image installs exactly the Debian packages whose shared
# libraries the binary links, found here with ldd and dpkg.
RUN ldd /out/livegate | awk '/=> \// {print $3}' | xargs -r readlink -f \
      | xargs -r dpkg -S 2>/dev/null | cut -d: -f1 | sort -u \
      | grep -v -E '^(libc6|libgcc-s1|libstdc\+\+6)$' > /out/runtime-packages.txt \
 && cat /out/runtime-packages.txt

FROM debian:12-slim
COPY --from=build /out/runtime-packages.txt /tmp/runtime-packages.txt
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      ca-certificates libdlib-data $(cat /tmp/runtime-packages.txt) \
 && rm -rf /var/lib/apt/lists/* /tmp/runtime-packages.txt \
 && useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin livegate
COPY --from=build /out/livegate /usr/local/bin/livegate
COPY models /usr/share/livegate/models
USER 10001
ENV LIVEGATE_ADDR=:8080
# HTTP, and the UDP port range for WebRTC media (see LIVEGATE_* in the README).
EXPOSE 8080/tcp
EXPOSE 50000-50100/udp
HEALTHCHECK --interval=30s --timeout=3s CMD ["/usr/local/bin/livegate", "-healthcheck"]
ENTRYPOINT ["/usr/local/bin/livegate"]
