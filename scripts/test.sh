#!/usr/bin/env bash
# The test command of the README: installs what is needed, builds, runs every test. A test
# that hangs fails after 5 minutes, and a test file that leaves a handle open after its tests
# still ends, so one failure cannot hold the whole run until CI's limit.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
node --test --test-force-exit --test-timeout=300000 dist/test/
