#!/usr/bin/env bash
# run.sh SERVER ADDR DATA APP [ARG...] — what `make run` runs once both are
# built: the server SERVER on ADDR with its data in DATA, then, once that
# server (this one, not whatever else may listen there) is listening, the
# app APP with ARGs and -server http://ADDR. Closing the app stops the
# server. If the server cannot start (the port is taken, say), it says so
# and stops with the server's status, without starting the app.
set -uo pipefail
server=$1 addr=$2 data=$3 app=$4
shift 4

log=$(mktemp "${TMPDIR:-/tmp}/parley-run.XXXXXX")
# The server logs to $log, where its "listening" line says that this
# process holds the port (at info level, whatever PARLEY_LOG_LEVEL says);
# tail shows the log in the terminal as ever, until the server ends.
"$server" -addr "$addr" -data "$data" -log-level info 2>"$log" &
srv=$!
tail -n +1 -f --pid="$srv" "$log" >&2 &
shown=$!
trap 'kill "$srv" 2>/dev/null; wait "$srv" "$shown" 2>/dev/null; rm -f "$log"' EXIT
trap 'exit 130' INT TERM

until grep -q '"msg":"listening"' "$log"; do
	if ! kill -0 "$srv" 2>/dev/null; then
		wait "$srv"
		status=$?
		wait "$shown" # the server's last words are on the terminal
		echo >&2
		echo "make run: the server did not start on $addr (its message is above), so the app was not started." >&2
		if grep -qi 'address already in use' "$log"; then
			echo "Another program is using $addr: stop it, or choose another address, e.g. make run ADDR=127.0.0.1:8081" >&2
		fi
		exit $(( status == 0 ? 1 : status ))
	fi
	sleep 0.1
done

"$app" "$@" -server "http://$addr"
