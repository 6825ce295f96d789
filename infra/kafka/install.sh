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
say "building tansu $TANSU_VERSION into $root (first time only, about 20 minutes on two cores)"
# dynostore+libsql: the default features build a broker that cannot store
# anything. (Leaving dynostore out would save little: tansu-schema needs
# object_store anyway; cargo tree counts 410 crates either way.) Progress
# every 30 s; the whole output in $root.log.
cargo install tansu --version "$TANSU_VERSION" --locked --features dynostore,libsql \
    --root "$root.partial" -j "${MLOBS_BUILD_JOBS:-2}" 2>&1 |
    build_progress tansu 410 "$root.log" ||
    { tail -30 "$root.log" >&2; die "building tansu failed; the whole output is in $root.log"; }
rm -rf "$root"
mv "$root.partial" "$root"
