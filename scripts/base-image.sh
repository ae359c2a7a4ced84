#!/usr/bin/env bash
# Builds localhost/boxinit-base:bookworm, the base of images/debian, where no
# registry can be reached: debootstrap from a Debian mirror (the one apt
# already uses on Debian, else deb.debian.org; cached in /var/cache/boxinit),
# then `$ENGINE import` (podman or docker, see engine.sh). A plain
# `docker build images/debian` uses FROM debian:bookworm instead.
# Also applies this machine's podman quirks when no containers.conf exists.
set -euo pipefail

engine=$(ENGINE=${ENGINE:-} "$(dirname "$0")/engine.sh")
image=localhost/boxinit-base:bookworm
cache=${BOXINIT_CACHE:-/var/cache/boxinit}

if [ "$engine" = podman ] && [ ! -f /etc/containers/containers.conf ]; then
	mkdir -p /etc/containers
	printf '[containers]\ndefault_ulimits = []\n\n[engine]\nruntime = "runc"\n' > /etc/containers/containers.conf
fi
mkdir -p "$cache"
# Two make image at once (TAG=a and TAG=b) share the cache and the base
# image: one builds them, the other waits, then finds them there.
exec 9>"$cache/lock"
flock 9
if "$engine" image inspect "$image" >/dev/null 2>&1; then
	exit 0
fi
# Only a Debian mirror has bookworm: an Ubuntu machine's archive does not.
mirror=$(awk '/^URIs:/ && $2 ~ /debian\/?$/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
[ -n "$mirror" ] || mirror=$(awk '/^deb / && $2 ~ /debian\/?$/ {print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)
[ -n "$mirror" ] || mirror=http://deb.debian.org/debian
if [ ! -x "$cache/rootfs/usr/sbin/sshd" ]; then
	echo "base-image: debootstrap bookworm from $mirror into $cache/rootfs (about a minute)"
	rm -rf "$cache/rootfs" "$cache/rootfs.new"
	debootstrap --variant=minbase --include=openssh-server,sudo,git,ca-certificates,procps,bash \
		--keyring=/usr/share/keyrings/debian-archive-keyring.gpg \
		bookworm "$cache/rootfs.new" "$mirror" > "$cache/debootstrap.log" 2>&1 ||
		{ tail -20 "$cache/debootstrap.log"; exit 1; }
	mv "$cache/rootfs.new" "$cache/rootfs"
fi
echo "base-image: $engine import $image"
tar -C "$cache/rootfs" -c . | "$engine" import \
	--change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' - "$image" > /dev/null
