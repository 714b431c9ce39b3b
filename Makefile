# Every target works on a fresh clone with only the Go toolchain installed.
GO      ?= go
BIN     := bin
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X main.version=$(VERSION)
# Static binaries: no cgo, so they run on an empty base image.
export CGO_ENABLED ?= 0

.PHONY: all build run test smoke bench fmt vet deps-check clean image compose-test image-toolchain-test

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
	$(GO) test -count=1 -run 'TestManyUsersKeepOneConnectionEach' ./loadgen/users/

# A CI smoke load test: albumsvc plus profiles/smoke.yaml with thresholds;
# fails (exit 3) when one is breached.
smoke: build
	@scripts/smoke.sh

vet:
	$(GO) vet ./...

# Keeps the one-way import rules of DESIGN honest.
deps-check:
	@scripts/deps-check.sh

# The container image from the binaries built here: nothing is pulled, so
# it builds without a registry (deploy/Dockerfile compiles in a Go
# toolchain image instead; deploy/README.md says which to use).
IMAGE ?= loadgen:dev
CA_BUNDLE ?= /etc/ssl/certs/ca-certificates.crt
image:
	@test -r $(CA_BUNDLE) || { echo "image: no CA bundle at $(CA_BUNDLE) (install ca-certificates, or set CA_BUNDLE)" >&2; exit 1; }
	rm -rf $(BIN)/image && mkdir -p $(BIN)/image/results
	CGO_ENABLED=0 GOOS=linux $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/image/ ./cmd/loadgen ./cmd/albumsvc
	cp $(CA_BUNDLE) $(BIN)/image/ca-certificates.crt
	docker build -q -f deploy/Dockerfile.prebuilt -t $(IMAGE) $(BIN)/image

# The deployment files in real containers: the image, `compose config`,
# the seed's topology (album service, coordinator, 4 workers) and three
# faults. Needs a Docker engine and docker compose or docker-compose; says
# so and fails without them. Removes everything it creates.
compose-test:
	@scripts/compose-test.sh

# deploy/Dockerfile, compiled in a Go toolchain image, must give the same
# image as make image. Without golang:1.26 in the engine it makes a
# stand-in from this machine's Go (and Debian's busybox-static).
image-toolchain-test:
	@scripts/image-toolchain-test.sh

bench: build
	@scripts/bench.sh

fmt:
	gofmt -w $$(git ls-files '*.go')

clean:
	rm -rf $(BIN)
