#!/bin/sh
# Takes the crontabs of ORIGIN again from the Debian packages of the
# machine's apt sources and shows how they differ from the copy here.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
apt-get download cron-daemon-common sysstat php-common e2fsprogs anacron certbot >/dev/null
for deb in *.deb; do
	dpkg-deb -f "$deb" Package Version | paste -sd' '
	dpkg-deb -x "$deb" root
done
diff "$here/etc/crontab" root/etc/crontab
for f in "$here"/etc/cron.d/* "$here"/etc/cron.d/.placeholder; do
	diff "$f" "root/etc/cron.d/$(basename "$f")"
done
echo "the copy matches the packages"
