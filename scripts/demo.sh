#!/usr/bin/env bash
# Install what is missing, build, then train a 784-256-128-10 network on Fashion-MNIST (the
# Debian package dataset-fashion-mnist) for 10 epochs and report its test accuracy.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
data=/usr/share/datasets/fashion-mnist
mkdir -p out
build/protean fit "$data/train-images-idx3-ubyte.gz" --labels "$data/train-labels-idx1-ubyte.gz" \
  --test "$data/t10k-images-idx3-ubyte.gz" --test-labels "$data/t10k-labels-idx1-ubyte.gz" \
  --hidden 256,128 --activation relu --optimizer adam --epochs 10 --batch-size 128 \
  --output out/fashion.safetensors
build/protean info out/fashion.safetensors
