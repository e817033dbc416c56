#!/usr/bin/env python3
"""Trains one reference workload in PyTorch with Pith's recipe and prints one JSON line.

Same recipe as `pith train`: MNIST from IDX (pixels / 255), the first 55,000 training
images, batch 128, Adam lr 1e-3 constant, PyTorch's default initialisation, dropout as in
the model; test accuracy on the 10,000 test images after the last epoch. Samples/s is
measured per epoch over the training loop only (as Pith's log lines are), and the median
over epochs is reported.
Usage: torch_train.py MODEL EPOCHS THREADS [MNIST_DIR] [SEED] [SAVE.npz]
SAVE.npz: the trained parameters in order (p0, p1, ...: each layer's weight, then bias).
"""
import gzip, json, os, statistics, sys, time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def read_idx(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    rank = data[3]
    dims = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(rank)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * rank).reshape(dims)


def find(directory, base):
    plain = os.path.join(directory, base)
    return plain if os.path.exists(plain) else plain + ".gz"


def model(name):
    if name == "mlp-teacher":
        return nn.Sequential(nn.Flatten(), nn.Linear(784, 1200), nn.ReLU(), nn.Dropout(0.5),
                             nn.Linear(1200, 1200), nn.ReLU(), nn.Dropout(0.5), nn.Linear(1200, 10))
    if name == "mlp-student":
        return nn.Sequential(nn.Flatten(), nn.Linear(784, 800), nn.ReLU(), nn.Linear(800, 800), nn.ReLU(),
                             nn.Linear(800, 10))
    if name == "mlp-tiny":
        return nn.Sequential(nn.Flatten(), nn.Linear(784, 64), nn.ReLU(), nn.Linear(64, 10))
    if name == "cnn-teacher":
        return nn.Sequential(nn.Conv2d(1, 32, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
                             nn.Conv2d(32, 64, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                             nn.Linear(3136, 1024), nn.ReLU(), nn.Dropout(0.5), nn.Linear(1024, 10))
    if name == "cnn-student":
        return nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                             nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                             nn.Linear(784, 10))
    raise SystemExit(f"unknown model {name}")


def main():
    name, epochs, threads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    mnist = sys.argv[4] if len(sys.argv) > 4 else "../shared/data/mnist"
    seed = int(sys.argv[5]) if len(sys.argv) > 5 else 1
    torch.manual_seed(seed)
    torch.set_num_threads(threads)
    xs = torch.from_numpy(read_idx(find(mnist, "train-images-idx3-ubyte")).astype(np.float32) / 255.0).unsqueeze(1)
    ys = torch.from_numpy(read_idx(find(mnist, "train-labels-idx1-ubyte")).astype(np.int64))
    xt = torch.from_numpy(read_idx(find(mnist, "t10k-images-idx3-ubyte")).astype(np.float32) / 255.0).unsqueeze(1)
    yt = torch.from_numpy(read_idx(find(mnist, "t10k-labels-idx1-ubyte")).astype(np.int64))
    xs, ys = xs[:55000].contiguous(), ys[:55000].contiguous()
    net = model(name)
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    rates = []
    for epoch in range(epochs):
        net.train()
        order = torch.randperm(len(xs))
        start = time.perf_counter()
        for i in range(0, len(xs), 128):
            idx = order[i:i + 128]
            x, y = xs[idx], ys[idx]
            opt.zero_grad(set_to_none=True)
            loss = F.cross_entropy(net(x), y)
            loss.backward()
            opt.step()
        rates.append(len(xs) / (time.perf_counter() - start))
        print(f"torch {name} epoch {epoch + 1}/{epochs} {rates[-1]:.0f} samples/s", file=sys.stderr, flush=True)
    net.eval()
    with torch.no_grad():
        correct = sum(int((net(xt[i:i + 1000]).argmax(1) == yt[i:i + 1000]).sum()) for i in range(0, len(xt), 1000))
    if len(sys.argv) > 6:
        np.savez(sys.argv[6], **{f"p{i}": p.detach().numpy() for i, p in enumerate(net.parameters())})
    print(json.dumps({"tool": "pytorch", "version": torch.__version__, "model": name, "epochs": epochs,
                      "threads": threads, "samples_per_second": statistics.median(rates),
                      "test_errors": len(xt) - correct, "test_accuracy": correct / len(xt)}))


if __name__ == "__main__":
    main()
