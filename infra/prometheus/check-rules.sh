#!/usr/bin/env bash
# Checks the Prometheus alert rules and the Alertmanager config with the
# tools of the Debian packages the stack runs (installed first if missing).
#
#   infra/prometheus/check-rules.sh check   promtool check rules + amtool check-config (make lint)
#   infra/prometheus/check-rules.sh test    promtool test rules: the unit tests in rules/tests (make test)
set -euo pipefail
source "$(dirname "$0")/../lib.sh"

"$INFRA_DIR/stack.sh" install prometheus alertmanager
rules="$INFRA_DIR/prometheus/rules"
case ${1:-} in
    check)
        promtool check rules "$rules"/*.yml
        amtool check-config "$INFRA_DIR/prometheus/alertmanager.yml"
        ;;
    test)
        promtool test rules "$rules"/tests/*.yml
        ;;
    *) die "usage: infra/prometheus/check-rules.sh check|test" ;;
esac
