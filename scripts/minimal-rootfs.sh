#!/usr/bin/env bash
# Assembles images/minimal/rootfs: Debian's busybox-static and a passwd and
# group with root and nobody only.
set -euo pipefail
out=$1
rm -rf "$out"
mkdir -p "$out"/{bin,etc,tmp,home,root,run}
chmod 1777 "$out/tmp"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && apt-get download busybox-static >/dev/null)
dpkg -x "$work"/busybox-static_*.deb "$work/x"
cp "$work/x/bin/busybox" "$out/bin/busybox"
for applet in sh ash cat echo id ls ps sleep hostname grep; do
	ln -s busybox "$out/bin/$applet"
done
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' > "$out/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' > "$out/etc/group"
