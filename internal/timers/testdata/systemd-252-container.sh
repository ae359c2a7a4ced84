#!/bin/sh
# How the systemd 252 values in timer_test.go were obtained: systemd as init
# in a rootful podman container (Debian 12 with systemd and systemd-sysv),
# timer units from units/, then systemctl's view of them. Needs podman and a
# Debian 12 image; prints what the tests compare with. Not run by the tests.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
image=${IMAGE:-localhost/timers-systemd-ref:timers}
if ! podman image exists "$image"; then
	printf 'FROM %s\nRUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends systemd systemd-sysv\n' \
		"${BASE:-docker.io/library/debian:bookworm}" | podman build -q -t "$image" -f - "$here"
fi
name=timers-ref-$$
podman run -d --name "$name" --systemd=always -v "$here/units:/units:ro" "$image" /lib/systemd/systemd >/dev/null
trap 'podman rm -f "$name" >/dev/null' EXIT
sleep 4
podman exec "$name" sh -c '
	cp /units/* /etc/systemd/system/
	mkdir -p /var/lib/systemd/timers
	touch -d "2 days ago" /var/lib/systemd/timers/stamp-persist.timer
	systemctl daemon-reload
	echo "machine-id $(cat /etc/machine-id)"
	echo "boot-id $(cat /proc/sys/kernel/random/boot_id)"
	systemctl show -p UserspaceTimestamp -p UserspaceTimestampMonotonic --timestamp=us+utc
	date -u "+start %F %T.%N"
	systemctl start fixed.timer other-name.timer persist.timer fresh.timer ra-yes.timer ra-no.timer inact.timer
	sleep 10
	systemctl list-timers --all --no-pager
	for t in fixed other-name persist fresh ra-yes ra-no inact; do
		echo "$t: $(systemctl show -p ActiveState -p SubState -p NextElapseUSecRealtime -p LastTriggerUSec --value $t.timer | tr "\n" " ") runs: $(cat /tmp/$t.log 2>/dev/null | tr "\n" " ")"
	done
	ls -l --time-style=full-iso /var/lib/systemd/timers/
'
