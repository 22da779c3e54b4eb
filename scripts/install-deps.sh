#!/usr/bin/env bash
# Install the Debian 12 packages Protean needs to build, test and benchmark.
# Safe to run again: it installs only what is missing. Needs root (or sudo).
set -euo pipefail

packages=(
  # build
  cmake ninja-build g++ pkg-config
  # libraries
  libeigen3-dev libopenblas-dev libxsmm-dev libcli11-dev nlohmann-json3-dev libfmt-dev zlib1g-dev
  # tests and benchmarks
  libgtest-dev libgmock-dev libbenchmark-dev python3 python3-numpy
  # real data and the reference implementations compared against in tests and benchmarks
  dataset-fashion-mnist python3-sklearn python3-torch
  # reports: gnuplot draws the figures (svg and pngcairo terminals); the report tests open
  # report.html in headless Chromium
  gnuplot-nox fonts-dejavu-core chromium
  # robustness checks in CI: libFuzzer harnesses (clang 14 and its runtime libraries) and
  # valgrind memcheck of an end-to-end run
  clang libclang-rt-14-dev valgrind
)

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi
echo "installing: ${missing[*]}" >&2
"${sudo_cmd[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
