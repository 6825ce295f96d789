#!/usr/bin/env bash
# `make test`'s backstop for topics: every test deletes the topics it made
# when it ends (testkit's OwnTopics), but a test that is killed (nextest's
# timeout) cannot. So `make test` notes the broker's topics before the tests
# and deletes, after them, every topic that appeared meanwhile, except a
# demo's (`demo-*`, made by `make demo`).
#
#   infra/kafka/sweep-topics.sh mark FILE    write the topics there are now to FILE
#   infra/kafka/sweep-topics.sh sweep FILE   delete the topics made since, and say how many
set -euo pipefail
source "$(dirname "$0")/../lib.sh"
source "$INFRA_DIR/kafka/service.sh"

topics() {
    kafka_java org.apache.kafka.tools.TopicCommand --bootstrap-server "127.0.0.1:$PORT" --list |
        grep -v '^__' | sort
}

command=${1:-}
file=${2:-}
[ -n "$file" ] || die "usage: infra/kafka/sweep-topics.sh mark|sweep FILE"
case $command in
    mark) topics >"$file" ;;
    sweep)
        [ -f "$file" ] || die "$file is missing: run 'mark' before the tests"
        left=$(comm -13 "$file" <(topics) | grep -v '^demo-' || true)
        if [ -z "$left" ]; then
            say "the tests left no topic behind"
            exit 0
        fi
        count=$(wc -l <<<"$left")
        say "deleting $count topic(s) a test made and did not delete (a killed test?): $(head -3 <<<"$left" | tr '\n' ' ')..."
        pattern="^($(sed 's/[.]/\\./g' <<<"$left" | paste -sd'|'))\$"
        kafka_java org.apache.kafka.tools.TopicCommand --bootstrap-server "127.0.0.1:$PORT" \
            --delete --topic "$pattern" >/dev/null
        ;;
    *) die "usage: infra/kafka/sweep-topics.sh mark|sweep FILE" ;;
esac
