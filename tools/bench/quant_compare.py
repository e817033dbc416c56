#!/usr/bin/env python3
"""Quantization, Pith beside PyTorch + ONNX Runtime, in one run (the quantization issue's table).

For each reference workload: Pith trains it (or takes runs/NAME.ckpt) and `pith quantize`
makes int8 models with min/max and entropy calibration, and — quantization-aware — fine-tunes
the checkpoint with `pith train --from CKPT --qat` (--qat-epochs at --qat-lr), beside a float
fine-tune with the same epochs and rate as its control; PyTorch trains the same
architecture with the same recipe (tools/bench/torch_train.py) and ONNX Runtime's static
quantizer (QDQ, per-channel int8 weights, uint8 activations) quantizes it with MinMax and
Entropy calibration on the same first N training images. Test errors out of 10,000 of
every float and int8 model; each toolchain's int8 model runs in its own runtime.
Run through tools/bench-quant (it sets up both virtual environments).
"""
import argparse, json, os, subprocess, sys, tempfile

import numpy as np
from onnxruntime.quantization import CalibrationMethod, QuantFormat, QuantType, quantize_static

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from runtime_compare import PITH, Reader, errors_ort, errors_pith, mnist, onnx_model, ort_session, pith_tensors  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MODELS = ["mlp-teacher", "mlp-student", "mlp-tiny", "cnn-teacher", "cnn-student"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", default=",".join(MODELS))
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--calibration", type=int, default=1000)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--qat-epochs", type=int, default=2, help="quantization-aware fine-tuning epochs (0: none)")
    ap.add_argument("--qat-lr", default="1e-4")
    ap.add_argument("--runs-dir", default=os.path.join(ROOT, "runs"),
                    help="Pith checkpoints NAME.ckpt (trained where missing); PyTorch's weights are kept there as torch-NAME.npz")
    ap.add_argument("--mnist-dir", default=os.path.join(ROOT, "../shared/data/mnist"))
    ap.add_argument("--torch-python", default=os.path.join(ROOT, ".venv", "bin", "python"))
    args = ap.parse_args()
    x_train, _ = mnist("train", args.mnist_dir)
    x_test, y_test = mnist("t10k", args.mnist_dir)
    xs = lambda x: (x.astype(np.float32) / 255.0)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.models.split(","):
            ckpt = os.path.join(args.runs_dir, name + ".ckpt")
            if not os.path.exists(ckpt):
                os.makedirs(args.runs_dir, exist_ok=True)
                subprocess.check_call([PITH, "train", name, "--data", "mnist", "--mnist-dir", args.mnist_dir, "-o", ckpt,
                                       "--epochs", str(args.epochs), "--seed", str(args.seed), "--threads", str(args.threads)],
                                      stdout=subprocess.DEVNULL)
            row = {"model": name}
            # Pith: its float model (packed float32, run here) and its int8 models.
            f32 = os.path.join(tmp, name + "-f32.pith")
            subprocess.check_call([PITH, "pack", ckpt, "-o", f32, "--weights", "float32", "--raw", "--no-eval"], stdout=subprocess.DEVNULL)
            info, arrays = pith_tensors(f32)
            shape = [1, 28, 28] if name.startswith("cnn") else [784]
            x_shape = lambda x: xs(x).reshape([len(x)] + shape)
            row["pith_float"] = errors_pith(f32, x_test, y_test, tmp)
            for method in ["minmax", "entropy"]:
                q = os.path.join(tmp, f"{name}-{method}.pith")
                subprocess.check_call([PITH, "quantize", ckpt, "-o", q, "--method", method, "--calibration", str(args.calibration),
                                       "--mnist-dir", args.mnist_dir], stdout=subprocess.DEVNULL)
                row[f"pith_{method}"] = errors_pith(q, x_test, y_test, tmp)
            if args.qat_epochs > 0:
                # Fine-tuning, quantization-aware and (the control) in float, same epochs and rate.
                for kind, extra in [("qat", ["--qat"]), ("ft", [])]:
                    tuned = os.path.join(args.runs_dir, f"{name}.{kind}.ckpt")
                    subprocess.check_call([PITH, "train", "--from", ckpt, *extra, "--epochs", str(args.qat_epochs), "--lr", args.qat_lr,
                                           "--seed", str(args.seed), "--data", "mnist", "--mnist-dir", args.mnist_dir, "-o", tuned,
                                           "--threads", str(args.threads)], stdout=subprocess.DEVNULL)
                    out = os.path.join(tmp, f"{name}-{kind}.pith")
                    if kind == "qat":
                        subprocess.check_call([PITH, "quantize", tuned, "-o", out, "--mnist-dir", args.mnist_dir], stdout=subprocess.DEVNULL)
                    else:
                        subprocess.check_call([PITH, "pack", tuned, "-o", out, "--weights", "float32", "--raw", "--no-eval"], stdout=subprocess.DEVNULL)
                    row[f"pith_{kind}"] = errors_pith(out, x_test, y_test, tmp)
            # PyTorch: the same architecture and recipe; its weights in Pith's graph.
            npz = os.path.join(args.runs_dir, f"torch-{name}.npz")
            if not os.path.exists(npz):
                out = subprocess.check_output([args.torch_python, os.path.join(ROOT, "tools/bench/torch_train.py"), name, str(args.epochs),
                                               str(args.threads), args.mnist_dir, str(args.seed), npz])
                row["torch_reported"] = json.loads(out.decode().strip().splitlines()[-1])["test_errors"]
            params = np.load(npz)
            names = []
            for n in info["graph"]["nodes"]:
                if n["op"] in ("Dense", "Conv2D"):
                    names += n["inputs"][1:3]
            torch_arrays = {nm: params[f"p{i}"].astype(np.float32) for i, nm in enumerate(names)}
            assert all(torch_arrays[nm].shape == arrays[nm].shape for nm in names), "PyTorch and Pith shapes differ"
            f32_onnx = os.path.join(tmp, name + "-torch.onnx")
            import onnx
            onnx.save(onnx_model(info, torch_arrays, shape), f32_onnx)
            row["torch_float"] = errors_ort(ort_session(f32_onnx, args.threads), x_shape(x_test), y_test)
            for method, calib in [("minmax", CalibrationMethod.MinMax), ("entropy", CalibrationMethod.Entropy)]:
                q = os.path.join(tmp, f"{name}-torch-{method}.onnx")
                quantize_static(f32_onnx, q, Reader(x_shape(x_train[:args.calibration])), quant_format=QuantFormat.QDQ,
                                per_channel=True, activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8, calibrate_method=calib)
                row[f"ort_{method}"] = errors_ort(ort_session(q, args.threads), x_shape(x_test), y_test)
            rows.append(row)
            print(json.dumps(row), flush=True)
    print()
    qat = args.qat_epochs > 0
    print("| model | Pith float | Pith int8 min/max | Pith int8 entropy | PyTorch float | ORT int8 MinMax | ORT int8 Entropy | Pith PTQ drop (best) | ORT drop (best) |"
          + (f" Pith int8 QAT (+{args.qat_epochs} ep) | Pith float (+{args.qat_epochs} ep, control) | QAT drop | QAT vs control |" if qat else ""))
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |" + (" ---: | ---: | ---: | ---: |" if qat else ""))
    for r in rows:
        pd = min(r["pith_minmax"], r["pith_entropy"]) - r["pith_float"]
        od = min(r["ort_minmax"], r["ort_entropy"]) - r["torch_float"]
        line = (f"| {r['model']} | {r['pith_float']} | {r['pith_minmax']} | {r['pith_entropy']} | {r['torch_float']} | {r['ort_minmax']} | "
                f"{r['ort_entropy']} | {pd:+d} | {od:+d} |")
        if qat:
            line += f" {r['pith_qat']} | {r['pith_ft']} | {r['pith_qat'] - r['pith_float']:+d} | {r['pith_qat'] - r['pith_ft']:+d} |"
        print(line)


if __name__ == "__main__":
    main()
