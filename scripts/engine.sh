#!/bin/sh
# Prints the container engine make image, make demo and the e2e tests use:
# $ENGINE when set (podman or docker), else podman when it is installed,
# else docker when its daemon answers, else podman (what `make deps`
# installs). A docker client without a daemon (some CI machines have one)
# does not count: with it, make image failed and podman was never installed.
set -eu
if [ -n "${ENGINE:-}" ]; then
	case $ENGINE in
	podman | docker) echo "$ENGINE"; exit 0 ;;
	*) echo "ENGINE=$ENGINE: want podman or docker" >&2; exit 2 ;;
	esac
fi
if command -v podman >/dev/null 2>&1; then
	echo podman
elif command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; then
	echo docker
else
	echo podman
fi
