#!/usr/bin/env bash
# The integration suite (and anything else given) on PostgreSQL: starts a private cluster
# (Tests/pg/cluster.sh, installing Debian's postgresql when missing), runs the command
# with OPSDECK_TEST_POSTGRES naming it, and stops the cluster however the command ends.
#
#   Tests/pg/run.sh swift test --skip-build --filter IntegrationTests
set -euo pipefail
cd "$(dirname "$0")/../.."
dir=$(mktemp -d /tmp/opsdeck-pg.XXXXXX)
trap 'Tests/pg/cluster.sh stop "$dir/data"; rm -rf "$dir"' EXIT
url=$(Tests/pg/cluster.sh start "$dir/data")
echo "PostgreSQL for the tests: $url (private cluster in $dir)"
OPSDECK_TEST_POSTGRES=$url "$@"
