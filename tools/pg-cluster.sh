#!/usr/bin/env bash
# Start a throwaway PostgreSQL cluster for the tests (and print the DSN they read):
#   eval "$(tools/pg-cluster.sh start)"   # exports SCAMGUARD_TEST_PG
#   tools/pg-cluster.sh stop
# The cluster lives in $PGCLUSTER_DIR (default /tmp/scamguard-pg), listens on 127.0.0.1 at
# $PGCLUSTER_PORT (default 55432) only, trusts local connections, and runs as the `postgres`
# user when started as root (PostgreSQL refuses to run as root). Installs nothing: .ci/run
# installs Debian's postgresql package first.
set -euo pipefail

DIR="${PGCLUSTER_DIR:-/tmp/scamguard-pg}"
PORT="${PGCLUSTER_PORT:-55432}"
BIN="${PGCLUSTER_BIN:-}"
if [ -z "$BIN" ]; then
    BIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
fi
if [ -z "$BIN" ] || [ ! -x "$BIN/pg_ctl" ]; then
    BIN="$(dirname "$(command -v pg_ctl || echo /nonexistent/pg_ctl)")"
fi
if [ ! -x "$BIN/pg_ctl" ]; then
    echo "pg-cluster: no PostgreSQL server found (apt-get install -y postgresql)" >&2
    exit 1
fi

as_owner() {
    if [ "$(id -u)" = 0 ]; then
        if ! id postgres >/dev/null 2>&1; then
            useradd --system --home-dir /var/lib/postgresql --shell /bin/bash postgres
        fi
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

dsn() { echo "postgresql://scamguard@127.0.0.1:${PORT}/postgres"; }

case "${1:-start}" in
start)
    if [ ! -s "$DIR/data/PG_VERSION" ]; then
        rm -rf "$DIR"
        mkdir -p "$DIR"
        [ "$(id -u)" = 0 ] && { id postgres >/dev/null 2>&1 || as_owner true; chown postgres "$DIR"; }
        as_owner "$BIN/initdb" -D "$DIR/data" -U scamguard --auth=trust -E UTF8 \
            --locale=C.UTF-8 >"$DIR/initdb.log" 2>&1 \
            || { cat "$DIR/initdb.log" >&2; exit 1; }
    fi
    if ! as_owner "$BIN/pg_ctl" -D "$DIR/data" status >/dev/null 2>&1; then
        # fsync off: a test cluster is thrown away, it needs speed, not durability.
        as_owner "$BIN/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -w -t 60 start \
            -o "-c listen_addresses=127.0.0.1 -p ${PORT} -k $DIR -c fsync=off \
                -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" \
            >/dev/null || { cat "$DIR/server.log" >&2; exit 1; }
    fi
    echo "export SCAMGUARD_TEST_PG=$(dsn)"
    ;;
stop)
    if [ -d "$DIR/data" ]; then
        as_owner "$BIN/pg_ctl" -D "$DIR/data" -m fast -w stop >/dev/null 2>&1 || true
    fi
    ;;
dsn)
    dsn
    ;;
*)
    echo "usage: $0 start|stop|dsn" >&2
    exit 2
    ;;
esac
