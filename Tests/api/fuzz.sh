#!/usr/bin/env bash
# Runs schemathesis (from PyPI) against a fresh `opsdeck serve`: every operation of
# openapi.json, generated and mutated requests, and stateful sequences through its
# links. Fails on any 5xx or any answer the document does not allow.
set -euo pipefail
cd "$(dirname "$0")/../.."
binary=${1:-.build/debug/opsdeck}
python3 -c "import schemathesis" 2>/dev/null || python3 -m pip install -q --disable-pip-version-check schemathesis
work=$(mktemp -d)
trap 'kill "$server" 2>/dev/null || true; rm -rf "$work"' EXIT
# FUZZ_DB: another store (e.g. a PostgreSQL URL, as `make pg-test` runs it).
"$binary" serve --listen 127.0.0.1:0 --db "${FUZZ_DB:-$work/platform.sqlite}" > "$work/serve.out" 2> "$work/serve.err" &
server=$!
for _ in $(seq 100); do
  [ "$(wc -l < "$work/serve.out")" -ge 2 ] && break
  sleep 0.1
done
token=$(sed -n 's/^token: //p' "$work/serve.out")
url=$(sed -n 's/^listening on //p' "$work/serve.out")
[ -n "$token" ] && [ -n "$url" ] || { echo "opsdeck serve did not start:"; cat "$work/serve.err"; exit 1; }
python3 -m schemathesis.cli --no-color --config-file Tests/api/schemathesis.toml run "$url/openapi.json" \
  --header "Authorization: Bearer $token" --checks all --seed "${SEED:-1}"
