#!/usr/bin/env python3
"""Write a 1-D regression data set: a piecewise-linear curve with irregular kinks.

The curve joins 12 knots (10 interior kinks) whose positions and heights are drawn at random,
so it follows no formula. Inputs are uniform on [-3, 3]; targets carry no noise, so a good fit
can approach zero error.

usage: make_kinks.py OUT_DIR [--rows N] [--test-rows M] [--seed S]
Writes OUT_DIR/kinks_train.csv and OUT_DIR/kinks_test.csv with a header "x,y".
"""
import argparse
import os
import random


def make_knots(rng):
    xs = sorted(rng.uniform(-2.8, 2.8) for _ in range(10))
    xs = [-3.0] + xs + [3.0]
    ys = [rng.uniform(-1.0, 1.0) * 4.0 for _ in xs]
    return xs, ys


def curve(x, xs, ys):
    for i in range(len(xs) - 1):
        if x <= xs[i + 1]:
            t = (x - xs[i]) / (xs[i + 1] - xs[i])
            return ys[i] + t * (ys[i + 1] - ys[i])
    return ys[-1]


def write(path, rng, rows, xs, ys):
    tmp = path + ".tmp"
    with open(tmp, "w", newline="\n") as f:
        f.write("x,y\n")
        for _ in range(rows):
            x = rng.uniform(-3.0, 3.0)
            f.write(f"{x:.7g},{curve(x, xs, ys):.7g}\n")
    os.replace(tmp, path)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir")
    parser.add_argument("--rows", type=int, default=2000)
    parser.add_argument("--test-rows", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    xs, ys = make_knots(rng)
    os.makedirs(args.out_dir, exist_ok=True)
    write(os.path.join(args.out_dir, "kinks_train.csv"), rng, args.rows, xs, ys)
    write(os.path.join(args.out_dir, "kinks_test.csv"), rng, args.test_rows, xs, ys)


if __name__ == "__main__":
    main()
