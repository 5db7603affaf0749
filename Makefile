# econflow — the commands of README.md. `make test` starts every service it needs.
GO        ?= go
KAFKA_ADDR ?= 127.0.0.1:19092
# An execution count, not a duration: with a duration, Go 1.26's fuzz coordinator can report
# "context deadline exceeded" at the deadline on a loaded machine (golang/go#75804).
FUZZTIME  ?= 60000x

.PHONY: demo test unit services stop-services fuzz-smoke build vet bench bench-produce faults chdb screenshots cluster-test

## demo: the main job on local defaults (embedded broker, local ClickHouse)
demo:
	$(GO) run ./cmd/econflow demo

## build: the econflow binary into ./bin
build:
	$(GO) build -o bin/econflow ./cmd/econflow

## services: install and start ClickHouse and Apache Kafka on loopback; install Chromium for the
## dashboard's browser test
services:
	bash deploy/clickhouse.sh start
	bash deploy/kafka.sh start
	bash deploy/chromium.sh install

## stop-services: stop what `services` started
stop-services:
	-bash deploy/kafka.sh stop
	-bash deploy/clickhouse.sh stop

## chdb: current ClickHouse for the cross-engine tests — PyPI's chdb in a virtual environment of its
## own (CHDB_VENV, kept between runs; the first install takes about a minute)
CHDB_VENV ?= $(HOME)/.cache/econflow/chdb
CHDB_VERSION ?= 4.4.0
chdb:
	@if ! $(CHDB_VENV)/bin/python -c 'import chdb' 2>/dev/null; then \
		python3 -m venv $(CHDB_VENV) && $(CHDB_VENV)/bin/pip install --quiet --disable-pip-version-check chdb==$(CHDB_VERSION); \
	fi
	@$(CHDB_VENV)/bin/python -c 'import chdb; print("chdb", chdb.__version__, "in $(CHDB_VENV)")'

## test: the whole suite on real services — unit, integration (embedded broker and Apache Kafka,
## ClickHouse 18.16 and current ClickHouse through chdb), browser, faults, the tests on a local
## cluster (cluster-test: it starts and stops the cluster itself), fuzz smoke
test: services vet chdb
	ECONFLOW_REQUIRE_SERVICES=1 ECONFLOW_TEST_APACHE_KAFKA=$(KAFKA_ADDR) ECONFLOW_CHDB_PYTHON=$(CHDB_VENV)/bin/python $(GO) test -count=1 -timeout 20m ./...
	$(MAKE) faults
	$(MAKE) cluster-test
	$(MAKE) fuzz-smoke

## faults: fault injection on real services (a ClickHouse of its own on port 19000, stopped mid-stream)
faults:
	ECONFLOW_FAULTS=1 ECONFLOW_REQUIRE_SERVICES=1 ECONFLOW_TEST_APACHE_KAFKA=$(KAFKA_ADDR) $(GO) test -count=1 -timeout 20m -run '^TestFault' ./ingest/

## cluster-test: the tests on a local cluster (docs/cluster.md): installs what is missing (apt:
## zookeeper, clickhouse-server; the Kafka jars from Maven Central) and starts deploy/cluster.sh's
## ZooKeeper, 2 ClickHouse 18.16 shards × 2 replicas and 3 Kafka brokers (~1.4 GB of RAM), runs
## every Cluster test against it — the schema, the store, and three consume processes riding out
## a SIGKILL, a stopped replica, a stopped broker and a shard down, compared with a single-server
## oracle — one package at a time, as they stop and start nodes, and stops the cluster. The
## oracle uses the local ClickHouse of `services`, which it starts if need be. About 4 minutes on
## this 2-core machine while other work runs (cluster start 30 s, tests 3 min 10 s, stop 7 s)
cluster-test:
	bash deploy/clickhouse.sh start
	bash deploy/cluster.sh start
	ECONFLOW_TEST_CLUSTER=1 ECONFLOW_REQUIRE_SERVICES=1 $(GO) test -p 1 -count=1 -timeout 20m -run Cluster \
		./schemas/ ./deploy/ ./ingest/clickhouse/ ./ingest/ ./cmd/econflow/; \
		status=$$?; bash deploy/cluster.sh stop; exit $$status

## bench: throughput benchmark on 1M generated records in publishers' order against ClickHouse's own
## JSONEachRow insert of the same lines, 3 runs, medians (RECORDS=N, RUNS=N, ORDER=publishers|key|random),
## latency at RATE records/s offered (LATENCY_RECORDS of them);
## then the query benchmark: views against direct primary-key reads on QUERY_ROWS fuel rows, each
## question timed for up to QUERY_BUDGET (bench-queries.json). On Apache Kafka and ClickHouse as
## `services` starts them
RECORDS ?= 1000000
RUNS ?= 3
ORDER ?= publishers
RATE ?= 50000
LATENCY_RECORDS ?= 100000
QUERY_ROWS ?= 10000000
QUERY_BUDGET ?= 20s
bench: build services
	bin/econflow bench --records $(RECORDS) --runs $(RUNS) --order $(ORDER) --rate $(RATE) --latency-records $(LATENCY_RECORDS) --embedded-broker=false --brokers $(KAFKA_ADDR) --json bench.json
	bin/econflow bench queries --rows $(QUERY_ROWS) --budget $(QUERY_BUDGET) --json bench-queries.json

## bench-produce: econflow produce against kcat -P of the same RECORDS generated lines on Apache Kafka,
## alternating, RUNS each (internal/bench/produce.sh; needs kcat)
bench-produce: build services
	ECONFLOW=bin/econflow BROKERS=$(KAFKA_ADDR) internal/bench/produce.sh $(RECORDS) $(RUNS)

## screenshots: every dashboard page as a PNG in docs/screenshots (the browser test on the demo data;
## needs ClickHouse and Chromium)
screenshots:
	ECONFLOW_REQUIRE_SERVICES=1 $(GO) test -count=1 -run '^TestDashboardInBrowser$$' ./dashboard/ -screenshots $(CURDIR)/docs/screenshots

## unit: the tests that need no services: with -short, every test that needs ClickHouse or Apache
## Kafka skips (internal/testenv); the embedded broker runs in-process
unit:
	$(GO) test -count=1 -short ./...

## fuzz-smoke: run each fuzz target briefly
fuzz-smoke:
	$(GO) test ./transform/ -run '^$$' -fuzz '^FuzzDecodeJSON$$' -fuzztime $(FUZZTIME)
	$(GO) test ./transform/ -run '^$$' -fuzz '^FuzzParseDecimal$$' -fuzztime $(FUZZTIME)
	$(GO) test ./transform/ -run '^$$' -fuzz '^FuzzConvert$$' -fuzztime $(FUZZTIME)
	$(GO) test ./transform/ -run '^$$' -fuzz '^FuzzParseRFC3339$$' -fuzztime $(FUZZTIME)

vet:
	$(GO) vet ./...
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { echo "gofmt needed:"; gofmt -l $$(git ls-files '*.go'); exit 1; }
