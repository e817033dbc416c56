#!/usr/bin/env python3
"""Trains each reference workload in Pith and in PyTorch with the same recipe, one after
the other in one run, and prints samples/s and test errors for both and their ratios.

Recipe (the training comparison): MNIST, batch 128, Adam lr 1e-3 constant, epochs mlp-teacher 30,
mlp-student 20, mlp-tiny 20, cnn-teacher 12, cnn-student 20, rnn-teacher 20, attn-teacher 20. Samples/s is the median over
epochs of each epoch's training-loop throughput. Called by tools/bench-train.
"""
import argparse, datetime, json, os, platform, re, statistics, subprocess, sys

RECIPE = {"mlp-teacher": 30, "mlp-student": 20, "mlp-tiny": 20, "cnn-teacher": 12, "cnn-student": 20,
          "rnn-teacher": 20, "attn-teacher": 20}
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PITH = os.path.join(ROOT, ".build/release/pith")


def environment(blas):
    env = dict(os.environ)
    if blas == "unset":
        env.pop("OPENBLAS_CORETYPE", None)
        env.pop("OPENBLAS_L2_SIZE", None)
    elif blas == "pinned":
        env["OPENBLAS_CORETYPE"] = "Haswell"
        env["OPENBLAS_L2_SIZE"] = "262144"
    return env


def run_pith(model, epochs, threads, seed, mnist, out, env):
    ckpt = os.path.join(out, f"{model}.ckpt")
    cmd = [PITH, "train", model, "--data", "mnist", "--mnist-dir", mnist,
           "--epochs", str(epochs), "--batch-size", "128", "--optimizer", "adam", "--lr", "0.001",
           "--threads", str(threads), "--seed", str(seed), "-o", ckpt]
    text = subprocess.run(cmd, cwd=ROOT, env=env, check=True, capture_output=True, text=True).stdout
    rates = [float(m) for m in re.findall(r"^epoch \d+/\d+ .* ([0-9.]+) samples/s", text, re.M)]
    errors = int(re.search(r"test accuracy [0-9.]+% \((\d+) errors of 10000\)", text).group(1))
    return {"samples_per_second": statistics.median(rates), "test_errors": errors}


def run_torch(model, epochs, threads, seed, mnist, env, python):
    cmd = [python, os.path.join(ROOT, "tools/bench/torch_train.py"), model, str(epochs), str(threads), mnist, str(seed)]
    line = subprocess.run(cmd, cwd=ROOT, env=env, check=True, capture_output=True, text=True).stdout.strip().splitlines()[-1]
    return json.loads(line)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", default=",".join(RECIPE))
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--epochs", type=int, default=0, help="override every recipe's epochs (0 = the recipe)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--seeds", type=int, default=1, help="train with seeds seed..seed+N-1; errors are their mean")
    ap.add_argument("--rounds", type=int, default=1,
                    help="alternate Pith and PyTorch this many times per model and report the median samples/s "
                         "(the machine is shared: interleaving cancels slow drifts); errors are from the first round")
    ap.add_argument("--blas", default="inherited", choices=["inherited", "unset", "pinned"])
    ap.add_argument("--mnist-dir", default=os.path.join(ROOT, "..", "shared", "data", "mnist"))
    ap.add_argument("--out", default=os.path.join(ROOT, "bench-out"))
    ap.add_argument("--python", default=os.path.join(ROOT, ".venv", "bin", "python"))
    ap.add_argument("--pith", help="the pith executable to measure (default: .build/release/pith)")
    args = ap.parse_args()
    global PITH
    PITH = args.pith or PITH
    os.makedirs(args.out, exist_ok=True)
    env = environment(args.blas)
    rows = []
    for model in args.models.split(","):
        epochs = args.epochs or RECIPE[model]
        ps, ts, pe, te = [], [], [], []
        for seed in range(args.seed, args.seed + args.seeds):
            for r in range(args.rounds):
                ps.append(run_pith(model, epochs, args.threads, seed, args.mnist_dir, args.out, env))
                ts.append(run_torch(model, epochs, args.threads, seed, args.mnist_dir, env, args.python))
                if r == 0:
                    pe.append(ps[-1]["test_errors"])
                    te.append(ts[-1]["test_errors"])
        p = {"samples_per_second": statistics.median(x["samples_per_second"] for x in ps),
             "test_errors": statistics.mean(pe), "errors_per_seed": pe, "runs": [x["samples_per_second"] for x in ps]}
        t = {"samples_per_second": statistics.median(x["samples_per_second"] for x in ts), "version": ts[0]["version"],
             "test_errors": statistics.mean(te), "errors_per_seed": te, "runs": [x["samples_per_second"] for x in ts]}
        rows.append({"model": model, "epochs": epochs, "pith": p, "pytorch": t})
        print(f"{model}: pith {p['samples_per_second']:.0f}/s {pe} errors; "
              f"pytorch {t['samples_per_second']:.0f}/s {te} errors", file=sys.stderr, flush=True)
    blas_note = {k: env.get(k, "(unset)") for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}
    # The kernels Pith's OpenBLAS ran (pith restarts with OPENBLAS_CORETYPE when OpenBLAS fell back to its generic ones).
    verbose = dict(env, OPENBLAS_VERBOSE="2")
    probe = subprocess.run([PITH, "--version"], env=verbose, capture_output=True, text=True)
    core = re.findall(r"Core: ([A-Za-z0-9]+)", probe.stdout + probe.stderr)
    header = (f"{datetime.date.today()} · {platform.machine()}, {os.cpu_count()} cores · threads {args.threads} · "
              f"seeds {args.seed}..{args.seed + args.seeds - 1} · rounds {args.rounds} · PyTorch {rows[0]['pytorch']['version'] if rows else '?'} · "
              f"OPENBLAS_CORETYPE={blas_note['OPENBLAS_CORETYPE']} OPENBLAS_L2_SIZE={blas_note['OPENBLAS_L2_SIZE']} · "
              f"Pith's OpenBLAS kernels: {core[-1] if core else '?'}")
    lines = [header, "",
             "| model | epochs | Pith samples/s | PyTorch samples/s | ratio | Pith test errors (mean) | PyTorch test errors (mean) | accuracy gap (points) |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for r in rows:
        p, t = r["pith"], r["pytorch"]
        gap = (t["test_errors"] - p["test_errors"]) / 100.0
        lines.append(f"| {r['model']} | {r['epochs']} | {p['samples_per_second']:,.0f} | {t['samples_per_second']:,.0f} | "
                     f"{p['samples_per_second'] / t['samples_per_second']:.2f}× | {p['test_errors']:g} | {t['test_errors']:g} | {gap:+.2f} |")
    table = "\n".join(lines)
    print(table)
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    with open(os.path.join(args.out, f"train-{args.blas}-{stamp}.md"), "w") as f:
        f.write(table + "\n")
    with open(os.path.join(args.out, f"train-{args.blas}-{stamp}.json"), "w") as f:
        json.dump({"header": header, "rows": rows}, f, indent=1)


if __name__ == "__main__":
    main()
