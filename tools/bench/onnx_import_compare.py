#!/usr/bin/env python3
"""ONNX import, Pith beside ONNX Runtime, on the reference workloads (docs/onnx.md).

For each model: trained in PyTorch (tools/bench/torch_train.py: Pith's recipe, --epochs),
exported by PyTorch's TorchScript exporter; then the test errors on the 10,000 MNIST test
images of
  - ONNX Runtime on the float export, and `pith import` + `pith eval` (Pith's float path);
  - ONNX Runtime's own int8 model (quantize_static: QDQ, per-channel int8 weights, uint8
    activations, MinMax on the first --calibration training images) and `pith quantize`
    of the imported checkpoint (min/max on the same images) run by `pith-run`.
Run with the virtual environment tools/onnx-fixtures makes, plus onnxruntime:
  .venv/bin/python tools/bench/onnx_import_compare.py --models mlp-tiny,cnn-student --epochs 2
"""
import argparse, json, os, subprocess, sys, tempfile

import numpy as np
import onnxruntime as ort
from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from runtime_compare import mnist  # noqa: E402

PITH = os.path.join(ROOT, ".build", "release", "pith")
PITH_RUN = os.path.join(ROOT, ".build", "release", "pith-run")


class Reader(CalibrationDataReader):
    def __init__(self, x):
        self.items = iter([{"input": x[i:i + 1]} for i in range(len(x))])

    def get_next(self):
        return next(self.items, None)


def ort_errors(path, x, y):
    s = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    pred = np.concatenate([s.run(None, {"input": x[i:i + 500]})[0].argmax(1) for i in range(0, len(x), 500)])
    return int((pred != y).sum())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", default="mlp-tiny,mlp-student,mlp-teacher,cnn-student,cnn-teacher")
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--calibration", type=int, default=1000)
    ap.add_argument("--mnist-dir", default=os.path.join(ROOT, "../shared/data/mnist"))
    args = ap.parse_args()
    x_train, _ = mnist("train", args.mnist_dir)
    x_test, y_test = mnist("t10k", args.mnist_dir)
    xs = lambda x: (x.astype(np.float32) / 255).reshape(len(x), 1, 28, 28)
    tmp = tempfile.mkdtemp()
    images, labels = os.path.join(tmp, "images.idx"), os.path.join(tmp, "labels.idx")
    with open(images, "wb") as f:
        f.write(bytes([0, 0, 8, 3]) + len(x_test).to_bytes(4, "big") + (28).to_bytes(4, "big") + (28).to_bytes(4, "big") + x_test.tobytes())
    with open(labels, "wb") as f:
        f.write(bytes([0, 0, 8, 1]) + len(y_test).to_bytes(4, "big") + y_test.astype(np.uint8).tobytes())
    rows = []
    for name in args.models.split(","):
        onnx_path, ckpt, pith_int8 = (os.path.join(tmp, f"{name}{ext}") for ext in [".onnx", ".ckpt", "-int8.pith"])
        trained = json.loads(subprocess.check_output([sys.executable, os.path.join(ROOT, "tools/bench/torch_train.py"), name, str(args.epochs),
                                                      str(args.threads), args.mnist_dir, "1", "-", onnx_path]).decode().strip().splitlines()[-1])
        ort_float = ort_errors(onnx_path, xs(x_test), y_test)
        subprocess.check_output([PITH, "import", onnx_path, "-o", ckpt, "--data", "mnist"])
        ev = json.loads(subprocess.check_output([PITH, "eval", ckpt, "--json", "--mnist-dir", args.mnist_dir]).decode())
        int8_onnx = os.path.join(tmp, f"{name}-int8.onnx")
        quantize_static(onnx_path, int8_onnx, Reader(xs(x_train[:args.calibration])), quant_format=QuantFormat.QDQ,
                        per_channel=True, activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8)
        ort_int8 = ort_errors(int8_onnx, xs(x_test), y_test)
        subprocess.check_output([PITH, "quantize", ckpt, "-o", pith_int8, "--calibration", str(args.calibration), "--mnist-dir", args.mnist_dir])
        out = subprocess.check_output([PITH_RUN, pith_int8, images, "--labels", labels]).decode().strip().splitlines()[-1]
        pith_int8_errors = int(out.split("(")[1].split()[0])
        row = {"model": name, "epochs": args.epochs, "torch_errors": trained["test_errors"], "ort_float": ort_float,
               "pith_float": ev["errors"], "ort_int8": ort_int8, "pith_int8": pith_int8_errors}
        rows.append(row)
        print(json.dumps(row), flush=True)
    print()
    print("| model | PyTorch | ORT float | Pith float (imported) | ORT int8 (static QDQ) | Pith int8 |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for r in rows:
        print(f"| {r['model']} | {r['torch_errors']} | {r['ort_float']} | {r['pith_float']} | {r['ort_int8']} | {r['pith_int8']} |")


if __name__ == "__main__":
    main()
