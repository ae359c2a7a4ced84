#!/bin/sh
# Builds supercronic from source into a temporary directory and prints the
# binary's path, for the side-by-side benchmarks only (never committed).
# SUPERCRONIC_SRC is a git directory or URL of github.com/aptible/supercronic
# (default: the URL). Prints nothing, and says why on stderr, when it cannot.
set -u
src=${SUPERCRONIC_SRC:-https://github.com/aptible/supercronic}
dir=${TMPDIR:-/tmp}/boxinit-bench-supercronic
if [ -x "$dir/supercronic" ]; then echo "$dir/supercronic"; exit 0; fi
rm -rf "$dir" && mkdir -p "$dir/src" || exit 0
if [ -d "$src" ]; then
	git --git-dir="$src" archive HEAD | tar -x -C "$dir/src"
else
	git clone -q --depth 1 "$src" "$dir/src"
fi >/dev/null 2>&1 || { echo "supercronic.sh: cannot get the source from $src: supercronic skipped" >&2; exit 0; }
(cd "$dir/src" && CGO_ENABLED=0 go build -o "$dir/supercronic" .) >&2 || { echo "supercronic.sh: build failed: supercronic skipped" >&2; exit 0; }
echo "$dir/supercronic"
