#!/usr/bin/env bash
# A network with one hidden layer is a sum of shifted, scaled activation curves. This script fits
# an irregular 1-D curve with 5, 10 and 50 hard_sigmoid units, then with sigmoid and relu units,
# and a 2-D surface with 1 and 3 hidden layers, and writes a report for each into OUT_DIR.
#
# usage: examples/unit_sums.sh [OUT_DIR]   (default: unit_sums)
# Needs: a built protean (build/protean, or PROTEAN=path), python3, gnuplot.
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
protean="${PROTEAN:-$repo/build/protean}"
out="${1:-unit_sums}"
mkdir -p "$out"

python3 "$repo/scripts/make_kinks.py" "$out" >/dev/null

# A 2-D surface, z = sin(2x)·cos(y) + 0.3·x·y on a 40 × 40 grid over [-2, 2]².
python3 - "$out/surface.csv" <<'PY'
import math, sys
with open(sys.argv[1], "w") as f:
    f.write("x,y,z\n")
    for i in range(40):
        for j in range(40):
            x = -2 + 4 * i / 39
            y = -2 + 4 * j / 39
            f.write(f"{x:.6g},{y:.6g},{math.sin(2 * x) * math.cos(y) + 0.3 * x * y:.6g}\n")
PY

fit_curve() {
  local name="$1"; shift
  echo "== $name"
  "$protean" -q fit "$out/kinks_train.csv" --test "$out/kinks_test.csv" --epochs 400 --lr 0.01 --seed 1 \
    -o "$out/$name.safetensors" --report "$out/$name" "$@"
  "$protean" eval "$out/$name.safetensors" "$out/kinks_test.csv"
}

fit_curve hard_sigmoid_5 --hidden 5 -a hard_sigmoid
fit_curve hard_sigmoid_10 --hidden 10 -a hard_sigmoid
fit_curve hard_sigmoid_50 --hidden 50 -a hard_sigmoid
fit_curve sigmoid_10 --hidden 10 -a sigmoid
fit_curve relu_10 --hidden 10 -a relu

# The fitted formula of the 10-unit hard_sigmoid network, with its figure.
"$protean" explain "$out/hard_sigmoid_10.safetensors" --data "$out/kinks_train.csv" -o "$out/hard_sigmoid_10_units.png"

for layers in 32 32,32,32; do
  name="surface_$(echo "$layers" | tr ',' '_')"
  echo "== $name"
  "$protean" -q fit "$out/surface.csv" --hidden "$layers" -a tanh --epochs 300 --seed 1 -o "$out/$name.safetensors" --report "$out/$name"
  "$protean" eval "$out/$name.safetensors" "$out/surface.csv"
done

echo "reports: $out/*/report.html"
