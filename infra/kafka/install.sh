#!/usr/bin/env bash
# Installs the tansu Kafka-compatible broker into the shared tool cache, once.
# The cold build takes 20-30 minutes on two cores, so it is skipped whenever
# the binary is already cached (a second clone reuses it).
set -euo pipefail
source "$(dirname "$0")/../lib.sh"

TANSU_VERSION=0.6.0
root="$MLOBS_CACHE/tansu-$TANSU_VERSION"
if [ -x "$root/bin/tansu" ]; then
    exit 0
fi
say "building tansu $TANSU_VERSION into $root (first time only, about 25 minutes)"
# dynostore+libsql: the default features build a broker that cannot store anything.
cargo install tansu --version "$TANSU_VERSION" --locked --features dynostore,libsql \
    --root "$root.partial" -j "${MLOBS_BUILD_JOBS:-2}"
rm -rf "$root"
mv "$root.partial" "$root"
