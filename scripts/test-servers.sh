#!/usr/bin/env bash
# Unpacks Debian's own nginx and redis-server (with the libraries redis
# needs that a Debian host may lack) under DIR (default .cache/servers),
# for the tests that run the real daemons under boxinit's services
# (internal/services TestRealNginx, TestRealRedis), and prints the two
# variables that point them there. Nothing is installed or started on the
# host: apt-get download and dpkg-deb -x only. Usage: scripts/test-servers.sh [DIR]
set -euo pipefail
dir=$(mkdir -p "${1:-.cache/servers}" && cd "${1:-.cache/servers}" && pwd)
packages=(nginx redis-server redis-tools libjemalloc2 liblzf1)
if [ ! -x "$dir/root/usr/sbin/nginx" ] || [ ! -e "$dir/root/usr/bin/redis-server" ]; then
	mkdir -p "$dir/debs" "$dir/root"
	cd "$dir/debs"
	if ! apt-get download "${packages[@]}" >/dev/null 2>&1; then
		apt-get update -qq >/dev/null
		apt-get download "${packages[@]}" >/dev/null 2>&1
	fi
	for deb in *.deb; do dpkg-deb -x "$deb" "$dir/root"; done
	rm -f -- *.deb
fi
echo "BOXINIT_TEST_NGINX=$dir/root/usr/sbin/nginx"
echo "BOXINIT_TEST_REDIS=$dir/root"
