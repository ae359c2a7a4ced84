#!/usr/bin/env bash
# The services benchmark of issue 16, side by side with
# docker-systemctl-replacement (the anchor), and the issue-19 figures of PID 1
# with services and timers loaded. Root and podman; make bench runs it.
#
# One Debian image (localhost/boxinit-debian:TAG + nginx-light, redis-server,
# postgresql from apt, python3 for the anchor; openssh-server is already in
# it; units as Debian ships them, Debian's timers enabled by their packages)
# is booted with no command by
#   boxinit     ENTRYPOINT /sbin/boxinit
#   dsr-stock   systemctl3.py as /usr/bin/systemctl and PID 1 (its documented
#               init mode), nothing else changed
#   dsr-fixed   the same with what it needed by hand (FIXES below)
# RUNS times, alternating. Per run: seconds from `podman run` until nginx
# (HTTP 200), redis (PONG), postgresql (psql select 1) and sshd (banner)
# answer, probed every 10 ms from inside the container's namespaces
# (bench/probe.py under nsenter: not a child of its PID 1); PID 1's VmRSS,
# RssAnon, RssFile, VmHWM and threads SETTLE_SECONDS after they answer;
# kill -9 of redis-server until a new one answers; `podman stop -t 10` time
# and exit code. On the first run of each, PID 1's CPU ticks over
# IDLE_SECONDS with everything running, its memory after it (idle-*), and its
# working set: the file-backed
# and anonymous KiB it referenced in that idle window (idle-ref-*), then
# through the kill -9 of redis and a `systemctl status nginx` (used-ref-*).
#
# DSR_SRC: a checkout (work tree or git dir) of
# github.com/gdraheim/docker-systemctl-replacement; its
# files/docker/systemctl3.py is copied into a temporary build context (never
# into the repository). Unset or unusable: the boxinit rows only.
# TAG (dev): the image tag of make image. RUNS (3), LIMIT (30 s: the wait for
# services and for redis to come back), SETTLE_SECONDS (5), IDLE_SECONDS (30).
set -euo pipefail
tag=${TAG:-dev}
runs=${RUNS:-3}
limit=${LIMIT:-30}
idle=${IDLE_SECONDS:-30}
settle=${SETTLE_SECONDS:-5}
here=$(cd "$(dirname "$0")" && pwd)
img=localhost/boxinit-bench-services:$tag
ctx=$(mktemp -d)
trap 'rm -rf "$ctx"' EXIT

# FIXES: what the anchor needs by hand on this image (dsr-fixed). sshd: no
# host keys (nothing makes them at boot); postgresql: its cluster's unit
# comes from a generator the anchor does not run, so it is enabled by a link;
# redis: the unit has no RestartSec= (systemd's default is 100 ms); without
# one the anchor did not bring a killed redis back within LIMIT (issue 16 saw
# ~200 s), so a drop-in says 1 s.
FIXES='ssh-keygen -A && ln -s /lib/systemd/system/postgresql@.service /etc/systemd/system/multi-user.target.wants/postgresql@15-main.service && mkdir -p /etc/systemd/system/redis-server.service.d && printf "[Service]\nRestartSec=1\n" > /etc/systemd/system/redis-server.service.d/restart.conf'

build() { # build NAME CONTAINERFILE
	printf '%s\n' "$2" >"$ctx/Containerfile"
	podman build -q --network host -t "$1" "$ctx" >/dev/null
}

echo "# bench/services.sh: $(date -u +%FT%TZ), $(podman run --rm --entrypoint /sbin/boxinit "localhost/boxinit-debian:$tag" version 2>/dev/null || echo '?'), RUNS=$runs LIMIT=$limit SETTLE_SECONDS=$settle IDLE_SECONDS=$idle"
cp "$here/probe.py" "$ctx/probe.py"
build "$img" "FROM localhost/boxinit-debian:$tag
RUN printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && \\
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \\
    nginx-light redis-server postgresql python3 && rm -rf /var/lib/apt/lists/* /usr/sbin/policy-rc.d
COPY probe.py /usr/local/lib/boxinit-bench/probe.py"

contenders=(boxinit)
src=${DSR_SRC:-}
if [ -n "$src" ]; then
	if [ -f "$src/files/docker/systemctl3.py" ]; then
		cp "$src/files/docker/systemctl3.py" "$ctx/systemctl3.py"
	else
		git --git-dir="$src" show HEAD:files/docker/systemctl3.py >"$ctx/systemctl3.py" 2>/dev/null || rm -f "$ctx/systemctl3.py"
	fi
	if [ -s "$ctx/systemctl3.py" ]; then
		echo "# docker-systemctl-replacement: $(sed -n 's/^__version__[^"]*"\([^"]*\)".*/version \1/p' "$ctx/systemctl3.py"), $(git --git-dir="$src" rev-parse HEAD 2>/dev/null || git -C "$src" rev-parse HEAD 2>/dev/null || echo '?')"
		build "$img-dsr" "FROM $img
RUN rm -f /usr/bin/systemctl
COPY systemctl3.py /usr/bin/systemctl
RUN chmod 755 /usr/bin/systemctl
ENTRYPOINT [\"/usr/bin/systemctl\"]
CMD []"
		build "$img-dsr-fixed" "FROM $img-dsr
RUN $FIXES"
		rm -f "$ctx/systemctl3.py"
		echo "# dsr-fixed: RUN $FIXES"
		contenders+=(dsr-stock dsr-fixed)
	else
		echo "# DSR_SRC=$src has no files/docker/systemctl3.py: docker-systemctl-replacement skipped" >&2
	fi
fi

image_of() {
	case $1 in
	boxinit) echo "--entrypoint /sbin/boxinit $img" ;;
	dsr-stock) echo "$img-dsr" ;;
	dsr-fixed) echo "$img-dsr-fixed" ;;
	esac
}

ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

memory() { # PID 1's memory in KiB, key=value
	awk '/^(VmRSS|RssAnon|RssFile|VmHWM|Threads):/ {sub(":", "", $1); printf "%s=%s ", $1, $2}' "/proc/$1/status"
}

# referenced PREFIX PID: the KiB of PID's file-backed (the binary, libraries)
# and anonymous pages used since its clear_refs was written: its working set.
referenced() {
	awk -v p="$1" '/^[0-9a-f]+-[0-9a-f]+ / {file = ($6 ~ /^\//)} /^Referenced:/ {if (file) f += $2; else a += $2}
		END {printf "%s-ref-file=%d %s-ref-anon=%d ", p, f, p, a}' "/proc/$2/smaps"
}

run_one() { # run_one CONTENDER RUN
	local c=$1 i=$2 name=boxinit-bench-$1 t0 pid up mem back cpu="" s0 s1 code
	podman rm -f -t 0 "$name" >/dev/null 2>&1 || true
	t0=$(date +%s.%N)
	# shellcheck disable=SC2046 # image_of gives the words of the command
	podman run -d --name "$name" $(image_of "$c") >/dev/null
	pid=$(podman inspect -f '{{.State.Pid}}' "$name")
	up=$(nsenter -t "$pid" -a python3 /usr/local/lib/boxinit-bench/probe.py up "$t0" "$limit")
	sleep "$settle"
	mem=$(memory "$pid")
	if [ "$i" = 1 ]; then
		echo 1 >"/proc/$pid/clear_refs"
		s0=$(ticks "$pid")
		sleep "$idle"
		s1=$(ticks "$pid")
		cpu="idle-ticks/${idle}s=$((s1 - s0)) $(referenced idle "$pid")$(memory "$pid" | sed 's/\([A-Za-z]*=\)/idle-\1/g')"
	fi
	back=$(nsenter -t "$pid" -a python3 /usr/local/lib/boxinit-bench/probe.py redis-back "$limit")
	if [ "$i" = 1 ]; then
		podman exec "$name" systemctl status nginx >/dev/null 2>&1 || true
		cpu+="$(referenced used "$pid")"
	fi
	s0=$(date +%s.%N)
	podman stop -t 10 "$name" >/dev/null
	s1=$(date +%s.%N)
	code=$(podman inspect -f '{{.State.ExitCode}}' "$name")
	echo "run=$i contender=$c $up $mem${cpu}redis-$back stop=$(printf "%.3f" "$(echo "$s1 - $s0" | bc)") exit=$code"
	podman rm -f -t 0 "$name" >/dev/null
}

for i in $(seq "$runs"); do
	for c in "${contenders[@]}"; do
		run_one "$c" "$i"
	done
done
