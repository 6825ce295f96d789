#!/usr/bin/env bash
# What building mlobs needs besides Rust and a C compiler: librdkafka is
# compiled with TLS and SASL SCRAM (the rdkafka crate's `ssl` feature)
# against the system's OpenSSL, which the build finds with pkg-config.
# Installs libssl-dev and pkg-config from Debian when they are missing;
# every make target that compiles runs this first.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

if command -v pkg-config >/dev/null && pkg-config --exists openssl; then
    exit 0
fi
say "installing libssl-dev and pkg-config: librdkafka is built with TLS against the system OpenSSL"
apt_install libssl-dev pkg-config
pkg-config --exists openssl || die "pkg-config still finds no openssl after installing libssl-dev"
