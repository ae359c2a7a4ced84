#!/usr/bin/env bash
# make demo: runs the Debian image (make image) with an rc.env like the old
# chart's ConfigMap, waits until it is ready, shows `boxinit status` and how
# to log in. The container keeps running; `podman rm -f boxinit-demo` ends it.
set -euo pipefail
name=boxinit-demo
port=${PORT:-2222}
dir=/tmp/boxinit-demo
mkdir -p "$dir"
[ -f "$dir/id_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -C demo -f "$dir/id_ed25519"
cat > "$dir/rc.env" <<ENV
DEFAULT_USER="demo" 
DEFAULT_KEY="$(cat "$dir/id_ed25519.pub")" 
SET_HOSTNAME="boxinit-demo" 
CUSTOMIZE_COMMAND="echo 'customized by boxinit' > ~/hello.txt" 
ENV
podman rm -f "$name" >/dev/null 2>&1 || true
podman run -d --name "$name" --network host -v "$dir/rc.env:/etc/rc.env:ro" \
	localhost/boxinit-debian:dev /usr/sbin/sshd -D -e -p "$port" >/dev/null
for _ in $(seq 100); do
	podman exec "$name" boxinit status --ready && break
	sleep 0.2
done
podman exec "$name" boxinit status
cat <<MSG

Log in:   ssh -p $port -i $dir/id_ed25519 -o StrictHostKeyChecking=no demo@127.0.0.1
Logs:     podman logs $name
Stop:     podman stop $name   (exit code: podman inspect $name --format '{{.State.ExitCode}}')
Remove:   podman rm -f $name
MSG
