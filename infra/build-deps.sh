#!/usr/bin/env bash
# What building and running mlobs needs besides Rust and a C compiler:
# - librdkafka is compiled with TLS and SASL SCRAM (the rdkafka crate's
#   `ssl` feature) against the system's OpenSSL, which the build finds with
#   pkg-config: libssl-dev and pkg-config.
# - `mlobs report` writes its charts' text in DejaVu Sans, read at run time
#   from /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf: fonts-dejavu-core.
# Installs each from Debian when missing; every make target that compiles
# runs this first.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

if ! { command -v pkg-config >/dev/null && pkg-config --exists openssl; }; then
    say "installing libssl-dev and pkg-config: librdkafka is built with TLS against the system OpenSSL"
    apt_install libssl-dev pkg-config
    pkg-config --exists openssl || die "pkg-config still finds no openssl after installing libssl-dev"
fi

font=/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf
if [ ! -f "$font" ]; then
    say "installing fonts-dejavu-core: mlobs report writes its charts' text in DejaVu Sans"
    apt_install fonts-dejavu-core
    [ -f "$font" ] || die "$font is still missing after installing fonts-dejavu-core"
fi
