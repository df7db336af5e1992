#!/usr/bin/env bash
# cluster.sh start|stop|status — a Parley cluster on this one machine, with
# the real engines (make cluster, make cluster-stop):
#   - PostgreSQL (Debian's), initdb'd into the cluster folder;
#   - a NATS server (core NATS: the nodes' bus);
#   - versitygw, an S3-compatible server with one bucket, where the
#     nodes keep the files (-s3);
#   - three Parley nodes, one binary built with go build, each with its own
#     -data folder, HTTP port and UDP port, all on -db and -nats;
#   - nginx in front, on one port, spreading WebSocket connections
#     (/v1/ws) over the nodes.
# Everything lives in the cluster folder ($PARLEY_CLUSTER_DIR, by default
# ./cluster-data, which git ignores): data, logs, pid files, nginx's
# configuration. stop stops what start started there (each process is
# checked against its pid file and command line) and nothing else; the
# data stays, so a second start finds the same accounts. Both are
# idempotent. As root, PostgreSQL and nginx run as the unprivileged user
# tools/services.sh creates (initdb and postgres refuse root).
#
# Ports: $PARLEY_CLUSTER_PORT (default 8480) is nginx, the address the app
# connects to; the nodes take the next three (HTTP, and UDP for calls on
# the same numbers), then PostgreSQL, NATS and S3.
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
GO="${GO:-go}"
# Absolute: the processes' command lines must name it (running, below).
dir="$(realpath -m "${PARLEY_CLUSTER_DIR:-$repo/cluster-data}")"
base="${PARLEY_CLUSTER_PORT:-8480}"
nodes=3
if ! [[ "$base" =~ ^[0-9]+$ ]] || [ "$base" -lt 1024 ] || [ "$base" -gt 65529 ]; then
	echo "cluster.sh: PARLEY_CLUSTER_PORT must be a port from 1024 to 65529, not \"$base\"" >&2
	exit 2
fi

proxy_port=$base
node_port() { echo $((base + $1)); } # node 1..3
pg_port=$((base + nodes + 1))
nats_port=$((base + nodes + 2))
s3_port=$((base + nodes + 3))

S3_ACCESS=parley-cluster
S3_SECRET=parley-cluster-secret # a local development server on 127.0.0.1 only
S3_BUCKET=parley
DB_URL="postgres://parley@127.0.0.1:$pg_port/parley?sslmode=disable"
NATS_URL="nats://127.0.0.1:$nats_port"

say() { echo "cluster.sh: $*" >&2; }
die() {
	say "$*"
	exit 1
}

usage() {
	echo "usage: tools/cluster.sh start|stop|status" >&2
	exit 2
}

# ---- processes ------------------------------------------------------------

# running NAME: true when run/NAME.pid names a live process whose command
# line mentions the cluster folder (so a pid reused by another program
# after a reboot is never taken for ours).
running() {
	local pidfile="$dir/run/$1.pid" pid
	[ -f "$pidfile" ] || return 1
	pid="$(cat "$pidfile")"
	[[ "$pid" =~ ^[0-9]+$ ]] || return 1
	[ -r "/proc/$pid/cmdline" ] || return 1
	tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF "$dir/"
}

pid_of() { cat "$dir/run/$1.pid"; }

# launch NAME LOG CMD...: CMD in the background, in a session of its own
# (a Ctrl-C in the terminal that ran make does not reach it), its output in
# LOG, its pid in run/NAME.pid. Services never inherit fd 9, the script's
# lock (start, stop), or they would hold it for their whole life.
launch() {
	local name="$1" log="$2"
	shift 2
	setsid "$@" >>"$log" 2>&1 </dev/null 9>&- &
	echo $! >"$dir/run/$name.pid"
}

# stop_process NAME SECONDS: SIGTERM, then SIGKILL after SECONDS.
stop_process() {
	local name="$1" wait="$2" pid i
	if ! running "$name"; then
		rm -f "$dir/run/$name.pid"
		return 0
	fi
	pid="$(pid_of "$name")"
	say "stopping $name (pid $pid)"
	kill -TERM "$pid" 2>/dev/null || true
	for ((i = 0; i < wait * 10; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		say "$name did not stop within $wait s: killing it"
		kill -KILL "$pid" 2>/dev/null || true
	fi
	rm -f "$dir/run/$name.pid"
}

# wait_for NAME LOG CHECK...: run CHECK until it succeeds (up to 60 s),
# failing with the end of LOG if NAME's process exits first.
wait_for() {
	local name="$1" log="$2" i
	shift 2
	for ((i = 0; i < 600; i++)); do
		if "$@" >/dev/null 2>&1; then
			return 0
		fi
		if ! running "$name"; then
			tail -n 20 "$log" >&2 || true
			die "$name exited before it answered; its log is $log (last lines above)"
		fi
		sleep 0.1
	done
	tail -n 20 "$log" >&2 || true
	die "$name did not answer within 60 s; its log is $log (last lines above)"
}

# port_free PORT: nothing listens on 127.0.0.1:PORT.
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

need_port() {
	port_free "$1" || die "port $1 ($2) is taken by another program: stop it, or choose other ports with PARLEY_CLUSTER_PORT=… (now $base; the cluster uses $base to $((base + nodes + 3)))"
}

http_ok() { curl -fsS --max-time 1 -o /dev/null "$1"; }

# as_service CMD...: CMD as the unprivileged service user when root, else
# as this user.
as_service() {
	if [ -n "$svc_user" ]; then
		setpriv --reuid="$svc_uid" --regid="$svc_gid" --init-groups -- "$@"
	else
		"$@"
	fi
}

# ---- services -------------------------------------------------------------

# read_services: where tools/services.sh build put PostgreSQL, NATS and
# versitygw (it installs and builds them when missing), and who runs
# PostgreSQL and nginx.
read_services() {
	local out
	out="$(GO="$GO" "$repo/tools/services.sh" build)" || die "tools/services.sh build failed (above)"
	# stop reads them back without building anything.
	echo "$out" >"$dir/run/services"
	pg_bin="$(sed -n 's/^postgres-bin=//p' <<<"$out")"
	svc_user="$(sed -n 's/^postgres-user=//p' <<<"$out")"
	nats_bin="$(sed -n 's/^nats-server=//p' <<<"$out")"
	s3_bin="$(sed -n 's/^versitygw=//p' <<<"$out")"
	svc_uid="" svc_gid=""
	if [ -n "$svc_user" ]; then
		svc_uid="$(id -u "$svc_user")"
		svc_gid="$(id -g "$svc_user")"
	fi
}

# service_dir NAME: the folder of a service that runs as the service user,
# made theirs; the user must be able to reach it.
service_dir() {
	local d="$dir/$1"
	mkdir -p "$d"
	if [ -n "$svc_user" ]; then
		chown "$svc_uid:$svc_gid" "$d"
		if ! setpriv --reuid="$svc_uid" --regid="$svc_gid" --init-groups -- test -w "$d"; then
			die "the user $svc_user, who runs PostgreSQL and nginx, cannot reach $d: let others through its parent folders (chmod o+x), or put the cluster elsewhere with PARLEY_CLUSTER_DIR=/tmp/parley-cluster"
		fi
	fi
}

start_postgres() {
	local data="$dir/postgres/data" log="$dir/postgres/postgres.log"
	service_dir postgres
	if [ ! -f "$data/PG_VERSION" ]; then
		say "initdb: a new PostgreSQL database in $data"
		as_service env LC_ALL=C "$pg_bin/initdb" --pgdata "$data" --username parley --auth trust \
			--encoding UTF8 --locale C >"$dir/postgres/initdb.log" 2>&1 ||
			die "initdb failed; its output is in $dir/postgres/initdb.log"
	fi
	if as_service "$pg_bin/pg_ctl" status -D "$data" >/dev/null 2>&1; then
		say "PostgreSQL is already running"
	else
		need_port "$pg_port" PostgreSQL
		say "starting PostgreSQL on 127.0.0.1:$pg_port"
		# TCP on 127.0.0.1 only, no Unix socket; trust authentication
		# (initdb above): a development cluster, not a deployment. A node
		# frozen inside a transaction loses it after 5 s, as the README
		# asks of production, so it cannot hold the others' writes.
		as_service env LC_ALL=C setsid "$pg_bin/pg_ctl" start -D "$data" -l "$log" -w -t 60 \
			-o "-h 127.0.0.1 -p $pg_port -k ''" >/dev/null 9>&- ||
			{
				tail -n 20 "$log" >&2 || true
				die "PostgreSQL did not start; its log is $log"
			}
	fi
	head -n 1 "$data/postmaster.pid" >"$dir/run/postgres.pid"
	if ! "$pg_bin/psql" -h 127.0.0.1 -p "$pg_port" -U parley -d postgres -tAc \
		"SELECT 1 FROM pg_database WHERE datname = 'parley'" | grep -q 1; then
		"$pg_bin/createdb" -h 127.0.0.1 -p "$pg_port" -U parley parley ||
			die "could not create the database parley"
	fi
}

stop_postgres() {
	local data="$dir/postgres/data"
	[ -f "$data/postmaster.pid" ] || {
		rm -f "$dir/run/postgres.pid"
		return 0
	}
	read_saved_services
	if as_service "$pg_bin/pg_ctl" status -D "$data" >/dev/null 2>&1; then
		say "stopping PostgreSQL"
		as_service "$pg_bin/pg_ctl" stop -D "$data" -m fast -w -t 30 >/dev/null
	fi
	rm -f "$dir/run/postgres.pid"
}

start_nats() {
	local log="$dir/nats/nats.log"
	mkdir -p "$dir/nats"
	if running nats; then
		say "NATS is already running"
		return 0
	fi
	need_port "$nats_port" NATS
	say "starting NATS on 127.0.0.1:$nats_port"
	launch nats "$log" "$nats_bin" -a 127.0.0.1 -p "$nats_port" -n parley-cluster -l "$log"
	wait_for nats "$log" nats_ok
}

start_s3() {
	local log="$dir/s3/versitygw.log"
	mkdir -p "$dir/s3/root" "$dir/s3/meta"
	if running s3; then
		say "versitygw is already running"
	else
		need_port "$s3_port" S3
		say "starting versitygw (S3) on 127.0.0.1:$s3_port"
		launch s3 "$log" "$s3_bin" --access "$S3_ACCESS" --secret "$S3_SECRET" --quiet \
			--port "127.0.0.1:$s3_port" posix --sidecar "$dir/s3/meta" "$dir/s3/root"
		wait_for s3 "$log" s3_request GET /
	fi
	if ! s3_request HEAD "/$S3_BUCKET" >/dev/null 2>&1; then
		s3_request PUT "/$S3_BUCKET" >/dev/null || die "could not create the bucket $S3_BUCKET; versitygw's log is $log"
	fi
}

# nats_ok: the NATS server greets a new connection with its INFO line.
nats_ok() {
	timeout 1 bash -c "exec 3<>/dev/tcp/127.0.0.1/$nats_port && head -c 4 <&3" | grep -q INFO
}

# s3_request METHOD PATH: a signed S3 request to versitygw.
s3_request() {
	local method=(-X "$1")
	[ "$1" != HEAD ] || method=(--head)
	curl -fsS --max-time 5 "${method[@]}" --aws-sigv4 "aws:amz:us-east-1:s3" \
		-H "x-amz-content-sha256: UNSIGNED-PAYLOAD" --user "$S3_ACCESS:$S3_SECRET" "http://127.0.0.1:$s3_port$2"
}

# ---- the nodes --------------------------------------------------------------

build_server() {
	mkdir -p "$dir/bin"
	say "building the server (go build -o $dir/bin/parley-server ./server)"
	# Built beside, then renamed: nodes still running keep their binary.
	(cd "$repo" && "$GO" build -o "$dir/bin/parley-server.new" ./server) || die "go build ./server failed"
	mv -f "$dir/bin/parley-server.new" "$dir/bin/parley-server"
}

start_node() {
	local i="$1" port log
	port="$(node_port "$i")"
	log="$dir/node$i/node.log"
	mkdir -p "$dir/node$i/data"
	if running "node$i"; then
		say "node $i is already running (restart it with tools/cluster.sh stop, then start)"
		return 0
	fi
	need_port "$port" "node $i"
	local args=(
		-addr "127.0.0.1:$port" -data "$dir/node$i/data"
		-db "$DB_URL" -nats "$NATS_URL"
		-udp "$port"                  # call audio: UDP on the node's own port number
		-trusted-proxies "127.0.0.1,::1" # nginx: X-Forwarded-For gives the client's address
	)
	# Files: the bucket every node shares; the keys by environment only.
	args+=(-s3 "http://127.0.0.1:$s3_port/$S3_BUCKET")
	export PARLEY_S3_ACCESS_KEY="$S3_ACCESS" PARLEY_S3_SECRET_KEY="$S3_SECRET"
	say "starting node $i on 127.0.0.1:$port"
	launch "node$i" "$log" "$dir/bin/parley-server" "${args[@]}"
	wait_for "node$i" "$log" http_ok "http://127.0.0.1:$port/readyz"
}

# ---- nginx ----------------------------------------------------------------

write_nginx_conf() {
	local n="$dir/nginx" upstream="" i
	for ((i = 1; i <= nodes; i++)); do
		upstream+="		server 127.0.0.1:$(node_port "$i") max_fails=1 fail_timeout=5s;"$'\n'
	done
	cat >"$n/nginx.conf" <<EOF
# Written by tools/cluster.sh: nginx in front of the $nodes nodes.
worker_processes 1;
pid $n/nginx.pid;
error_log $n/error.log warn;

events {
	worker_connections 4096;
}

http {
	access_log $n/access.log;
	client_body_temp_path $n/tmp/client_body;
	proxy_temp_path $n/tmp/proxy;
	fastcgi_temp_path $n/tmp/fastcgi;
	uwsgi_temp_path $n/tmp/uwsgi;
	scgi_temp_path $n/tmp/scgi;

	map \$http_upgrade \$connection_upgrade {
		default upgrade;
		'' close;
	}

	# Any node serves any user: new WebSocket connections go to the node
	# with the fewest; one that refuses the connection (dead) is skipped.
	upstream parley_nodes {
		least_conn;
$upstream	}

	server {
		listen 127.0.0.1:$proxy_port;
		# Uploads come in chunks; the nodes enforce -max-file.
		client_max_body_size 0;

		location = /v1/ws {
			proxy_pass http://parley_nodes;
			proxy_http_version 1.1;
			proxy_set_header Upgrade \$http_upgrade;
			proxy_set_header Connection \$connection_upgrade;
			proxy_set_header Host \$host;
			proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
			# The client pings every 15 s; an hour bounds a silent one.
			proxy_read_timeout 1h;
			proxy_send_timeout 1h;
		}

		location /v1/files {
			# Any node: files are in the shared bucket, and an upload
			# begun through one node continues through another.
			proxy_pass http://parley_nodes;
			proxy_http_version 1.1;
			proxy_set_header Host \$host;
			proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
			proxy_request_buffering off;
			proxy_buffering off;
		}

		location / {
			proxy_pass http://parley_nodes;
			proxy_http_version 1.1;
			proxy_set_header Host \$host;
			proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
		}
	}
}
EOF
}

start_nginx() {
	local n="$dir/nginx" i
	service_dir nginx
	if running nginx; then
		say "nginx is already running"
		return 0
	fi
	need_port "$proxy_port" nginx
	mkdir -p "$n/tmp"
	rm -f "$n/nginx.pid"
	[ -z "$svc_user" ] || chown "$svc_uid:$svc_gid" "$n/tmp"
	write_nginx_conf
	as_service /usr/sbin/nginx -t -q -p "$n" -e "$n/error.log" -c "$n/nginx.conf" ||
		die "nginx refused its configuration $n/nginx.conf (above)"
	say "starting nginx on 127.0.0.1:$proxy_port"
	# nginx forks its master and exits; the master writes nginx.pid.
	as_service setsid /usr/sbin/nginx -p "$n" -e "$n/error.log" -c "$n/nginx.conf" 9>&- ||
		die "nginx did not start; its log is $n/error.log"
	for ((i = 0; i < 100; i++)); do
		[ -s "$n/nginx.pid" ] && break
		sleep 0.1
	done
	cp "$n/nginx.pid" "$dir/run/nginx.pid" 2>/dev/null || die "nginx wrote no pid file; its log is $n/error.log"
	wait_for nginx "$n/error.log" http_ok "http://127.0.0.1:$proxy_port/readyz"
}

# ---- commands -------------------------------------------------------------

# check_ports: every port of a part that is not running yet is free,
# before anything starts.
check_ports() {
	local i
	if ! as_service "$pg_bin/pg_ctl" status -D "$dir/postgres/data" >/dev/null 2>&1; then
		need_port "$pg_port" PostgreSQL
	fi
	running nats || need_port "$nats_port" NATS
	running s3 || need_port "$s3_port" S3
	for ((i = 1; i <= nodes; i++)); do
		running "node$i" || need_port "$(node_port "$i")" "node $i"
	done
	running nginx || need_port "$proxy_port" nginx
}

# read_saved_services: what start's read_services saw.
read_saved_services() {
	local f="$dir/run/services"
	[ -f "$f" ] || die "$f is missing: cannot tell how PostgreSQL was started"
	pg_bin="$(sed -n 's/^postgres-bin=//p' "$f")"
	svc_user="$(sed -n 's/^postgres-user=//p' "$f")"
	svc_uid="" svc_gid=""
	if [ -n "$svc_user" ]; then
		svc_uid="$(id -u "$svc_user")"
		svc_gid="$(id -g "$svc_user")"
	fi
}

start() {
	mkdir -p "$dir/run"
	exec 9>"$dir/run/.lock"
	flock -n 9 || die "another tools/cluster.sh is running on $dir"
	"$repo/tools/sysdeps.sh" cluster
	read_services
	check_ports
	start_postgres
	start_nats
	start_s3
	if ! running node1 || ! running node2 || ! running node3; then
		build_server
	fi
	local i
	for ((i = 1; i <= nodes; i++)); do start_node "$i"; done
	start_nginx
	cat <<EOF

A Parley cluster runs on this machine ($dir):
  app:        go run ./app -server http://127.0.0.1:$proxy_port
  nodes:      http://127.0.0.1:$(node_port 1), :$(node_port 2), :$(node_port 3)   (logs: $dir/node*/node.log)
  PostgreSQL: $DB_URL
  NATS:       $NATS_URL
  S3:         http://127.0.0.1:$s3_port, bucket $S3_BUCKET (the nodes' files)
  admin:      $dir/bin/parley-server admin -data $dir/node1/data users
Stop it with: make cluster-stop   (or tools/cluster.sh stop; the data stays in $dir)
EOF
}

stop() {
	[ -d "$dir/run" ] || {
		say "no cluster in $dir"
		return 0
	}
	exec 9>"$dir/run/.lock"
	flock -n 9 || die "another tools/cluster.sh is running on $dir"
	stop_process nginx 10
	# A node shuts down in stages of up to 25 s in all (README).
	local i
	for ((i = 1; i <= nodes; i++)); do stop_process "node$i" 30; done
	stop_process s3 10
	stop_process nats 10
	stop_postgres
	say "stopped; the data stays in $dir (remove it for a fresh cluster)"
}

status() {
	local name
	for name in postgres nats s3 node1 node2 node3 nginx; do
		if running "$name"; then
			echo "$name: running (pid $(pid_of "$name"))"
		else
			echo "$name: stopped"
		fi
	done
}

[ $# -eq 1 ] || usage
case "$1" in
start) start ;;
stop) stop ;;
status) status ;;
*) usage ;;
esac
