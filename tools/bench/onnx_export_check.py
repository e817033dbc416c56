#!/usr/bin/env python3
"""`pith export` checked by ONNX Runtime (docs/onnx.md): each checkpoint is exported to ONNX
and run by ORT on the 10,000 MNIST test images; its probabilities (softmax of the logits)
are compared with pith-run's on the same model packed in float32 (`pith pack --weights
float32`), and the predicted classes counted alike. Each integer `.pith` file is exported
as QDQ ONNX, and ORT's classes are compared with pith-run's on the file itself.
  .venv/bin/python tools/bench/onnx_export_check.py runs/a.ckpt runs/b.ckpt runs/c-int8.pith
"""
import json, os, subprocess, sys, tempfile

import numpy as np
import onnxruntime as ort

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from runtime_compare import mnist  # noqa: E402

PITH = os.path.join(ROOT, ".build", "release", "pith")
PITH_RUN = os.path.join(ROOT, ".build", "release", "pith-run")


def main():
    x_test, y_test = mnist("t10k", os.path.join(ROOT, "../shared/data/mnist"))
    tmp = tempfile.mkdtemp()
    images = os.path.join(tmp, "images.idx")
    with open(images, "wb") as f:
        f.write(bytes([0, 0, 8, 3]) + len(x_test).to_bytes(4, "big") + (28).to_bytes(4, "big") + (28).to_bytes(4, "big") + x_test.tobytes())
    # pith-run --json prints probabilities to 6 decimals (±5·10⁻⁷): relative differences are
    # measured where p ≥ 0.05, where printing costs at most 10⁻⁵.
    print("| checkpoint | ORT errors | Pith errors | same class | largest absolute difference | largest relative difference, p ≥ 0.05 |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    ints = [a for a in sys.argv[1:] if a.endswith(".pith")]
    for ckpt in [a for a in sys.argv[1:] if not a.endswith(".pith")]:
        name = os.path.basename(ckpt)
        onnx_path, pith_path = os.path.join(tmp, name + ".onnx"), os.path.join(tmp, name + ".pith")
        subprocess.check_output([PITH, "export", ckpt, "-o", onnx_path])
        subprocess.check_output([PITH, "pack", ckpt, "-o", pith_path, "--weights", "float32", "--no-eval"])
        s = ort.InferenceSession(onnx_path, providers=["CPUExecutionProvider"])
        shape = [d if isinstance(d, int) else -1 for d in s.get_inputs()[0].shape]
        x = (x_test.astype(np.float32) / 255).reshape([len(x_test)] + shape[1:])
        logits = np.concatenate([s.run(None, {"input": x[i:i + 500]})[0] for i in range(0, len(x), 500)])
        p_ort = np.exp(logits - logits.max(1, keepdims=True))
        p_ort /= p_ort.sum(1, keepdims=True)
        out = json.loads(subprocess.check_output([PITH_RUN, pith_path, images, "--json"]))
        p_pith = np.array([o["probabilities"] for o in out], dtype=np.float64)
        big = p_ort >= 0.05
        rel = float((np.abs(p_ort - p_pith)[big] / p_ort[big]).max())
        absolute = float(np.abs(p_ort - p_pith).max())
        same = int((p_ort.argmax(1) == p_pith.argmax(1)).sum())
        print(f"| {name} | {int((p_ort.argmax(1) != y_test).sum())} | {int((p_pith.argmax(1) != y_test).sum())} | {same} of {len(x)} | {absolute:.1e} | {rel:.1e} |", flush=True)

    if ints:
        print()
        print("| integer model | ORT errors (QDQ export) | PithRuntime errors | same class |")
        print("| --- | ---: | ---: | ---: |")
    for path in ints:
        onnx_path = os.path.join(tmp, os.path.basename(path) + ".onnx")
        subprocess.check_output([PITH, "export", path, "-o", onnx_path])
        s = ort.InferenceSession(onnx_path, providers=["CPUExecutionProvider"])
        shape = [d if isinstance(d, int) else -1 for d in s.get_inputs()[0].shape]
        x = (x_test.astype(np.float32) / 255).reshape([len(x_test)] + shape[1:])
        ort_class = np.concatenate([s.run(None, {"input": x[i:i + 500]})[0].argmax(1) for i in range(0, len(x), 500)])
        pith_class = np.array([o["index"] for o in json.loads(subprocess.check_output([PITH_RUN, path, images, "--json"]))])
        print(f"| {os.path.basename(path)} | {int((ort_class != y_test).sum())} | {int((pith_class != y_test).sum())} | {int((ort_class == pith_class).sum())} of {len(x)} |", flush=True)


if __name__ == "__main__":
    main()
