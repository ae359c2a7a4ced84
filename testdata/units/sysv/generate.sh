#!/bin/sh
# Re-makes expected/ with systemd 252's own systemd-sysv-generator (Debian
# 12's systemd package, installed in a throwaway container, not run as init)
# on root/ of this directory. Needs podman, a Debian 12 image (IMAGE) and the
# Debian mirror. Usage: ./generate.sh [IMAGE]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
image=${1:-localhost/boxinit-base:bookworm}
rm -rf "$here/expected" && mkdir -p "$here/expected"
podman run --rm --network host --entrypoint sh -v "$here:/t" "$image" -c '
set -e
apt-get update -qq >/dev/null
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends systemd >/dev/null 2>&1
rm -rf /etc/init.d /etc/rc?.d && cp -a /t/root/etc/* /etc/ && cp -a /t/root/lib/systemd/system/* /lib/systemd/system/
mkdir -p /o/n /o/e /o/l
/lib/systemd/system-generators/systemd-sysv-generator /o/n /o/e /o/l
cp -a /o/l/. /t/expected/
'
