# Every target works on a fresh clone with only the Go toolchain installed.
GO      ?= go
BIN     := bin
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X main.version=$(VERSION)
# Static binaries: no cgo, so they run on an empty base image.
export CGO_ENABLED ?= 0

.PHONY: all build run test smoke bench fmt vet deps-check clean

all: build

build:
	@mkdir -p $(BIN)
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/ ./cmd/...

# Packages with allocation tests (func Test...Alloc...).
ALLOC_PKGS = $(shell grep -rl --include='*_test.go' '^func Test[A-Za-z]*Alloc' . | xargs -n1 dirname | sort -u)

# A short load test against the album service embedded in loadgen.
run: build
	$(BIN)/loadgen --users 50 --ramp 10 --ratio 3:1 --run-time 20s

# The race detector needs cgo. It also makes sync.Pool drop items at random,
# so the tests that pin allocations (named *Alloc*) run again without it.
test: vet deps-check
	CGO_ENABLED=1 $(GO) test -race -count=1 -timeout 20m ./...
	$(GO) test -count=1 -run 'Alloc' $(ALLOC_PKGS)

# A CI smoke load test: albumsvc plus profiles/smoke.yaml with thresholds;
# fails (exit 3) when one is breached.
smoke: build
	@scripts/smoke.sh

vet:
	$(GO) vet ./...

# Keeps the one-way import rules of DESIGN honest.
deps-check:
	@scripts/deps-check.sh

bench: build
	@scripts/bench.sh

fmt:
	gofmt -w $$(git ls-files '*.go')

clean:
	rm -rf $(BIN)
