#!/usr/bin/env bash
# Fails when a package imports something that sits above it: data flows one
# way (profile -> schedule -> users -> client -> recorder -> results ->
# reports), and albumsvc knows nothing of loadgen.
set -euo pipefail
mod=$(go list -m)
fail=0
while read -r pkg imports; do
	rel=${pkg#"$mod"}
	rel=${rel#/}
	for imp in $imports; do
		case $imp in "$mod"*) ;; *) continue ;; esac
		dep=${imp#"$mod"/}
		bad=""
		case $rel in
		albumsvc/*)
			case $dep in albumsvc) ;; *) bad="albumsvc's packages import only albumsvc from the module" ;; esac ;;
		albumsvc) bad="albumsvc imports nothing from the module" ;;
		internal/embedded)
			case $dep in albumsvc) ;; *) bad="internal/embedded imports only albumsvc" ;; esac ;;
		internal/*)
			case $dep in internal/*) ;; *) bad="the internal helpers import only one another from the module" ;; esac ;;
		results | results/*)
			case $dep in loadgen* | profiles* | cmd* | albumsvc*) bad="results may not import $dep" ;; esac ;;
		profiles/response | profiles/dataset)
			bad="$rel is a leaf: it imports nothing from the module" ;;
		profiles/capture | profiles/check)
			case $dep in profiles/response) ;; *) bad="$rel imports only profiles/response from the module" ;; esac ;;
		profiles*)
			case $dep in profiles* | internal/suggest | internal/netaddr) ;; *) bad="profiles imports only its own packages, internal/suggest and internal/netaddr, the standard library, YAML and GJSON" ;; esac ;;
		loadgen/schedule*)
			case $dep in profiles* | loadgen/schedule*) ;; *) bad="schedule may not import $dep" ;; esac ;;
		loadgen/client*)
			case $dep in loadgen/client*) ;; *) bad="client may not import $dep" ;; esac ;;
		loadgen/users*)
			case $dep in profiles* | loadgen/schedule* | loadgen/client* | loadgen/users* | results | internal/*) ;; *) bad="users may not import $dep" ;; esac ;;
		loadgen)
			case $dep in loadgen/control* | loadgen/web* | loadgen/cli) bad="the run library may not import $dep, which sits above it" ;; esac ;;
		loadgen/control/wire*)
			case $dep in loadgen/control | loadgen/web* | internal/embedded) bad="the wire protocol may not import $dep" ;; esac ;;
		loadgen/control*)
			case $dep in loadgen/web* | loadgen/cli) bad="control may not import $dep" ;; esac ;;
		loadgen/web*)
			case $dep in loadgen/cli | loadgen/sweep* | loadgen/control*) bad="the web UI may not import $dep: it starts runs through its Starter, wired from cmd" ;; esac ;;
		loadgen/output*)
			case $dep in loadgen/cli | loadgen/sweep* | loadgen/control* | loadgen/web*) bad="the outputs may not import $dep, which sits above them" ;; esac ;;
		loadgen/sweep*)
			case $dep in loadgen/web* | loadgen/control*) bad="the sweeps run loadgen in child processes and may not import $dep" ;; esac ;;
		esac
		case $dep in cmd*) bad="nothing imports cmd" ;; esac
		if [ -n "$bad" ]; then
			echo "deps-check: $rel -> $dep: $bad" >&2
			fail=1
		fi
	done
done < <(go list -f '{{.ImportPath}} {{join .Imports " "}}' ./...)
exit $fail
