# Shared by the scripts: sourced, not run.

# start_albumsvc LOG [albumsvc flags...]: starts bin/albumsvc on a free
# loopback port (pinned with PIN_CPU when set) and sets svc_pid and svc_addr.
start_albumsvc() {
	local log=$1
	shift
	local pin=()
	if [ -n "${PIN_CPU:-}" ] && command -v taskset >/dev/null && [ "$(nproc)" -ge 2 ]; then
		pin=(taskset -c "$PIN_CPU")
	fi
	"${pin[@]}" "${BIN:-bin}/albumsvc" --addr 127.0.0.1:0 "$@" 2>"$log" &
	svc_pid=$!
	svc_addr=""
	for _ in $(seq 100); do
		svc_addr=$(sed -n 's/.*msg=listening.* addr=\([0-9.:]*\).*/\1/p' "$log" | head -1)
		[ -n "$svc_addr" ] && return 0
		kill -0 "$svc_pid" 2>/dev/null || break
		sleep 0.1
	done
	echo "albumsvc did not start:" >&2
	cat "$log" >&2
	return 1
}

# stop_albumsvc: stops what start_albumsvc started.
stop_albumsvc() {
	if [ -n "${svc_pid:-}" ]; then
		kill "$svc_pid" 2>/dev/null || true
		wait "$svc_pid" 2>/dev/null || true
		svc_pid=""
	fi
}
