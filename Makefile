# cloudbill — two commands do all set-up on a fresh Debian machine:
#   make demo   a generated district billed month by month on the embedded ClickHouse
#   make test   the tests, against real ClickHouse servers the tests start themselves
# Each installs only what it needs (scripts/deps.sh demo|test); make build installs nothing.
export PATH := /usr/local/go/bin:$(PATH)
GO      ?= go
BIN     := bin/cloudbill
GOFLAGS ?=
SOURCES := $(shell find . -name '*.go' -o -name '*.sql' -o -name 'go.mod' -o -name 'go.sum' | grep -v '^./var/')

.PHONY: all deps deps-demo build unit test test-chdb bench bench-city demo fuzz clean cluster-up cluster-down

all: build

# What the demo needs (ClickHouse, the PDF font) and what the tests need besides.
deps-demo:
	@bash scripts/deps.sh demo

deps:
	@bash scripts/deps.sh test

$(BIN): $(SOURCES)
	$(GO) build -o $(BIN) ./cmd/cloudbill

build: $(BIN)

# The tests that need no server (pure logic): scripts/unit-packages.sh lists them.
unit:
	$(GO) test -short -count=1 $$(bash scripts/unit-packages.sh)

test: deps
	$(GO) vet ./...
	$(GO) test -p 2 -timeout 28m ./...
	@$(MAKE) --no-print-directory test-chdb
	@$(MAKE) --no-print-directory fuzz

# The store's SQL on a current ClickHouse (chDB, in process) next to 18.16: scripts/chdb.sh
# downloads libchdb once into ~/.cache/cloudbill/chdb (docs/clickhouse.md). Each version of
# CHDB_VERSIONS in turn (e.g. make test-chdb CHDB_VERSIONS="26.5.3 26.7.3-stable.1").
CHDB_VERSIONS ?= 26.5.3
test-chdb: deps
	for v in $(CHDB_VERSIONS); do \
		lib="$$(CHDB_VERSION=$$v bash scripts/chdb.sh)" && CHDB_LIB_PATH="$$lib" $(GO) test -tags chdb -count=1 -run TestCurrentClickHouse ./sql/ || exit 1; \
	done

# Each fuzz target runs briefly; a longer run: make fuzz FUZZTIME=5m
FUZZTIME ?= 10s
fuzz:
	@bash scripts/fuzz.sh $(FUZZTIME)

# Every benchmark, then one table: figure, reference, ratio, goal, met, load, command
# (docs/benchmarks.md).
bench: deps $(BIN)
	$(GO) run ./cmd/cloudbench

# The city month once, end to end: `cloudbill demo --scale city` prints each step's time.
BENCH_CITY_OUT ?= ./var/bench-city
BENCH_CITY_HISTORY ?= 1
bench-city: deps-demo $(BIN)
	@uptime
	CLOUDBENCH_CITY_BIN=./$(BIN) CLOUDBENCH_CITY_HISTORY=$(BENCH_CITY_HISTORY) CLOUDBENCH_CITY_OUT=$(BENCH_CITY_OUT) $(GO) run ./cmd/cloudbench city
	@uptime

demo: deps-demo $(BIN)
	./$(BIN) demo --out ./out

# A local ClickHouse cluster (2 shards x 2 replicas + ZooKeeper, loopback) for trying
# cluster mode: the last line printed is the DSN (docs/cluster.md).
CLUSTER_DIR ?= ./var/cluster
cluster-up: deps
	@bash scripts/local-cluster.sh up $(CLUSTER_DIR)

cluster-down:
	@bash scripts/local-cluster.sh down $(CLUSTER_DIR)

clean:
	rm -rf bin out var
