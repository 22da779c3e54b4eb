#!/usr/bin/env bash
# Build the libFuzzer harnesses (clang++, ASan + UBSan) into build-fuzz/ and run each one for
# FUZZ_SECONDS seconds (default 60) from its seed corpus in fuzz/corpus/<target>/.
# Exits non-zero on the first finding; the crashing input is left in build-fuzz/findings/.
# Usage: scripts/fuzz.sh [target...]   (targets: csv idx model architecture; default: all)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${FUZZ_SECONDS:-60}"
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=()
  for source in fuzz/*_fuzzer.cpp; do
    name="$(basename "$source" _fuzzer.cpp)"
    targets+=("$name")
  done
fi

cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++ \
  -DPROTEAN_FUZZ=ON -DPROTEAN_NATIVE=OFF -DPROTEAN_BUILD_TESTS=OFF -DPROTEAN_BUILD_BENCH=OFF >/dev/null
cmake --build build-fuzz --parallel "$(nproc)" --target "${targets[@]/#/fuzz_}"

mkdir -p build-fuzz/findings
for target in "${targets[@]}"; do
  # A scratch corpus, so that the inputs libFuzzer adds stay out of the repository.
  work="build-fuzz/corpus/$target"
  mkdir -p "$work"
  echo "fuzzing $target for ${seconds} s" >&2
  build-fuzz/fuzz/fuzz_"$target" -max_total_time="$seconds" -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="build-fuzz/findings/$target-" "$work" "fuzz/corpus/$target" 2>"build-fuzz/$target.log" || {
    tail -n 60 "build-fuzz/$target.log" >&2
    echo "fuzz_$target found a failure; the input is in build-fuzz/findings/" >&2
    exit 1
  }
  grep -E '^(Done|stat::number_of_executed_units)' "build-fuzz/$target.log" >&2 || true
done
