#!/usr/bin/env python3
"""Trains one reference workload in PyTorch with Pith's recipe and prints one JSON line.

Same recipe as `pith train`: MNIST from IDX (pixels / 255), the first 55,000 training
images, batch 128, Adam lr 1e-3 constant, PyTorch's default initialisation, dropout as in
the model; test accuracy on the 10,000 test images after the last epoch. Samples/s is
measured per epoch over the training loop only (as Pith's log lines are), and the median
over epochs is reported.
Usage: torch_train.py MODEL EPOCHS THREADS [MNIST_DIR] [SEED] [SAVE.npz] [SAVE.onnx]
SAVE.npz: the trained parameters in order (p0, p1, ...: each layer's weight, then bias).
SAVE.onnx: the trained model exported by PyTorch's TorchScript exporter (opset 17, batch
dimension dynamic), input (N, 1, 28, 28).
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


class RowLSTM(nn.Module):
    """An LSTM over the image's 28 rows (each a token of 28 pixels), its last hidden state,
    Dense hidden→10. Pith's lstm keeps one bias per gate: PyTorch's bias_hh is fixed at 0
    so the trained parameters are the same set (bias_ih is the bias)."""

    def __init__(self, hidden):
        super().__init__()
        self.lstm = nn.LSTM(28, hidden, batch_first=True)
        with torch.no_grad():
            self.lstm.bias_hh_l0.zero_()
        self.lstm.bias_hh_l0.requires_grad_(False)
        self.out = nn.Linear(hidden, 10)

    def forward(self, x):
        h, _ = self.lstm(x.reshape(-1, 28, 28))
        return self.out(h[:, -1])


class RowTransformer(nn.Module):
    """Each row a token: Dense 28→width plus a learned position embedding (N(0, 0.02²)),
    pre-norm Transformer encoder blocks (GELU, no dropout), the mean over tokens,
    LayerNorm, Dense width→10."""

    def __init__(self, width, heads, ff, blocks):
        super().__init__()
        self.embed = nn.Linear(28, width)
        self.position = nn.Parameter(torch.randn(28, width) * 0.02)
        self.blocks = nn.ModuleList([nn.TransformerEncoderLayer(width, heads, ff, dropout=0.0, activation="gelu",
                                                                batch_first=True, norm_first=True)
                                     for _ in range(blocks)])
        self.norm = nn.LayerNorm(width)
        self.out = nn.Linear(width, 10)

    def forward(self, x):
        h = self.embed(x.reshape(-1, 28, 28)) + self.position
        for block in self.blocks:
            h = block(h)
        return self.out(self.norm(h.mean(dim=1)))


def pith_order(net):
    """The trainable parameters in the order (and shapes) Pith's checkpoint keeps them."""
    if isinstance(net, RowLSTM):
        return [net.lstm.weight_ih_l0, net.lstm.weight_hh_l0, net.lstm.bias_ih_l0, net.out.weight, net.out.bias]
    if isinstance(net, RowTransformer):
        blocks = [p for b in net.blocks for p in (b.norm1.weight, b.norm1.bias, b.self_attn.in_proj_weight, b.self_attn.in_proj_bias,
                                                     b.self_attn.out_proj.weight, b.self_attn.out_proj.bias, b.norm2.weight, b.norm2.bias,
                                                     b.linear1.weight, b.linear1.bias, b.linear2.weight, b.linear2.bias)]
        return [net.embed.weight, net.embed.bias, net.position] + blocks + [net.norm.weight, net.norm.bias, net.out.weight, net.out.bias]
    return list(net.parameters())


SEQUENCE_MODELS = ("rnn-teacher", "rnn-student", "attn-teacher", "attn-student")


def model(name):
    if name == "rnn-teacher":
        return RowLSTM(128)
    if name == "rnn-student":
        return RowLSTM(32)
    if name == "attn-teacher":
        return RowTransformer(64, 4, 128, 2)
    if name == "attn-student":
        return RowTransformer(24, 2, 48, 1)
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
    print(f"torch {name} {sum(p.numel() for p in net.parameters() if p.requires_grad)} parameters", file=sys.stderr, flush=True)
    opt = torch.optim.Adam([p for p in net.parameters() if p.requires_grad], lr=1e-3)
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
    if len(sys.argv) > 6 and sys.argv[6] != "-":
        np.savez(sys.argv[6], **{f"p{i}": p.detach().numpy() for i, p in enumerate(p for p in net.parameters() if p.requires_grad)})
    if len(sys.argv) > 7:
        torch.onnx.export(net, (xt[:1],), sys.argv[7], input_names=["input"], output_names=["logits"], opset_version=17,
                          dynamic_axes={"input": {0: "N"}, "logits": {0: "N"}}, dynamo=False)
    print(json.dumps({"tool": "pytorch", "version": torch.__version__, "model": name, "epochs": epochs,
                      "threads": threads, "samples_per_second": statistics.median(rates),
                      "test_errors": len(xt) - correct, "test_accuracy": correct / len(xt)}))


if __name__ == "__main__":
    main()
