#!/usr/bin/env bash
# make image-toolchain-test: builds deploy/Dockerfile, the image compiled
# inside a Go toolchain image, and checks that it has exactly the layout of
# the image make image builds (the same test as compose-test's TestImage).
#
# Where no registry can be reached, golang:1.26 cannot be pulled, so when
# the engine has no such image this script makes a stand-in from this
# machine's own toolchain: the Go tree at $(go env GOROOT), a static
# busybox for the shell the RUN lines need, and the CA bundle, laid out as
# the official image lays them out (Go in /usr/local/go, GOPATH /go, HOME
# /root). The build reaches the Go module proxy through the host's network.
# Everything it creates is removed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! docker version --format '{{.Server.Version}}' >/dev/null 2>&1; then
	echo "image-toolchain-test: no Docker engine answers; this test builds images and needs one" >&2
	exit 1
fi
image=loadgen:toolchain-test
stage=loadgen:toolchain-test-build
toolchain=golang:1.26
made_toolchain=
work=$(mktemp -d)
cleanup() {
	docker image rm "$image" "$stage" >/dev/null 2>&1 || true
	[ -z "$made_toolchain" ] || docker image rm "$toolchain" >/dev/null 2>&1 || true
	rm -rf "$work"
}
trap cleanup EXIT

if docker image inspect "$toolchain" >/dev/null 2>&1; then
	echo "image-toolchain-test: using the engine's $toolchain"
else
	busybox=$(command -v busybox || true)
	# ldd fails on a static binary, saying so.
	if [ -z "$busybox" ] || [[ "$(ldd "$busybox" 2>&1 || true)" != *"not a dynamic executable"* ]]; then
		echo "image-toolchain-test: no $toolchain image and no static busybox to make a stand-in (apt-get install busybox-static)" >&2
		exit 1
	fi
	goroot=$(go env GOROOT)
	echo "image-toolchain-test: no $toolchain image; making a stand-in from $goroot ($(go version))"
	mkdir -p "$work/ctx"
	cp -a "$goroot" "$work/ctx/go"
	cp "$busybox" "$work/ctx/busybox"
	cp /etc/ssl/certs/ca-certificates.crt "$work/ctx/"
	cat >"$work/ctx/Dockerfile" <<'DOCKERFILE'
FROM scratch
COPY busybox /bin/busybox
RUN ["/bin/busybox", "--install", "-s", "/bin"]
RUN mkdir -p /tmp /root /go && chmod 1777 /tmp
COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY go /usr/local/go
ENV PATH=/usr/local/go/bin:/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin GOPATH=/go HOME=/root GOTOOLCHAIN=local
WORKDIR /go
DOCKERFILE
	made_toolchain=1
	docker build -q -t "$toolchain" "$work/ctx" >/dev/null
	rm -rf "$work/ctx"
fi

start=$(date +%s)
version="toolchain-$(git describe --tags --always --dirty 2>/dev/null || echo dev)"
# The build stage gets a tag of its own, so that it can be removed.
docker build -q --network host -f deploy/Dockerfile --target build -t "$stage" --build-arg VERSION="$version" . >/dev/null
docker build -q --network host -f deploy/Dockerfile -t "$image" --build-arg VERSION="$version" . >/dev/null
echo "image-toolchain-test: deploy/Dockerfile built in $(($(date +%s) - start)) s"
LOADGEN_TEST_IMAGE="$image" go test -tags docker -count=1 -v -run '^TestImage$' ./deploy/
