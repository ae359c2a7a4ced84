#!/usr/bin/env bash
# Installs what boxinit's tests and benchmarks need on a fresh Debian 12 /
# Ubuntu machine, as root. Safe to run again: it only installs what is missing.
# `deps.sh demo` installs only what `make demo` needs. The container engine
# is podman unless docker is the one installed (or ENGINE=docker): then podman
# is not installed.
set -euo pipefail

STATICCHECK_VERSION=${STATICCHECK_VERSION:-v0.8.2}
HELM_VERSION=${HELM_VERSION:-v3.22.0}
mode=${1:-all}
engine=$(ENGINE=${ENGINE:-} "$(dirname "$0")/engine.sh")
# make image: debootstrap (and Debian's keyring on Ubuntu); make demo: ssh-keygen
packages=(debootstrap debian-archive-keyring openssh-client)
if [ "$engine" = podman ]; then
	packages+=(podman runc catatonit)
fi
if [ "$mode" != demo ]; then
	packages+=(util-linux bsdutils procps bash tini passwd sudo time) # time: make bench's max RSS
fi

if ! command -v "${GO:-go}" >/dev/null 2>&1; then
	echo "deps: no ${GO:-go} on PATH: install Go (go.mod asks for $(awk '/^go / {print $2}' "$(dirname "$0")/../go.mod")) from https://go.dev/dl," >&2
	echo "      e.g. tar -C /usr/local -xzf go*.linux-amd64.tar.gz && export PATH=\$PATH:/usr/local/go/bin" >&2
	exit 1
fi

missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ] && [ "$(id -u)" != 0 ]; then
	echo "deps: not root, cannot install ${missing[*]}; the tests that need them will skip or fail" >&2
elif [ ${#missing[@]} -gt 0 ]; then
	echo "deps: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
if [ "$mode" = demo ]; then
	exit 0
fi

# podman --userns=auto (the chart's hostUsers: false e2e test) takes its ranges from the user "containers".
[ "$(id -u)" != 0 ] || for f in /etc/subuid /etc/subgid; do grep -qs '^containers:' "$f" || echo 'containers:2147483647:2147483648' >> "$f"; done

gobin=$(go env GOPATH)/bin
if [ ! -x "$gobin/staticcheck" ]; then
	echo "deps: installing staticcheck $STATICCHECK_VERSION"
	GOFLAGS= go install "honnef.co/go/tools/cmd/staticcheck@$STATICCHECK_VERSION"
fi
if [ ! -x "$gobin/helm" ] || ! "$gobin/helm" version --short 2>/dev/null | grep -q "^${HELM_VERSION%.*}"; then
	echo "deps: installing helm $HELM_VERSION from the Go module proxy (a few minutes the first time)"
	GOFLAGS= go install "helm.sh/helm/v3/cmd/helm@$HELM_VERSION"
fi
