#!/usr/bin/env python3
"""How closely distilled students follow their teacher: for each student checkpoint, test
errors, test images on which student and teacher disagree (argmax), images both get wrong,
those only the student gets wrong and those only the teacher gets wrong (their difference is
the student's distance to its teacher in test errors), and the disagreements on the training
and validation splits (the first 55,000 and the last 5,000 MNIST training images, unshifted).
Checkpoints are Pith's, loaded into PyTorch.

Usage: .venv/bin/python tools/bench/distill_agreement.py TEACHER.ckpt STUDENT.ckpt [...]
       [--mnist-dir ../shared/data/mnist]
"""
import argparse, os, sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_distill import load_checkpoint  # noqa: E402
from torch_train import find, read_idx  # noqa: E402


def predictions(model, x):
    return torch.cat([model(x[i:i + 2000]).argmax(1) for i in range(0, len(x), 2000)])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("teacher")
    ap.add_argument("students", nargs="+")
    ap.add_argument("--mnist-dir", default="../shared/data/mnist")
    args = ap.parse_args()
    load = lambda f: torch.from_numpy(read_idx(find(args.mnist_dir, f)).astype(np.float32) / 255.0).unsqueeze(1)
    xs, xt = load("train-images-idx3-ubyte"), load("t10k-images-idx3-ubyte")
    yt = torch.from_numpy(read_idx(find(args.mnist_dir, "t10k-labels-idx1-ubyte")).astype(np.int64))
    with torch.no_grad():
        teacher = load_checkpoint(args.teacher).eval()
        t_test, t_train = predictions(teacher, xt), predictions(teacher, xs)
        print(f"teacher {os.path.basename(args.teacher)}: {int((t_test != yt).sum())} test errors")
        print("student | test errors | disagree (test) | both wrong | only student wrong | only teacher wrong | disagree (train, of 55000) | "
              "disagree (validation, of 5000)")
        for path in args.students:
            student = load_checkpoint(path).eval()
            s_test, s_train = predictions(student, xt), predictions(student, xs)
            s_wrong, t_wrong = s_test != yt, t_test != yt
            print(f"{os.path.basename(path)} | {int(s_wrong.sum())} | {int((s_test != t_test).sum())} | "
                  f"{int((s_wrong & t_wrong).sum())} | {int((s_wrong & ~t_wrong).sum())} | {int((~s_wrong & t_wrong).sum())} | "
                  f"{int((s_train[:55000] != t_train[:55000]).sum())} | "
                  f"{int((s_train[55000:] != t_train[55000:]).sum())}")


if __name__ == "__main__":
    main()
