# mlobs: `make demo` and `make test` are the two commands; both set up
# everything they need (tools are cached under ~/.cache/mlobs).

CARGO ?= cargo
JOBS ?= 2
STACK := infra/stack.sh
MLOBS := target/release/mlobs

.PHONY: up down status clean-state topics build release test lint bench demo

up:            ## install (once) and start Kafka, ClickHouse, Prometheus, Alertmanager, MLflow
	$(STACK) up

down:          ## stop every service this checkout started
	$(STACK) down

status:        ## per service: running or not, port, version
	$(STACK) status

clean-state:   ## stop everything and delete all local data
	$(STACK) clean-state

build:
	$(CARGO) build -j$(JOBS) --workspace

release:
	$(CARGO) build -j$(JOBS) --release -p mlobs-cli

topics: release up
	$(MLOBS) topics create
	$(MLOBS) topics check

test: up       ## start the stack, run every test against it, then check the stack scripts (ends with the stack down)
	MLOBS_PYREF=$$(infra/pyref/install.sh) $(CARGO) nextest run -j$(JOBS) --workspace --no-fail-fast --build-jobs $(JOBS)
	infra/check-stack.sh

lint:          ## clippy with warnings as errors, and formatting
	$(CARGO) clippy -j$(JOBS) --workspace --all-targets -- -D warnings
	$(CARGO) fmt --all --check

bench: release   ## benchmarks: operators in-process, then `mlobs drift` on 1M x 50 CSVs
	$(CARGO) bench -j$(JOBS) -p mlobs-operators
	bench/drift_cli.sh

demo: topics   ## simulate a model with two versions and watch it through the pipeline
	$(MLOBS) simulate --count 3000 --rate 500 --label-delay-ms 2000
	$(MLOBS) run --exit-when-idle 5 --report-every 2
