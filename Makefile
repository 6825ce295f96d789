# mlobs: `make demo` and `make test` are the two commands; both set up
# everything they need (tools are cached under ~/.cache/mlobs).

CARGO ?= cargo
JOBS ?= 2
# Integration tests spend most of their time waiting on the services (a
# window to close, a group to settle), so more of them run at once than
# there are cores.
TEST_THREADS ?= 4
STACK := infra/stack.sh

.PHONY: up down status clean-state deps build release test lint bench demo dashboards

up:            ## install (once) and start Kafka, ClickHouse, Prometheus, Alertmanager, MLflow
	$(STACK) up

down:          ## stop every service this checkout started
	$(STACK) down

status:        ## per service: running or not, port, version
	$(STACK) status

clean-state:   ## stop everything and delete all local data
	$(STACK) clean-state

deps:          ## what compiling needs besides Rust: the system OpenSSL for librdkafka's TLS (installed if missing)
	infra/build-deps.sh

build: deps
	$(CARGO) build -j$(JOBS) --workspace

release: deps
	$(CARGO) build -j$(JOBS) --release -p mlobs-cli

test: deps up  ## start the stack, run every test against it (deleting the topics they make), then check the stack scripts (ends with the stack down)
	# From an empty registry: the agent reads the registered versions of a
	# model (their features) by name, so a `churn` left by `make demo`
	# changed the agent tests' diagnoses. The broker keeps its topics: each
	# test deletes its own, and the sweep below deletes any a killed test
	# left.
	$(STACK) reset mlflow
	infra/kafka/sweep-topics.sh mark .mlobs-data/topics-before-test
	# The alert rules' unit tests (promtool test rules, rules/tests/*.yml):
	# about a second, so they go first.
	infra/prometheus/check-rules.sh test
	# The Python SDK in its own cached virtualenv: its unit tests here (a few
	# seconds); its byte compatibility and live-pipeline tests run in nextest.
	sdk=$$(infra/pysdk/install.sh) && $$sdk -m pytest -q sdk/python/tests && \
	nextest=$$(infra/nextest/install.sh) && \
	PATH="$${nextest:+$$nextest:}$$PATH" MLOBS_PYSDK=$$sdk MLOBS_PYREF=$$(infra/pyref/install.sh) \
		$(CARGO) nextest run -j$(TEST_THREADS) --workspace --no-fail-fast --build-jobs $(JOBS)
	infra/kafka/sweep-topics.sh sweep .mlobs-data/topics-before-test
	infra/check-stack.sh

dashboards: deps  ## write infra/grafana/dashboards/*.json from the generator (crate mlobs-dashboards) after changing it
	$(CARGO) run -j$(JOBS) -q -p mlobs-cli -- dashboards --output infra/grafana/dashboards

lint: deps    ## clippy with warnings as errors, formatting, promtool check rules and config, amtool check-config
	$(CARGO) clippy -j$(JOBS) --workspace --all-targets -- -D warnings
	$(CARGO) fmt --all --check
	infra/prometheus/check-rules.sh check

bench: release up   ## benchmarks: operators and runtime in process, checkpoint volume and join expiry, ClickHouse inserts, end to end through Kafka with and without sinks, `mlobs drift` on 1M x 22 CSV and Parquet pairs beside the peers, and on 100k x 1,000
	$(CARGO) bench -j$(JOBS) -p mlobs-operators -p mlobs-pipeline --bench operators --bench runtime --bench checkpoint --bench clickhouse_insert
	bench/pipeline_e2e.sh
	bench/drift_cli.sh

demo: deps   ## the seed's section 7: drift injected, detected, diagnosed, rolled back and retrained by the agent, verified; ends with a report (builds mlobs while the stack installs and starts)
	JOBS=$(JOBS) infra/demo.sh
