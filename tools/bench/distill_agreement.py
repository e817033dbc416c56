#!/usr/bin/env python3
"""How closely distilled students follow their teacher: for each student checkpoint, test
errors, test images on which student and teacher disagree (argmax), images both get wrong,
those only the student gets wrong and those only the teacher gets wrong (their difference is
the student's distance to its teacher in test errors), and the disagreements on the training
and validation splits (the first 55,000 and the last 5,000 MNIST training images, unshifted).
On the test images also: the root-mean-square difference of student and teacher logits, each
centred on its mean over the ten classes; the teacher's margin (largest logit minus the
second) at most, where only the student is wrong and where only the teacher is, beside its
median over all test images; the teacher's probability of the true class where only the
student is wrong; and, given several students, the test errors of their averaged softmax.
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


def logits(model, x):
    return torch.cat([model(x[i:i + 2000]) for i in range(0, len(x), 2000)])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("teacher")
    ap.add_argument("students", nargs="+")
    ap.add_argument("--mnist-dir", default="../shared/data/mnist")
    args = ap.parse_args()
    load = lambda f: torch.from_numpy(read_idx(find(args.mnist_dir, f)).astype(np.float32) / 255.0).unsqueeze(1)
    xs, xt = load("train-images-idx3-ubyte"), load("t10k-images-idx3-ubyte")
    yt = torch.from_numpy(read_idx(find(args.mnist_dir, "t10k-labels-idx1-ubyte")).astype(np.int64))
    centred = lambda z: z - z.mean(1, keepdim=True)
    most = lambda v: f"{float(v.max()):.2f}" if len(v) else "-"
    with torch.no_grad():
        teacher = load_checkpoint(args.teacher).eval()
        tz = logits(teacher, xt)
        t_test, t_train = tz.argmax(1), logits(teacher, xs).argmax(1)
        top2 = tz.topk(2, 1).values
        margin, t_true = top2[:, 0] - top2[:, 1], torch.softmax(tz, 1)[torch.arange(len(yt)), yt]
        print(f"teacher {os.path.basename(args.teacher)}: {int((t_test != yt).sum())} test errors, "
              f"median margin {float(margin.median()):.2f}")
        print("student | test errors | disagree (test) | both wrong | only student wrong | only teacher wrong | disagree (train, of 55000) | "
              "disagree (validation, of 5000) | logit rms (test) | teacher margin, only student wrong (max) | "
              "only teacher wrong (max) | teacher p(true), only student wrong (min-max)")
        averaged = 0
        for path in args.students:
            student = load_checkpoint(path).eval()
            sz = logits(student, xt)
            averaged = averaged + torch.softmax(sz, 1) / len(args.students)
            s_test, s_train = sz.argmax(1), logits(student, xs).argmax(1)
            s_wrong, t_wrong = s_test != yt, t_test != yt
            only_s, only_t = s_wrong & ~t_wrong, ~s_wrong & t_wrong
            p_true = f"{float(t_true[only_s].min()):.2f}-{float(t_true[only_s].max()):.2f}" if only_s.any() else "-"
            print(f"{os.path.basename(path)} | {int(s_wrong.sum())} | {int((s_test != t_test).sum())} | "
                  f"{int((s_wrong & t_wrong).sum())} | {int(only_s.sum())} | {int(only_t.sum())} | "
                  f"{int((s_train[:55000] != t_train[:55000]).sum())} | "
                  f"{int((s_train[55000:] != t_train[55000:]).sum())} | "
                  f"{float((centred(sz) - centred(tz)).pow(2).mean().sqrt()):.3f} | {most(margin[only_s])} | {most(margin[only_t])} | {p_true}")
        if len(args.students) > 1:
            print(f"the {len(args.students)} students averaged (mean softmax): {int((averaged.argmax(1) != yt).sum())} test errors")


if __name__ == "__main__":
    main()
