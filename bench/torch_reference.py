#!/usr/bin/python3
"""PyTorch (CPU) training throughput on the four reference MLP tasks.

Usage: torch_reference.py TASK THREADS [EPOCHS [SEED]]

Trains the same networks as protean_bench (Adam with learning rate 1e-3, ReLU between the
layers and none after the last, shuffled mini-batches, the last partial batch skipped) and
prints one line of key=value fields in the same format. Only whole epochs of training steps
are timed; data generation, loading and the test-set evaluation are not. SEED (default 0)
seeds the initial weights and the shuffle order; the synthetic data always come from seed 0.
"""
import gzip
import sys
import time

import numpy as np
import torch
from torch import nn

# name: (layer widths, batch size, samples, loss)
TASKS = {
    "curve": ([1, 64, 64, 1], 64, 4096, "mse"),
    "surface": ([2, 128, 128, 128, 1], 256, 65536, "mse"),
    "fashion": ([784, 256, 128, 10], 128, 60000, "cross_entropy"),
    "wide": ([1024, 2048, 2048, 1024], 512, 8192, "mse"),
}

FASHION_DIRECTORY = "/usr/share/datasets/fashion-mnist"


def read_fashion(prefix):
    """Return (pixels / 255 as float32 N×784, labels as int64 N) of one Fashion-MNIST split."""
    with gzip.open(f"{FASHION_DIRECTORY}/{prefix}-images-idx3-ubyte.gz") as images:
        pixels = np.frombuffer(images.read(), dtype=np.uint8, offset=16)
    with gzip.open(f"{FASHION_DIRECTORY}/{prefix}-labels-idx1-ubyte.gz") as labels:
        classes = np.frombuffer(labels.read(), dtype=np.uint8, offset=8)
    inputs = pixels.reshape(-1, 784).astype(np.float32) / 255.0
    return torch.from_numpy(inputs), torch.from_numpy(classes.astype(np.int64))


def synthetic_data(task, widths, samples):
    """Return seeded (x, y): x uniform in [-1, 1] (standard normal for wide), y from the task's formula."""
    generator = torch.Generator().manual_seed(0)
    if task == "wide":
        x = torch.randn(samples, widths[0], generator=generator)
        y = torch.randn(samples, widths[-1], generator=generator)
        return x, y
    x = torch.rand(samples, widths[0], generator=generator) * 2.0 - 1.0
    if task == "curve":
        y = torch.sin(3.0 * x) + 0.3 * torch.sign(x - 0.2) + 0.1 * x
    else:
        a, b = x[:, :1], x[:, 1:2]
        y = torch.sin(4.0 * a) * torch.cos(3.0 * b) + 0.5 * (a * b > 0).float()
    return x, y


def flop_per_sample(widths):
    """Return 6·weights − 2·first-layer weights: forward, both backward products, no input gradient."""
    weights = sum(widths[i] * widths[i + 1] for i in range(len(widths) - 1))
    return 6 * weights - 2 * widths[0] * widths[1]


def build_network(widths):
    layers = []
    for i in range(len(widths) - 1):
        layers.append(nn.Linear(widths[i], widths[i + 1]))
        if i + 2 < len(widths):
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


def main(argv):
    if len(argv) < 3 or argv[1] not in TASKS:
        sys.stderr.write(__doc__)
        return 2
    task, threads = argv[1], int(argv[2])
    epochs = int(argv[3]) if len(argv) > 3 else 3
    seed = int(argv[4]) if len(argv) > 4 else 0
    widths, batch_size, samples, loss_name = TASKS[task]

    torch.set_num_threads(threads)
    torch.manual_seed(seed)
    if task == "fashion":
        x, y = read_fashion("train")
    else:
        x, y = synthetic_data(task, widths, samples)
    network = build_network(widths)
    optimizer = torch.optim.Adam(network.parameters(), lr=1e-3)
    loss_function = nn.CrossEntropyLoss() if loss_name == "cross_entropy" else nn.MSELoss()

    rows = x.shape[0]
    batches = rows // batch_size
    loss_sum = 0.0
    start = time.perf_counter()
    for _ in range(epochs):
        order = torch.randperm(rows)
        loss_sum = 0.0
        for b in range(batches):
            index = order[b * batch_size:(b + 1) * batch_size]
            optimizer.zero_grad(set_to_none=True)
            loss = loss_function(network(x[index]), y[index])
            loss.backward()
            optimizer.step()
            # The epoch's mean loss is reported, as protean_bench reports it.
            loss_sum += loss.item()
    seconds = time.perf_counter() - start

    samples_per_second = epochs * batches * batch_size / seconds
    line = (f"torch task={task} threads={threads} epochs={epochs} seed={seed} samples_per_s={samples_per_second:.0f} "
            f"seconds={seconds:.3f} loss={loss_sum / batches:.5f} "
            f"gflops={samples_per_second * flop_per_sample(widths) / 1e9:.2f}")
    if task == "fashion":
        test_x, test_y = read_fashion("t10k")
        with torch.no_grad():
            accuracy = (network(test_x).argmax(dim=1) == test_y).float().mean().item()
        line += f" test_acc={accuracy:.4f}"
    print(line, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
