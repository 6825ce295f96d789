#!/usr/bin/env bash
# Installs cargo-nextest, the test runner `make test` uses, into the shared
# tool cache when the machine has none: built from crates.io once (a few
# minutes on two cores; no prebuilt binaries are reachable here), reused by
# every clone. Prints the folder to put on PATH.
set -euo pipefail
source "$(dirname "$0")/../lib.sh"

NEXTEST_VERSION=0.9.151
root="$MLOBS_CACHE/nextest-$NEXTEST_VERSION"
if cargo nextest --version >/dev/null 2>&1; then
    echo ""
    exit 0
fi
if [ ! -x "$root/bin/cargo-nextest" ]; then
    say "building cargo-nextest $NEXTEST_VERSION into $root (first time only, a few minutes)"
    cargo install cargo-nextest --version "$NEXTEST_VERSION" --locked --root "$root.partial" \
        -j "${MLOBS_BUILD_JOBS:-2}" --quiet >&2 ||
        die "building cargo-nextest failed; see the output above"
    rm -rf "$root"
    mv "$root.partial" "$root"
fi
echo "$root/bin"
