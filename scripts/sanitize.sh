#!/usr/bin/env bash
# Build the whole test suite with AddressSanitizer and UndefinedBehaviorSanitizer into
# build-asan/ (-O1, debug information) and run it; then run one small `protean fit` and
# `protean predict` of the normal build under valgrind memcheck. Exits non-zero on any report.
set -euo pipefail
cd "$(dirname "$0")/.."

cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g" \
  -DPROTEAN_SANITIZE=ON -DPROTEAN_NATIVE=OFF -DPROTEAN_BUILD_BENCH=OFF >/dev/null
cmake --build build-asan --parallel "$(nproc)" --target protean_tests protean_cli
# LeakSanitizer needs ptrace, which some containers forbid; the valgrind step below checks leaks.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=0:abort_on_error=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
# The Fashion-MNIST acceptance tests train for minutes at -O3; under the sanitizers they only
# repeat what the unit tests cover, so they are left to the normal build.
build-asan/tests/protean_tests --gtest_filter='-*FashionMnist*:*Acceptance*'

# valgrind: a small end-to-end run of the normal build (scripts/build.sh writes build/).
if [ ! -x build/protean ]; then scripts/build.sh; fi
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
memcheck=(valgrind --quiet --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite,indirect)
"${memcheck[@]}" build/protean fit "$work/data.csv" -e 3 --hidden 8 -q -o "$work/model.safetensors"
"${memcheck[@]}" build/protean predict "$work/model.safetensors" "$work/data.csv" -o "$work/predictions.csv"
echo "sanitizers and valgrind: no reports" >&2
