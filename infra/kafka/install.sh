#!/usr/bin/env bash
# Installs the tansu Kafka-compatible broker into the shared tool cache, once.
# The cold build takes about 10 minutes on two cores, so it is skipped
# whenever the binary is already cached (a second clone reuses it).
set -euo pipefail
source "$(dirname "$0")/../lib.sh"

root=$TANSU_ROOT
if [ -x "$root/bin/tansu" ]; then
    exit 0
fi
say "building tansu $TANSU_VERSION into $root (first time only, about 10 minutes on two cores)"
# dynostore+libsql: the default features build a broker that cannot store
# anything. (Leaving dynostore out would save little: tansu-schema needs
# object_store anyway; cargo tree counts 410 crates either way.)
# opt-level 1, except SQLite's C code (libsql-ffi) at 3: the cold build took
# 9.6 min instead of about 17 (opt-level 3), and the broker served a plain
# consumer at 42,273 records/s against 42,791 (medians of 3, -1.2%) and a
# producer at 68,262 against 71,077 events/s (-4%); docs/architecture.md.
# Progress every 30 s; the whole output in $root.log.
cargo install tansu --version "$TANSU_VERSION" --locked --features dynostore,libsql \
    --config 'profile.release.opt-level=1' \
    --config 'profile.release.package.libsql-ffi.opt-level=3' \
    --root "$root.partial" -j "${MLOBS_BUILD_JOBS:-2}" 2>&1 |
    build_progress tansu 410 "$root.log" ||
    { tail -30 "$root.log" >&2; die "building tansu failed; the whole output is in $root.log"; }
rm -rf "$root"
mv "$root.partial" "$root"
