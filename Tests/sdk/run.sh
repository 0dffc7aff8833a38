#!/usr/bin/env bash
# Real SDKs from PyPI (pinned) against fresh `opsdeck serve` processes: UnleashClient
# (agreement with the platform's own answers over 10,000 devices, a flip's arrival),
# Unleash's client-specification cases, and sentry-sdk (crashes, handled errors and
# sessions). Each script prints "N passed, N failed".
set -euo pipefail
cd "$(dirname "$0")/../.."
python3 -c "import UnleashClient, sentry_sdk, requests, brotli" 2>/dev/null \
  || python3 -m pip install -q --disable-pip-version-check "UnleashClient==6.9.1" "sentry-sdk==2.75.0" "brotli==1.2.1" requests
# --install: only the packages (the end-to-end tests of `swift test` need them too).
[ "${1:-}" = "--install" ] && exit 0
binary=${1:-.build/debug/opsdeck}
status=0
for test in Tests/sdk/test_*.py; do
  python3 "$test" "$binary" || status=1
done
exit $status
