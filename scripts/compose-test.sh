#!/usr/bin/env bash
# make compose-test: the deployment files in real containers. Builds the
# image from this tree's binaries (nothing is pulled), then runs the tests
# of deploy/ that need Docker: the image's layout, `compose config`, the
# seed's topology (album service, coordinator, 4 workers) and three faults
# (a late worker, a killed worker, the coordinator cut off its network).
# Every container, network, volume and image it creates is removed at the
# end, also when a test fails or is killed.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v docker >/dev/null 2>&1; then
	echo "compose-test: no docker command; this test runs containers and needs a Docker engine (make test needs none)" >&2
	exit 1
fi
if ! err=$(docker version --format '{{.Server.Version}}' 2>&1 >/dev/null); then
	echo "compose-test: no Docker engine answers: ${err:-docker version failed}" >&2
	echo "compose-test: start one (or point DOCKER_HOST at one); make test needs none" >&2
	exit 1
fi
# The Compose plugin when the Docker CLI has it, else docker-compose (v1).
if docker compose version >/dev/null 2>&1; then
	compose="docker compose"
elif command -v docker-compose >/dev/null 2>&1; then
	compose=docker-compose
else
	echo "compose-test: needs the Compose tool: neither 'docker compose' nor docker-compose is installed" >&2
	exit 1
fi

export LOADGEN_TEST_COMPOSE="$compose"
export LOADGEN_TEST_IMAGE="${IMAGE:-loadgen:compose-test}"
# Every project of this run starts with this name, so that what a killed
# test left behind can be found and removed.
export LOADGEN_TEST_PROJECT="lgtest$$"

cleanup() {
	local label=com.docker.compose.project
	# Compose labels everything it creates with its project's name.
	mine() { awk -v p="$LOADGEN_TEST_PROJECT" 'index($2, p) == 1 { print $1 }'; }
	local ids
	ids=$(docker ps -a --filter "label=$label" --format "{{.ID}} {{.Label \"$label\"}}" | mine)
	[ -z "$ids" ] || docker rm -f $ids >/dev/null
	ids=$(docker network ls --filter "label=$label" --format "{{.ID}} {{.Label \"$label\"}}" | mine)
	[ -z "$ids" ] || docker network rm $ids >/dev/null
	ids=$(docker volume ls --filter "label=$label" --format "{{.Name}} {{.Label \"$label\"}}" | mine)
	[ -z "$ids" ] || docker volume rm $ids >/dev/null
	docker image rm "$LOADGEN_TEST_IMAGE" >/dev/null 2>&1 || true
}
trap cleanup EXIT

echo "compose-test: $compose, Docker engine $(docker version --format '{{.Server.Version}}')"
start=$(date +%s)
make --no-print-directory image IMAGE="$LOADGEN_TEST_IMAGE"
go test -tags docker -count=1 -v -timeout 15m ./deploy/
echo "compose-test: passed in $(($(date +%s) - start)) s"
