#!/usr/bin/env bash
# Builds localhost/boxinit-base:bookworm, the base of images/debian, where no
# registry can be reached: debootstrap from the Debian mirror apt already
# uses (cached in /var/cache/boxinit), then podman import. On a machine that
# can pull, images/debian builds FROM the public debian:bookworm instead.
# Also applies this machine's podman quirks when no containers.conf exists.
set -euo pipefail

image=localhost/boxinit-base:bookworm
cache=${BOXINIT_CACHE:-/var/cache/boxinit}

if [ ! -f /etc/containers/containers.conf ]; then
	mkdir -p /etc/containers
	printf '[containers]\ndefault_ulimits = []\n\n[engine]\nruntime = "runc"\n' > /etc/containers/containers.conf
fi
if podman image exists "$image"; then
	exit 0
fi
mirror=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
[ -n "$mirror" ] || mirror=$(awk '/^deb / {print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)
[ -n "$mirror" ] || mirror=http://deb.debian.org/debian
if [ ! -x "$cache/rootfs/usr/sbin/sshd" ]; then
	echo "base-image: debootstrap bookworm from $mirror into $cache/rootfs (about a minute)"
	rm -rf "$cache/rootfs"
	mkdir -p "$cache"
	debootstrap --variant=minbase --include=openssh-server,sudo,git,ca-certificates,procps,bash \
		bookworm "$cache/rootfs" "$mirror" > "$cache/debootstrap.log" 2>&1 ||
		{ tail -20 "$cache/debootstrap.log"; exit 1; }
fi
echo "base-image: podman import $image"
tar -C "$cache/rootfs" -c . | podman import \
	--change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' - "$image" > /dev/null
