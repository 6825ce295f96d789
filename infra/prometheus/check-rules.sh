#!/usr/bin/env bash
# Checks the Prometheus alert rules and the Alertmanager config with the
# tools of the Debian packages the stack runs (installed first if missing).
#
#   infra/prometheus/check-rules.sh check   promtool check rules/config + amtool check-config (make lint)
#   infra/prometheus/check-rules.sh test    promtool test rules: the unit tests in rules/tests (make test)
set -euo pipefail
source "$(dirname "$0")/../lib.sh"

"$INFRA_DIR/stack.sh" install prometheus alertmanager
rules="$INFRA_DIR/prometheus/rules"
case ${1:-} in
    check)
        promtool check rules "$rules"/*.yml
        amtool check-config "$INFRA_DIR/prometheus/alertmanager.yml"
        # The Prometheus config as service.sh renders it (into a scratch
        # folder: the running stack's copy stays as it is).
        MLOBS_DATA=$(mktemp -d)
        trap 'rm -rf "$MLOBS_DATA"' EXIT
        (source "$INFRA_DIR/prometheus/service.sh" && svc_command)
        promtool check config "$MLOBS_DATA/prometheus/prometheus.yml"
        ;;
    test)
        promtool test rules "$rules"/tests/*.yml
        ;;
    *) die "usage: infra/prometheus/check-rules.sh check|test" ;;
esac
