#!/usr/bin/env bash
# `make pg-demo`: the platform as a larger team runs it. A private PostgreSQL cluster in
# a temporary directory on a free port (Debian's postgresql, installed when missing), two
# `opsdeck serve` processes on that one database, a simulated fleet sending to each, and
# the console against the first. Quitting the console stops everything and removes the
# cluster. Put docs/deploy/nginx.conf in front of the two servers to balance them.
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=${1:-.build/debug/opsdeck}
dir=$(mktemp -d /tmp/opsdeck-pg-demo.XXXXXX)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  Tests/pg/cluster.sh stop "$dir/data"
  rm -rf "$dir"
}
trap cleanup EXIT

url=$(Tests/pg/cluster.sh start "$dir/data")/postgres
token=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
printf '[[token]]\nname = "admin"\nrole = "admin"\ntoken = "%s"\n' "$token" > "$dir/tokens.toml"

# Starts one server; prints its URL once it listens. The first one migrates and seeds.
serve() {
  local name=$1
  "$bin" serve --listen 127.0.0.1:0 --db "$url" --tokens "$dir/tokens.toml" > "$dir/$name.out" 2> "$dir/$name.err" &
  pids+=($!)
  for _ in $(seq 300); do
    grep -q '^listening on ' "$dir/$name.out" 2>/dev/null && break
    sleep 0.1
  done
  sed -n 's/^listening on //p' "$dir/$name.out" | head -1 | grep . || { echo "server $name did not start:" >&2; cat "$dir/$name.err" >&2; exit 1; }
}
a=$(serve a)
b=$(serve b)
"$bin" simulate --api "$a" --token "$token" --rate 20 --seed 1 > /dev/null 2> "$dir/fleet-a.log" &
pids+=($!)
"$bin" simulate --api "$b" --token "$token" --rate 20 --seed 2 > /dev/null 2> "$dir/fleet-b.log" &
pids+=($!)
echo "PostgreSQL ${url%/postgres}; servers $a and $b on it, a fleet sending to each; the console follows $a" >&2
OPSDECK_CACHE="$dir/cache.sqlite" "$bin" --api "$a" --token "$token" --log "$dir/console.log"
