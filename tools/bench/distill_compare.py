#!/usr/bin/env python3
"""Distillation, Pith beside PyTorch, in one run (the distillation issue's table).

For mlp-student and mlp-tiny (teacher mlp-teacher) and cnn-student (teacher cnn-teacher):
each student is trained from hard labels and distilled from its teacher, in Pith
(`pith train`, `pith distill`) and in PyTorch (tools/bench/torch_distill.py) with the same
loss, seed, initialisation (Pith's, replayed), batch order (Pith's), epochs, schedule and
teacher (Pith's checkpoint, loaded into PyTorch). Teachers are trained once with Pith
(--teacher-epochs, cosine schedule, --teacher-shift pixels of jitter, the models' dropout)
and kept under --runs-dir. Prints test errors out of 10,000 and the share of the
student-teacher gap that distillation closed: (scratch - distilled) / (scratch - teacher).
Run through tools/bench-distill (it sets up the PyTorch virtual environment).
"""
import argparse, json, os, re, subprocess, sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PITH = os.path.join(ROOT, ".build", "release", "pith")
PAIRS = [("mlp-student", "mlp-teacher"), ("mlp-tiny", "mlp-teacher"), ("cnn-student", "cnn-teacher")]


def errors(output):
    found = re.findall(r"\((\d+) errors of 10000\)", output)
    assert found, output[-2000:]
    return int(found[-1])


def cached(run, args, log):
    """A finished run's output from its log (kept under --runs-dir); the run itself otherwise."""
    if os.path.exists(log):
        text = open(log).read()
        if re.search(r"\(\d+ errors of 10000\)", text) and text.startswith(" ".join(args) + "\n"):
            return text
    return run(args, log)


def pith(args, log):
    out = subprocess.run([PITH] + args, capture_output=True, text=True)
    with open(log, "w") as f:
        f.write(" ".join(args) + "\n" + out.stdout + out.stderr)
    if out.returncode != 0:
        raise SystemExit(f"pith {' '.join(args)} failed:\n{out.stderr}")
    return out.stdout


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--students", default=",".join(s for s, _ in PAIRS))
    ap.add_argument("--seeds", default="1")
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--temperature", default="20", help="T, or per student: mlp-student=20,mlp-tiny=2,...")
    ap.add_argument("--alpha", default="0.9", help="alpha, or per student like --temperature")
    ap.add_argument("--teacher-epochs", default="mlp-teacher=30,cnn-teacher=12")
    ap.add_argument("--teacher-shift", type=int, default=2)
    ap.add_argument("--student-shift", default="0", help="pixels of shift while distilling (teacher run on every shifted batch), or per student; "
                    "the scratch student stays unshifted (the paper's unregularized baseline) and a shifted scratch control is added")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--runs-dir", default=os.path.join(ROOT, "runs", "distill"))
    ap.add_argument("--mnist-dir", default=os.path.join(ROOT, "../shared/data/mnist"))
    ap.add_argument("--torch-python", default=os.path.join(ROOT, ".venv", "bin", "python"))
    args = ap.parse_args()
    os.makedirs(args.runs_dir, exist_ok=True)
    common = ["--data", "mnist", "--mnist-dir", args.mnist_dir, "--threads", str(args.threads)]
    teacher_epochs = dict(kv.split("=") for kv in args.teacher_epochs.split(","))

    def per_student(value, student):
        if "=" not in value:
            return value
        return dict(kv.split("=") for kv in value.split(","))[student]
    teachers = {}
    for student, teacher in PAIRS:
        if student not in args.students.split(",") or teacher in teachers:
            continue
        ckpt = os.path.join(args.runs_dir, f"{teacher}-{teacher_epochs[teacher]}.ckpt")
        if not os.path.exists(ckpt):
            pith(["train", teacher, "-o", ckpt, "--epochs", teacher_epochs[teacher], "--schedule", "cosine",
                  "--shift", str(args.teacher_shift), "--seed", "1"] + common, ckpt + ".log")
        teachers[teacher] = (ckpt, errors(pith(["eval", ckpt, "--split", "test"] + common[:4], ckpt + ".eval.log")))
        print(json.dumps({"teacher": teacher, "checkpoint": ckpt, "test_errors": teachers[teacher][1]}), flush=True)
    rows = []
    for seed in args.seeds.split(","):
        for student, teacher in PAIRS:
            if student not in args.students.split(","):
                continue
            tckpt, terr = teachers[teacher]
            temperature, alpha = per_student(args.temperature, student), per_student(args.alpha, student)
            shift = int(per_student(args.student_shift, student))
            recipe = ["--epochs", str(args.epochs), "--schedule", "cosine", "--seed", seed]
            base = os.path.join(args.runs_dir, f"{student}-seed{seed}")
            row = {"student": student, "teacher": teacher, "seed": int(seed), "teacher_errors": terr, "temperature": temperature, "alpha": alpha, "shift": shift}
            row["pith_scratch"] = errors(cached(pith, ["train", student, "-o", base + "-scratch.ckpt"] + recipe + common, base + "-scratch.log"))
            distilled = f"{base}-distilled-T{temperature}-a{alpha}-{os.path.basename(tckpt)[:-5]}" + (f"-shift{shift}" if shift else "")
            row["pith_distilled"] = errors(cached(pith, ["distill", "--teacher", tckpt, "--student", student, "-o", distilled + ".ckpt",
                                                        "--temperature", temperature, "--alpha", alpha]
                                                 + (["--shift", str(shift)] if shift else ["--cache-logits"]) + recipe + common, distilled + ".log"))
            if shift:
                row["pith_scratch_shifted"] = errors(cached(pith, ["train", student, "-o", f"{base}-scratch-shift{shift}.ckpt", "--shift", str(shift)]
                                                            + recipe + common, f"{base}-scratch-shift{shift}.log"))
            torch = [args.torch_python, os.path.join(ROOT, "tools/bench/torch_distill.py"), "--student", student, "--epochs", str(args.epochs),
                     "--schedule", "cosine", "--seed", seed, "--threads", str(args.threads), "--mnist-dir", args.mnist_dir]
            row["torch_scratch"] = json.loads(subprocess.check_output(torch, stderr=subprocess.DEVNULL).decode().splitlines()[-1])["test_errors"]
            row["torch_distilled"] = json.loads(subprocess.check_output(
                torch + ["--teacher", tckpt, "--temperature", temperature, "--alpha", alpha, "--shift", str(shift)],
                stderr=subprocess.DEVNULL).decode().splitlines()[-1])["test_errors"]
            rows.append(row)
            print(json.dumps(row), flush=True)
    print()
    print(f"{args.epochs} epochs (cosine), seeds {args.seeds}")
    print("| student | seed | teacher | T | α | shift | teacher errors | Pith scratch | Pith distilled | gap closed | PyTorch scratch | PyTorch distilled | gap closed | Pith scratch, shifted |")
    print("| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    closed = lambda s, d, t: f"{100 * (s - d) / (s - t):.0f}%" if s != t else "-"
    for r in rows:
        print(f"| {r['student']} | {r['seed']} | {r['teacher']} | {r['temperature']} | {r['alpha']} | {r['shift']} | {r['teacher_errors']} | {r['pith_scratch']} | {r['pith_distilled']} | "
              f"{closed(r['pith_scratch'], r['pith_distilled'], r['teacher_errors'])} | {r['torch_scratch']} | {r['torch_distilled']} | "
              f"{closed(r['torch_scratch'], r['torch_distilled'], r['teacher_errors'])} | {r.get('pith_scratch_shifted', '-')} |")


if __name__ == "__main__":
    main()
