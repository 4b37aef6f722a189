#!/usr/bin/env bash
# Builds livegate's container image with buildah: no daemon, and no registry
# needed. Run as root (buildah's storage is /var/lib/containers).
#   scripts/image.sh            builds localhost/livegate:latest
#   IMAGE=name scripts/image.sh under another name
# Base (the Dockerfile's BASE, Debian 12), first that applies:
#   IMAGE_BASE                          when set
#   docker.io/library/debian:12-slim    when already stored or a registry answers
#   localhost/livegate-debian:12        made once with debootstrap and kept in
#                                       buildah's storage, so later builds reuse it
# GOPROXY is passed to the build stage; its layers are cached (--layers).
set -euo pipefail
cd "$(dirname "$0")/.."

image=${IMAGE:-localhost/livegate:latest}
official=docker.io/library/debian:12-slim
local_base=localhost/livegate-debian:12
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}

for tool in buildah debootstrap; do
	command -v "$tool" >/dev/null || { echo "image: $tool is missing (scripts/deps.sh test installs it)" >&2; exit 1; }
done
[ "$(id -u)" -eq 0 ] || { echo "image: run as root (buildah's chroot isolation and debootstrap need it)" >&2; exit 1; }

have_image() { buildah inspect --type image "$1" >/dev/null 2>&1; }

# make_local_base builds Debian 12 (minbase, like the official slim image)
# with debootstrap, then commits it into buildah's storage as $local_base.
make_local_base() {
	local dir ctr mnt
	dir=$(mktemp -d /var/tmp/livegate-debootstrap.XXXXXX)
	ctr=livegate-debootstrap-base
	buildah rm "$ctr" >/dev/null 2>&1 || true
	trap 'buildah rm '"$ctr"' >/dev/null 2>&1 || true; rm -rf '"$dir" EXIT
	echo "image: no Debian 12 image stored and no registry: debootstrap bookworm from $mirror"
	debootstrap --variant=minbase bookworm "$dir" "$mirror" >"$dir.log" 2>&1 \
		|| { tail -n 20 "$dir.log" >&2; rm -f "$dir.log"; exit 1; }
	rm -f "$dir.log"
	cat >"$dir/etc/apt/sources.list" <<-SOURCES
		deb $mirror bookworm main
		deb $mirror bookworm-updates main
		deb http://deb.debian.org/debian-security bookworm-security main
	SOURCES
	# Nothing of this machine goes into the image: debootstrap copies its
	# resolver configuration and host name.
	: >"$dir/etc/resolv.conf"
	echo localhost >"$dir/etc/hostname"
	rm -rf "$dir"/var/cache/apt/archives/*.deb "$dir"/var/lib/apt/lists/* "$dir"/var/log/bootstrap.log
	buildah from --name "$ctr" scratch >/dev/null
	mnt=$(buildah mount "$ctr")
	tar -C "$dir" --numeric-owner -cf - . | tar -C "$mnt" --numeric-owner -xpf -
	buildah umount "$ctr" >/dev/null
	buildah config --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		--cmd bash --label org.opencontainers.image.description="Debian 12 (bookworm) minbase, debootstrap from $mirror" "$ctr"
	buildah commit --rm --quiet "$ctr" "$local_base" >/dev/null
	rm -rf "$dir"
	trap - EXIT
}

if [ -n "${IMAGE_BASE:-}" ]; then
	base=$IMAGE_BASE
elif have_image "$official" || timeout 300 buildah pull --quiet "$official" >/dev/null 2>&1; then
	base=$official
else
	have_image "$local_base" || make_local_base
	base=$local_base
fi
echo "image: building $image on $base"

# The build stage fetches Go over HTTPS trusting what this machine trusts
# (a TLS-inspecting proxy's CA, say): its CA bundle goes in as a build
# secret, which no layer keeps.
ca=${SSL_CERT_FILE:-/etc/ssl/certs/ca-certificates.crt}
secret=()
[ ! -s "$ca" ] || secret=(--secret "id=hostca,src=$ca")

# --format docker: the OCI format has no HEALTHCHECK. --force-rm: a failed
# step leaves no working container behind.
buildah bud --isolation chroot --format docker --layers --force-rm --quiet \
	"${secret[@]}" --build-arg BASE="$base" \
	--build-arg GOPROXY="${GOPROXY:-https://proxy.golang.org,direct}" \
	-t "$image" .
# Its size, as `buildah images` counts it (the README quotes it).
buildah images --format '{{.Name}}:{{.Tag}} {{.Size}}' "$image" | grep -F "$image " || true
