#!/usr/bin/env bash
# The test command of the README: installs what is needed, builds, runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
node --test dist/test/
