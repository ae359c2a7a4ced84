#!/usr/bin/env bash
# make demo: runs the Debian image (make image) with an rc.env like the old
# chart's ConfigMap, waits until it is ready, shows `boxinit status` and how
# to log in. The container keeps running; `$ENGINE rm -f boxinit-demo` ends
# it. ENGINE is podman or docker (engine.sh picks one when it is unset).
set -euo pipefail
engine=$(ENGINE=${ENGINE:-} "$(dirname "$0")/engine.sh")
name=${DEMO_NAME:-boxinit-demo}
image=localhost/boxinit-debian:${BOXINIT_TAG:-dev}
port=${PORT:-2222}
dir=${DEMO_DIR:-/tmp/boxinit-demo}
mkdir -p "$dir"
[ -f "$dir/id_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -C demo -f "$dir/id_ed25519"
cat > "$dir/rc.env" <<ENV
DEFAULT_USER="demo" 
DEFAULT_KEY="$(cat "$dir/id_ed25519.pub")" 
SET_HOSTNAME="boxinit-demo" 
CUSTOMIZE_COMMAND="echo 'customized by boxinit' > ~/hello.txt" 
ENV
"$engine" rm -f "$name" >/dev/null 2>&1 || true
"$engine" run -d --name "$name" --network host -v "$dir/rc.env:/etc/rc.env:ro" \
	"$image" /usr/sbin/sshd -D -e -p "$port" >/dev/null
ready=
for _ in $(seq 150); do
	if "$engine" exec "$name" boxinit status --ready 2>/dev/null; then
		ready=yes
		break
	fi
	sleep 0.2
done
if [ -z "$ready" ]; then
	echo "demo: $name did not become ready within 30 s; its log:" >&2
	"$engine" logs "$name" >&2 || true
	exit 1
fi
"$engine" exec "$name" boxinit status
cat <<MSG

Log in:   ssh -p $port -i $dir/id_ed25519 -o StrictHostKeyChecking=no demo@127.0.0.1
Logs:     $engine logs $name
Stop:     $engine stop $name   (exit code: $engine inspect $name --format '{{.State.ExitCode}}')
Remove:   $engine rm -f $name
MSG
