#!/usr/bin/env bash
# A private PostgreSQL cluster for tests and demos: its own directory, a free loopback
# port, trust authentication for the superuser `opsdeck`, nothing shared with a system
# cluster. Installs Debian's postgresql when its programs are missing.
#
#   Tests/pg/cluster.sh start DIR   # prints postgres://opsdeck@127.0.0.1:PORT
#   Tests/pg/cluster.sh stop DIR
set -euo pipefail

command=${1:?usage: cluster.sh start|stop DIR}
dir=${2:?usage: cluster.sh start|stop DIR}

bindir() {
  local found
  found=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
  if [ -z "$found" ]; then
    local sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
    echo "installing postgresql (Debian)" >&2
    $sudo apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq postgresql >/dev/null
    found=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
  fi
  echo "$found"
}

# PostgreSQL refuses to run as root: as root, the cluster belongs to the postgres user.
as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "$command" in
start)
  bin=$(bindir)
  mkdir -p "$dir"
  if [ "$(id -u)" = 0 ]; then
    chown postgres: "$dir"
    # The postgres user must reach the directory: a mktemp -d parent is root's only.
    chmod o+x "$(dirname "$dir")"
  fi
  if [ ! -f "$dir/PG_VERSION" ]; then
    as_owner "$bin/initdb" -D "$dir" -U opsdeck --auth=trust --no-sync -E UTF8 --locale=C.UTF-8 >"$dir.initdb.log" 2>&1 \
      || { cat "$dir.initdb.log" >&2; exit 1; }
  fi
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  # fsync off: a test cluster is thrown away, and CI's disk is shared.
  as_owner "$bin/pg_ctl" -D "$dir" -l "$dir/server.log" -w -t 60 \
    -o "-h 127.0.0.1 -p $port -k $dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" \
    start >/dev/null
  echo "$port" > "$dir/opsdeck.port"
  echo "postgres://opsdeck@127.0.0.1:$port"
  ;;
stop)
  bin=$(bindir)
  [ -f "$dir/PG_VERSION" ] && as_owner "$bin/pg_ctl" -D "$dir" -m fast -w stop >/dev/null || true
  ;;
*)
  echo "usage: cluster.sh start|stop DIR" >&2; exit 64
  ;;
esac
