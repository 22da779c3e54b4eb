#!/usr/bin/env bash
# Build the whole test suite with AddressSanitizer and UndefinedBehaviorSanitizer into
# build-asan/ (-O1, debug information, portable SSE code) and run it, then again into
# build-asan-native/ with -march=native, so that the AVX-512 kernels this machine runs are checked
# too. Then run one small `protean fit` and `protean predict` under valgrind memcheck
# (build-valgrind/). Exits non-zero on any report.
set -euo pipefail
cd "$(dirname "$0")/.."

export ASAN_OPTIONS="${ASAN_OPTIONS:-abort_on_error=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
for native in OFF ON; do
  dir=build-asan
  [ "$native" = ON ] && dir=build-asan-native
  cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g" \
    -DPROTEAN_SANITIZE=ON -DPROTEAN_NATIVE="$native" -DPROTEAN_BUILD_BENCH=OFF >/dev/null
  cmake --build "$dir" --parallel "$(nproc)" --target protean_tests protean_cli
  # The acceptance tests train for minutes even at -O3. Under the sanitizers they would only
  # repeat what the unit tests cover, so they are left to the normal build.
  "$dir"/tests/protean_tests --gtest_filter='-*FashionMnist*:*Acceptance*'
done

# valgrind: a small end-to-end run. valgrind 3.19 (Debian 12) cannot decode AVX-512, so this
# build leaves out -march=native.
cmake -S . -B build-valgrind -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPROTEAN_NATIVE=OFF \
  -DPROTEAN_BUILD_TESTS=OFF -DPROTEAN_BUILD_BENCH=OFF >/dev/null
cmake --build build-valgrind --parallel "$(nproc)" --target protean_cli
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
python3 - "$work/data.csv" <<'PY'
import math, sys
with open(sys.argv[1], "w") as out:
    out.write("x1,x2,y\n")
    for i in range(120):
        a, b = i / 20, math.sin(i)
        out.write(f"{a},{b},{3 * a - b}\n")
PY
memcheck=(valgrind --quiet --trace-children=yes --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite,indirect)
"${memcheck[@]}" build-valgrind/protean fit "$work/data.csv" -e 3 --hidden 8 -q -o "$work/model.safetensors"
"${memcheck[@]}" build-valgrind/protean predict "$work/model.safetensors" "$work/data.csv" -o "$work/predictions.csv"
echo "sanitizers and valgrind: no reports" >&2
