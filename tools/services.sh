#!/usr/bin/env bash
# services.sh build — make sure the services cluster-mode tests run against
# are on this machine, and print where they are:
#   - PostgreSQL: Debian's postgresql package (tools/sysdeps.sh services);
#   - NATS: nats-server, built from its Go module (Debian's 2.9 is too old);
#   - S3: versitygw, built from its Go module (its posix backend).
# The binaries are built once per version into a cache folder outside the
# repository ($PARLEY_SERVICES_DIR, by default parley-services beside the Go
# build cache), so a second run only checks they are there. As root it also
# creates the unprivileged user PostgreSQL runs as (initdb and postgres
# refuse to run as root).
#
# Its output on stdout is one NAME=VALUE line per item (progress goes to
# stderr); server/internal/servicetest reads it:
#   postgres-bin=/usr/lib/postgresql/15/bin
#   postgres-user=parley-test        (empty when not root)
#   nats-server=…/nats-server-v2.15.3/nats-server
#   versitygw=…/versitygw-v1.8.0/versitygw
set -euo pipefail

NATS_PACKAGE=github.com/nats-io/nats-server/v2
NATS_VERSION=v2.15.3
VERSITYGW_PACKAGE=github.com/versity/versitygw/cmd/versitygw
VERSITYGW_VERSION=v1.8.0
PG_USER=parley-test

here="$(cd "$(dirname "$0")" && pwd)"
GO="${GO:-go}"

usage() {
	echo "usage: tools/services.sh build" >&2
	exit 2
}

# go_binary NAME PACKAGE VERSION: the path of NAME built from
# PACKAGE@VERSION, building it first if it is not in the cache.
go_binary() {
	local name="$1" package="$2" version="$3"
	local dir="$cache/$name-$version"
	if [ ! -x "$dir/$name" ]; then
		echo "services.sh: building $name $version (go install $package@$version; the first build takes minutes)…" >&2
		local tmp
		tmp="$(mktemp -d "$cache/.build-$name.XXXXXX")"
		local start=$SECONDS
		# Outside any module and workspace, with the local toolchain;
		# static, so the binary does not depend on the C library.
		if ! (cd "$tmp" && GOFLAGS=-trimpath GOWORK=off GOTOOLCHAIN=local CGO_ENABLED=0 GOBIN="$tmp" \
			"$GO" install "$package@$version"); then
			rm -rf "$tmp"
			echo "services.sh: building $name failed (go install $package@$version); the Go module proxy must be reachable" >&2
			exit 1
		fi
		mkdir -p "$dir"
		mv "$tmp/$name" "$dir/$name"
		rm -rf "$tmp"
		echo "services.sh: built $name $version in $((SECONDS - start)) s" >&2
	fi
	echo "$dir/$name"
}

build() {
	local gocache
	gocache="$("$GO" env GOCACHE)"
	cache="${PARLEY_SERVICES_DIR:-$(dirname "$gocache")/parley-services}"
	mkdir -p "$cache"

	# Test processes run this at once: one installs and builds, the others
	# wait for it.
	exec 9>"$cache/.lock"
	flock 9

	"$here/sysdeps.sh" services

	local pgbin=""
	for d in $(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V); do
		[ -x "$d/initdb" ] && [ -x "$d/postgres" ] && pgbin="$d"
	done
	if [ -z "$pgbin" ]; then
		echo "services.sh: no PostgreSQL server under /usr/lib/postgresql/*/bin (initdb, postgres); install it with: apt-get install postgresql" >&2
		exit 1
	fi

	local pguser=""
	if [ "$(id -u)" -eq 0 ]; then
		if ! getent passwd "$PG_USER" >/dev/null; then
			echo "services.sh: creating the system user $PG_USER that test PostgreSQL instances run as" >&2
			useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$PG_USER"
		fi
		pguser="$PG_USER"
	fi

	local nats versitygw
	nats="$(go_binary nats-server "$NATS_PACKAGE" "$NATS_VERSION")"
	versitygw="$(go_binary versitygw "$VERSITYGW_PACKAGE" "$VERSITYGW_VERSION")"

	echo "postgres-bin=$pgbin"
	echo "postgres-user=$pguser"
	echo "nats-server=$nats"
	echo "versitygw=$versitygw"
}

[ $# -eq 1 ] || usage
case "$1" in
build) build ;;
*) usage ;;
esac
