#!/usr/bin/env bash
# Install what is missing, build, and run the whole test suite (unit, CLI end-to-end, acceptance
# on Fashion-MNIST, and the examples). Exits non-zero when any test fails.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
ctest --test-dir build --output-on-failure --parallel "$(nproc)" --timeout 1200
