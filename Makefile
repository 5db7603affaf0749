# econflow — the commands of README.md. `make test` starts every service it needs.
GO        ?= go
KAFKA_ADDR ?= 127.0.0.1:19092
# An execution count, not a duration: with a duration, Go 1.26's fuzz coordinator can report
# "context deadline exceeded" at the deadline on a loaded machine (golang/go#75804).
FUZZTIME  ?= 60000x

.PHONY: demo test unit services stop-services fuzz-smoke build vet bench faults screenshots

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

## test: the whole suite on real services — unit, integration (embedded broker and Apache Kafka), fuzz smoke
test: services vet
	ECONFLOW_REQUIRE_SERVICES=1 ECONFLOW_TEST_APACHE_KAFKA=$(KAFKA_ADDR) $(GO) test -count=1 -timeout 20m ./...
	$(MAKE) faults
	$(MAKE) fuzz-smoke

## faults: fault injection on real services (a ClickHouse of its own on port 19000, stopped mid-stream)
faults:
	ECONFLOW_FAULTS=1 ECONFLOW_REQUIRE_SERVICES=1 ECONFLOW_TEST_APACHE_KAFKA=$(KAFKA_ADDR) $(GO) test -count=1 -timeout 20m -run '^TestFault' ./ingest/

## bench: throughput benchmark on 1M generated records against the same run's ceilings, 3 runs, medians
## (RECORDS=N, RUNS=N to change), on Apache Kafka and ClickHouse as `services` starts them
RECORDS ?= 1000000
RUNS ?= 3
bench: build services
	bin/econflow bench --records $(RECORDS) --runs $(RUNS) --embedded-broker=false --brokers $(KAFKA_ADDR) --json bench.json

## screenshots: every dashboard page as a PNG in docs/screenshots (the browser test on the demo data;
## needs ClickHouse and Chromium)
screenshots:
	ECONFLOW_REQUIRE_SERVICES=1 $(GO) test -count=1 -run '^TestDashboardInBrowser$$' ./dashboard/ -screenshots $(CURDIR)/docs/screenshots

## unit: the tests that need no services
unit:
	$(GO) test -count=1 ./transform/ ./schemas/ ./cmd/... ./deploy/ ./ingest/publishers/

## fuzz-smoke: run each fuzz target briefly
fuzz-smoke:
	$(GO) test ./transform/ -run '^$$' -fuzz '^FuzzDecodeJSON$$' -fuzztime $(FUZZTIME)
	$(GO) test ./transform/ -run '^$$' -fuzz '^FuzzParseDecimal$$' -fuzztime $(FUZZTIME)
	$(GO) test ./transform/ -run '^$$' -fuzz '^FuzzConvert$$' -fuzztime $(FUZZTIME)
	$(GO) test ./transform/ -run '^$$' -fuzz '^FuzzParseRFC3339$$' -fuzztime $(FUZZTIME)

vet:
	$(GO) vet ./...
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { echo "gofmt needed:"; gofmt -l $$(git ls-files '*.go'); exit 1; }
