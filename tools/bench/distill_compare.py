#!/usr/bin/env python3
"""Distillation, Pith beside PyTorch, in one run (the distillation issue's table).

For mlp-student and mlp-tiny (teacher mlp-teacher) and cnn-student (teacher cnn-teacher):
each student is trained from hard labels and distilled from its teacher, in Pith
(`pith train`, `pith distill`) and in PyTorch (tools/bench/torch_distill.py) with the same
loss, seed, initialisation (Pith's, replayed), batch order (Pith's), epochs, schedule and
teacher (Pith's checkpoint, loaded into PyTorch). Teachers are trained once with Pith
(--teacher-epochs, cosine schedule, --teacher-shift pixels of jitter, --teacher-rotate and
--teacher-scale random turns and zooms, the models' dropout) and kept under --runs-dir.
Prints test errors out of 10,000 and the share of the student-teacher gap that distillation
closed: (scratch - distilled) / (scratch - teacher).
Run through tools/bench-distill (it sets up the PyTorch virtual environment).
"""
import argparse, concurrent.futures, json, os, re, subprocess, sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PITH = os.path.join(ROOT, ".build", "release", "pith")
PAIRS = [("mlp-student", "mlp-teacher"), ("mlp-tiny", "mlp-teacher"), ("cnn-student", "cnn-teacher")]
# The sequence teachers' pairs (--pairs sequence): within a family and across families.
SEQUENCE_PAIRS = [("rnn-student", "rnn-teacher"), ("attn-student", "attn-teacher"), ("cnn-student", "attn-teacher"),
                  ("mlp-tiny", "attn-teacher")]


def errors(output):
    found = re.findall(r"\((\d+) errors of 10000\)", output)
    assert found, output[-2000:]
    return int(found[-1])


def cached(run, args, log):
    """A finished run's output from its log (kept under --runs-dir), when the log is of
    exactly `args` and holds a result; the run itself otherwise."""
    if os.path.exists(log):
        text = open(log).read()
        if text.startswith(" ".join(args) + "\n") and (re.search(r"\(\d+ errors of 10000\)", text) or '"test_errors"' in text):
            return text
    return run(args, log)


def pith(args, log):
    out = subprocess.run([PITH] + args, capture_output=True, text=True)
    with open(log, "w") as f:
        f.write(" ".join(args) + "\n" + out.stdout + out.stderr)
    if out.returncode != 0:
        raise SystemExit(f"pith {' '.join(args)} failed:\n{out.stderr}")
    return out.stdout


def torch_run(args, log):
    """tools/bench/torch_distill.py ARGS; its JSON line is logged (and so kept) like a Pith run's output."""
    out = subprocess.run(args, capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed:\n{out.stderr[-2000:]}")
    with open(log, "w") as f:
        f.write(" ".join(args) + "\n" + out.stdout)
    return out.stdout


def torch_errors(output):
    return json.loads(output.strip().splitlines()[-1])["test_errors"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pairs", default="feed-forward",
                    help="feed-forward (the MLP and CNN pairs), sequence (the LSTM and Transformer teachers' pairs), or student:teacher,...")
    ap.add_argument("--students", help="only these students of the pairs (default: all)")
    ap.add_argument("--seeds", default="1")
    ap.add_argument("--torch-seeds", help="the seeds also run in PyTorch (default: all of --seeds)")
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--temperature", default="20", help="T, or per student: mlp-student=20,mlp-tiny=2,...")
    ap.add_argument("--alpha", default="0.9", help="alpha, or per student like --temperature")
    ap.add_argument("--teacher-epochs", default="mlp-teacher=30,cnn-teacher=12,rnn-teacher=20,attn-teacher=20")
    ap.add_argument("--teacher-shift", type=int, default=2)
    ap.add_argument("--teacher-rotate", default="0", help="degrees of random rotation while training the teachers, or per teacher: mlp-teacher=10 (others 0)")
    ap.add_argument("--teacher-scale", default="0", help="random zoom 1 ± this while training the teachers, or per teacher (as --teacher-rotate)")
    ap.add_argument("--student-shift", default="0", help="pixels of shift while distilling (teacher run on every shifted batch), or per student; "
                    "the scratch student stays unaugmented (the paper's unregularized baseline) and a scratch control with the same augmentation is added")
    ap.add_argument("--student-rotate", default="0", help="degrees of random rotation while distilling, or per student (as --student-shift)")
    ap.add_argument("--student-scale", default="0", help="random zoom 1 ± this while distilling, or per student (as --student-shift)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--jobs", type=int, default=1, help="runs at a time (each with --threads threads)")
    ap.add_argument("--runs-dir", default=os.path.join(ROOT, "runs", "distill"))
    ap.add_argument("--mnist-dir", default=os.path.join(ROOT, "../shared/data/mnist"))
    ap.add_argument("--torch-python", default=os.path.join(ROOT, ".venv", "bin", "python"))
    ap.add_argument("--pith", help="the pith executable to run (default: .build/release/pith)")
    args = ap.parse_args()
    global PAIRS, PITH
    PITH = args.pith or PITH
    PAIRS = {"feed-forward": PAIRS, "sequence": SEQUENCE_PAIRS}.get(args.pairs) or [tuple(p.split(":")) for p in args.pairs.split(",")]
    args.students = args.students or ",".join(s for s, _ in PAIRS)
    os.makedirs(args.runs_dir, exist_ok=True)
    common = ["--data", "mnist", "--mnist-dir", args.mnist_dir, "--threads", str(args.threads)]
    teacher_epochs = dict(kv.split("=") for kv in args.teacher_epochs.split(","))
    torch_seeds = (args.torch_seeds or args.seeds).split(",")

    def per_student(value, name, missing=None):
        """`value`, or its entry for `name` (a student or a teacher) when it reads name=value,...;
        a name it leaves out is an error unless `missing` stands in for it."""
        if "=" not in value:
            return value
        entries = dict(kv.split("=") for kv in value.split(","))
        return entries[name] if missing is None else entries.get(name, missing)

    def augmentation(shift, rotate, scale):
        """The options of a run with these augmentations, and the tag that names its files."""
        options = (["--shift", str(shift)] if shift else []) + (["--rotate", rotate] if float(rotate) else []) + (["--scale", scale] if float(scale) else [])
        return options, (f"-shift{shift}" if shift else "") + (f"-rot{rotate}" if float(rotate) else "") + (f"-scale{scale}" if float(scale) else "")
    teachers = {}
    for student, teacher in PAIRS:
        if student not in args.students.split(",") or teacher in teachers:
            continue
        warp, tag = augmentation(0, per_student(args.teacher_rotate, teacher, "0"), per_student(args.teacher_scale, teacher, "0"))
        ckpt = os.path.join(args.runs_dir, f"{teacher}-{teacher_epochs[teacher]}{tag}.ckpt")
        if not os.path.exists(ckpt):
            pith(["train", teacher, "-o", ckpt, "--epochs", teacher_epochs[teacher], "--schedule", "cosine",
                  "--shift", str(args.teacher_shift)] + warp + ["--seed", "1"] + common, ckpt + ".log")
        teachers[teacher] = (ckpt, errors(pith(["eval", ckpt, "--split", "test"] + common[:4], ckpt + ".eval.log")))
        print(json.dumps({"teacher": teacher, "checkpoint": ckpt, "test_errors": teachers[teacher][1]}), flush=True)
    # Every run of the table: (row, column, runner, arguments, log); rows in order.
    rows, runs = [], []
    for seed in args.seeds.split(","):
        for student, teacher in PAIRS:
            if student not in args.students.split(","):
                continue
            tckpt, terr = teachers[teacher]
            temperature, alpha = per_student(args.temperature, student), per_student(args.alpha, student)
            shift = int(per_student(args.student_shift, student))
            augment, tag = augmentation(shift, per_student(args.student_rotate, student), per_student(args.student_scale, student))
            recipe = ["--epochs", str(args.epochs), "--schedule", "cosine", "--seed", seed]
            base = os.path.join(args.runs_dir, f"{student}-seed{seed}")
            epochs = f"-e{args.epochs}" if args.epochs != 30 else ""
            row = {"student": student, "teacher": teacher, "seed": int(seed), "teacher_errors": terr, "temperature": temperature, "alpha": alpha,
                   "augmentation": " ".join(augment) or "-"}
            rows.append(row)
            runs.append((row, "pith_scratch", pith, ["train", student, "-o", f"{base}-scratch{epochs}.ckpt"] + recipe + common, f"{base}-scratch{epochs}.log"))
            distilled = f"{base}-distilled-T{temperature}-a{alpha}-{os.path.basename(tckpt)[:-5]}{tag}{epochs}"
            runs.append((row, "pith_distilled", pith, ["distill", "--teacher", tckpt, "--student", student, "-o", distilled + ".ckpt",
                                                       "--temperature", temperature, "--alpha", alpha]
                         + (augment or ["--cache-logits"]) + recipe + common, distilled + ".log"))
            if augment:
                runs.append((row, "pith_scratch_augmented", pith, ["train", student, "-o", f"{base}-scratch{tag}{epochs}.ckpt"] + augment + recipe + common,
                             f"{base}-scratch{tag}{epochs}.log"))
            if seed in torch_seeds:
                torch = [args.torch_python, os.path.join(ROOT, "tools/bench/torch_distill.py"), "--student", student, "--epochs", str(args.epochs),
                         "--schedule", "cosine", "--seed", seed, "--threads", str(args.threads), "--mnist-dir", args.mnist_dir]
                runs.append((row, "torch_scratch", torch_run, torch, f"{base}-torch-scratch{epochs}.log"))
                runs.append((row, "torch_distilled", torch_run, torch + ["--teacher", tckpt, "--temperature", temperature, "--alpha", alpha]
                             + augment, f"{distilled}-torch.log"))

    def execute(run):
        row, column, runner, run_args, log = run
        out = cached(runner, run_args, log)
        row[column] = errors(out) if runner is pith else torch_errors(out)
        print(json.dumps({"seed": row["seed"], "student": row["student"], column: row[column]}), flush=True)
    # Longest kinds first, so that parallel jobs end together.
    order = ["pith_distilled", "torch_distilled", "pith_scratch_augmented", "pith_scratch", "torch_scratch"]
    runs.sort(key=lambda run: order.index(run[1]))
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        list(pool.map(execute, runs))  # re-raises a failed run's error
    print()
    print(f"{args.epochs} epochs (cosine), seeds {args.seeds}; PyTorch: seeds {','.join(torch_seeds)}")
    print("| student | seed | teacher | T | α | augmentation | teacher errors | Pith scratch | Pith distilled | gap closed | PyTorch scratch | PyTorch distilled | gap closed | Pith scratch, same augmentation |")
    print("| --- | ---: | --- | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    closed = lambda s, d, t: f"{100 * (s - d) / (s - t):.1f}%" if s != t and s != "-" and d != "-" else "-"
    for r in sorted(rows, key=lambda r: r["seed"]):
        print(f"| {r['student']} | {r['seed']} | {r['teacher']} | {r['temperature']} | {r['alpha']} | {r['augmentation']} | {r['teacher_errors']} | {r['pith_scratch']} | {r['pith_distilled']} | "
              f"{closed(r['pith_scratch'], r['pith_distilled'], r['teacher_errors'])} | {r.get('torch_scratch', '-')} | {r.get('torch_distilled', '-')} | "
              f"{closed(r.get('torch_scratch', '-'), r.get('torch_distilled', '-'), r['teacher_errors'])} | {r.get('pith_scratch_augmented', '-')} |")
    for student in dict.fromkeys(r["student"] for r in rows):
        mine = [r for r in rows if r["student"] == student]
        if len(mine) > 1:
            s, d, t = (sum(r[k] for r in mine) / len(mine) for k in ("pith_scratch", "pith_distilled", "teacher_errors"))
            print(f"{student}, Pith, mean of {len(mine)} seeds: scratch {s:.2f}, distilled {d:.2f}, teacher {t:.0f}: {100 * (s - d) / (s - t):.1f}% of the gap closed")


if __name__ == "__main__":
    main()
