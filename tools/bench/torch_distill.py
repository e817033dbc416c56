#!/usr/bin/env python3
"""Trains a student in PyTorch exactly as `pith train` / `pith distill` do, from the same
start: Pith's initial weights for the seed, Pith's batch order for every epoch, the same
Adam, batch size and loss, and (distilling) the same teacher, loaded from a Pith checkpoint.
Prints one JSON line: test errors out of 10,000 and the final weights' checksum.
Sequence students (rnn-student, attn-student) start from PyTorch's own initialisation.

Loss: (1 - alpha) * CE(s, y) + alpha * T^2 * KL(softmax(t/T) || softmax(s/T)), mean over
the batch (alpha = 0: training from hard labels alone).
Usage: torch_distill.py --student NAME [--teacher CKPT ...] [--temperature T] [--alpha A]
       [--epochs N] [--seed S] [--lr R] [--schedule constant|cosine] [--batch-size B] [--threads N] [--mnist-dir D] [--save W.npz]
       [--shift P] [--rotate D] [--scale S] [--elastic ALPHA SIGMA] [--teacher-dropout]
"""
import argparse, json, os, sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pith_random import epoch_order, initial_weights, read_checkpoint  # noqa: E402
from torch_train import SEQUENCE_MODELS, find, model, pith_order, read_idx  # noqa: E402


def load_net(name, arrays):
    net = model(name)
    with torch.no_grad():
        for p, a in zip(pith_order(net), arrays):
            assert tuple(p.shape) == tuple(a.shape), f"{name}: {tuple(p.shape)} vs {a.shape}"
            p.copy_(torch.from_numpy(np.ascontiguousarray(a)))
    return net


def load_checkpoint(path):
    """The network a Pith checkpoint holds, its model named by the checkpoint's model text."""
    header, params = read_checkpoint(path)
    return load_net(header["config"]["modelText"].split("name ")[1].split("\n")[0], params)


def fan_in(shape):
    return int(np.prod(shape[1:]))


def shifted(x, s, rng):
    """Each image moved by its own (dy, dx), uniform in -s..s, zeros moved in (as Pith's --shift)."""
    n, _, h, w = x.shape
    padded = F.pad(x, (s, s, s, s))
    d = rng.integers(-s, s + 1, size=(n, 2))
    return torch.stack([padded[b, :, s - d[b, 0]:s - d[b, 0] + h, s - d[b, 1]:s - d[b, 1] + w] for b in range(n)])


def warped(x, rotate, scale, rng):
    """Each image rotated by its own angle, uniform in ±rotate degrees, and zoomed by a factor
    uniform in 1 ± scale, about its centre; bilinear, zeros outside (as Pith's --rotate, --scale)."""
    n = x.shape[0]
    a = np.deg2rad(rng.uniform(-rotate, rotate, size=n))
    k = 1.0 / rng.uniform(1 - scale, 1 + scale, size=n)
    theta = np.zeros((n, 2, 3), dtype=np.float32)
    theta[:, 0, 0] = k * np.cos(a); theta[:, 0, 1] = -k * np.sin(a)
    theta[:, 1, 0] = k * np.sin(a); theta[:, 1, 1] = k * np.cos(a)
    grid = F.affine_grid(torch.from_numpy(theta), list(x.shape), align_corners=False)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)


def elastic(x, alpha, sigma, rng):
    """PyTorch only (Pith has no such option): Simard et al. (2003) elastic distortion: per-pixel displacements uniform in ±1,
    smoothed by a Gaussian of width sigma, times alpha pixels; bilinear, zeros outside."""
    n, _, h, w = x.shape
    r = int(3 * sigma)
    g = np.exp(-np.arange(-r, r + 1) ** 2 / (2 * sigma * sigma)); g /= g.sum()
    k = torch.from_numpy(np.outer(g, g).astype(np.float32))[None, None]
    d = torch.from_numpy(rng.uniform(-1, 1, size=(2 * n, 1, h, w)).astype(np.float32))
    d = F.conv2d(d, k, padding=r).view(n, 2, h, w) * alpha
    ys, xs = torch.meshgrid(torch.arange(h, dtype=torch.float32), torch.arange(w, dtype=torch.float32), indexing="ij")
    gx = (2 * (xs + d[:, 0]) + 1) / w - 1
    gy = (2 * (ys + d[:, 1]) + 1) / h - 1
    return F.grid_sample(x, torch.stack([gx, gy], dim=-1), mode="bilinear", padding_mode="zeros", align_corners=False)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--student", required=True)
    ap.add_argument("--teacher", action="append", default=[], help="Pith checkpoint (repeat for an ensemble)")
    ap.add_argument("--temperature", type=float, default=20)
    ap.add_argument("--alpha", type=float, default=0.0)
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--schedule", choices=["constant", "cosine"], default="constant")
    ap.add_argument("--batch-size", type=int, default=128)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--mnist-dir", default="../shared/data/mnist")
    ap.add_argument("--shift", type=int, default=0, help="shift each training image by up to this many pixels (own RNG, seeded)")
    ap.add_argument("--rotate", type=float, default=0, help="rotate each training image by up to this many degrees (as Pith's --rotate)")
    ap.add_argument("--scale", type=float, default=0, help="zoom each training image by a factor in 1 ± this (as Pith's --scale)")
    ap.add_argument("--elastic", type=float, nargs=2, default=None, metavar=("ALPHA", "SIGMA"), help="elastic distortion (PyTorch only)")
    ap.add_argument("--teacher-dropout", action="store_true", help="teachers keep dropout on while giving soft targets (Monte Carlo dropout; PyTorch only)")
    ap.add_argument("--save")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    xs = torch.from_numpy(read_idx(find(args.mnist_dir, "train-images-idx3-ubyte")).astype(np.float32) / 255.0).unsqueeze(1)
    ys = torch.from_numpy(read_idx(find(args.mnist_dir, "train-labels-idx1-ubyte")).astype(np.int64))
    xt = torch.from_numpy(read_idx(find(args.mnist_dir, "t10k-images-idx3-ubyte")).astype(np.float32) / 255.0).unsqueeze(1)
    yt = torch.from_numpy(read_idx(find(args.mnist_dir, "t10k-labels-idx1-ubyte")).astype(np.int64))
    xs, ys = xs[:55000].contiguous(), ys[:55000].contiguous()

    if args.student in SEQUENCE_MODELS:
        # Sequence students start from PyTorch's own initialisation (seeded), not Pith's replayed.
        torch.manual_seed(args.seed)
        net = model(args.student)
    else:
        shapes = [tuple(p.shape) for p in model(args.student).parameters()][0::2]
        net = load_net(args.student, initial_weights([(s, fan_in(s)) for s in shapes], args.seed))
    teachers = []
    for path in args.teacher:
        t = load_checkpoint(path)
        t.train(args.teacher_dropout)  # dropout off (eval) unless --teacher-dropout
        teachers.append(t)
    opt = torch.optim.Adam([p for p in net.parameters() if p.requires_grad], lr=args.lr)
    shift_rng = np.random.default_rng(args.seed)
    T = args.temperature
    batches = (len(xs) + args.batch_size - 1) // args.batch_size
    total, step = args.epochs * batches, 0
    for epoch in range(args.epochs):
        net.train()
        order = torch.tensor(epoch_order(args.seed, epoch, len(xs)))
        for i in range(0, len(xs), args.batch_size):
            idx = order[i:i + args.batch_size]
            x, y = xs[idx], ys[idx]
            if args.shift > 0:
                x = shifted(x, args.shift, shift_rng)
            if args.rotate > 0 or args.scale > 0:
                x = warped(x, args.rotate, args.scale, shift_rng)
            if args.elastic:
                x = elastic(x, args.elastic[0], args.elastic[1], shift_rng)
            if args.schedule == "cosine":  # Pith's Schedule.rate: lr·(1 + cos(π·step/total))/2, step 0-based
                for group in opt.param_groups:
                    group["lr"] = float(np.float32(args.lr) * (1 + np.cos(np.float32(np.pi) * np.float32(step) / np.float32(total))) / 2)
            step += 1
            opt.zero_grad(set_to_none=True)
            logits = net(x)
            loss = F.cross_entropy(logits, y)
            if args.alpha > 0:
                with torch.no_grad():
                    soft = torch.stack([F.softmax(t(x) / T, dim=1) for t in teachers]).mean(0)
                kl = F.kl_div(F.log_softmax(logits / T, dim=1), soft, reduction="batchmean")
                loss = (1 - args.alpha) * loss + args.alpha * T * T * kl
            loss.backward()
            opt.step()
        print(f"torch {args.student} epoch {epoch + 1}/{args.epochs}", file=sys.stderr, flush=True)
    net.eval()
    with torch.no_grad():
        correct = sum(int((net(xt[i:i + 1000]).argmax(1) == yt[i:i + 1000]).sum()) for i in range(0, len(xt), 1000))
    if args.save:
        np.savez(args.save, **{f"p{i}": p.detach().numpy() for i, p in enumerate(net.parameters())})
    print(json.dumps({"tool": "pytorch", "version": torch.__version__, "student": args.student, "teachers": args.teacher,
                      "temperature": T, "alpha": args.alpha, "shift": args.shift, "epochs": args.epochs, "seed": args.seed,
                      "test_errors": len(xt) - correct}))


if __name__ == "__main__":
    main()
