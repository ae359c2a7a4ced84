#!/usr/bin/env bash
# make demo: boots the demo image (make demo builds it: the Debian image with
# nginx-light from apt) like a VM, boxinit with no command, with an rc.env
# like the old chart's ConfigMap; waits until it is ready (its services
# started), shows `boxinit status` with the services (nginx from
# nginx.service, sshd from ssh.service), asks nginx for its page, and says
# how to log in. The container keeps running; `$ENGINE rm -f boxinit-demo`
# ends it. ENGINE is podman or docker (engine.sh picks one when it is unset);
# PORT (2222) is ssh's port on 127.0.0.1, WEB_PORT (8080) nginx's.
set -euo pipefail
engine=$(ENGINE=${ENGINE:-} "$(dirname "$0")/engine.sh")
name=${DEMO_NAME:-boxinit-demo}
image=localhost/boxinit-demo:${BOXINIT_TAG:-dev}
port=${PORT:-2222}
web=${WEB_PORT:-8080}
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
"$engine" run -d --name "$name" -p "127.0.0.1:$port:22" -p "127.0.0.1:$web:80" \
	-v "$dir/rc.env:/etc/rc.env:ro" --entrypoint /sbin/boxinit "$image" >/dev/null
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
echo
if command -v curl >/dev/null 2>&1; then
	echo "nginx.service on 127.0.0.1:$web: $(curl -s -o /dev/null -w 'HTTP %{http_code}' "http://127.0.0.1:$web/" || echo 'no answer')"
fi
cat <<MSG

Log in:   ssh -p $port -i $dir/id_ed25519 -o StrictHostKeyChecking=no demo@127.0.0.1
Services: $engine exec $name systemctl status nginx
Web:      curl http://127.0.0.1:$web/
Logs:     $engine logs $name
Stop:     $engine stop $name   (exit code: $engine inspect $name --format '{{.State.ExitCode}}')
Remove:   $engine rm -f $name
MSG
