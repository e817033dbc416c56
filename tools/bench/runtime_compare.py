"""Pith's runtime beside ONNX Runtime on the same models (tools/bench-runtime).

For each reference workload with a trained checkpoint runs/NAME.ckpt:
  - Pith: `pith quantize` (int8, min/max calibration on the first N training images) and
    `pith pack --weights float32` (fp32); timed with `pith-run --bench`.
  - ONNX Runtime: the same float weights (read from the fp32 .pith file) as an ONNX graph
    (Gemm/Conv/Relu/MaxPool/Flatten), quantized by ONNX Runtime's own static quantizer
    (QDQ, per-channel weights, uint8 activations, MinMax, the same N images); CPU
    execution provider, intra-op threads 1 (and 2 for batch 256).
Sequence models (an `lstm` or a `transformer-block` in the model text; Pith has no float
file for them): the ONNX graph is built from the checkpoint itself — for an LSTM,
Transpose to (T, N, F), ONNX LSTM with its gates reordered i, o, f, c and the recurrent
bias 0, then Gemm; for a Transformer, the graph PyTorch exports for
nn.TransformerEncoderLayer(norm_first=True) (attention_onnx) — and Pith int8 is set beside
ORT fp32, ORT static QDQ (which leaves the LSTM, and LayerNorm and softmax, in float) and
ORT quantize_dynamic (int8 weights: DynamicQuantizeLSTM, MatMulInteger), each in turn.
Latency: batch 1, one sample at a time cycling over test images; median and p99 of
--runs calls. Throughput: batch 256, median of 10 calls. Pith and ORT alternate, round by
round (--rounds); the medians of the rounds are reported, and each round's own ratio. Test errors of both int8
models on the 10,000 MNIST test images come with them.
"""
import argparse, gzip, json, os, struct, subprocess, sys, tempfile, time

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper
from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_dynamic, quantize_static

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pith_random import read_checkpoint  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PITH = os.environ.get("PITH_BIN", os.path.join(ROOT, ".build/release/pith"))
PITH_RUN = os.environ.get("PITH_RUN_BIN", os.path.join(ROOT, ".build/release/pith-run"))


def mnist(kind, mnist_dir):
    images = gzip.open(os.path.join(mnist_dir, f"{kind}-images-idx3-ubyte.gz")).read()
    labels = gzip.open(os.path.join(mnist_dir, f"{kind}-labels-idx1-ubyte.gz")).read()
    n = struct.unpack(">I", images[4:8])[0]
    x = np.frombuffer(images[16:], dtype=np.uint8).reshape(n, 784)
    y = np.frombuffer(labels[8:], dtype=np.uint8)
    return x, y


def pith_tensors(path):
    """The float32 constants of a raw-packed .pith file, by name, and its graph."""
    info = json.loads(subprocess.check_output([PITH, "inspect", "--json", path]))
    data = open(path, "rb").read()
    arrays = {}
    for t in info["tensors"]:
        if "section" not in t:
            continue
        sec = info["sections"][t["section"]]
        assert sec["encoding"] == "raw"
        start = sec["offset"] + t["offset"]
        arrays[t["name"]] = np.frombuffer(data[start:start + t["bytes"]], dtype="<f4").reshape(t["shape"]).copy()
    return info, arrays


def onnx_model(info, arrays, input_shape):
    """The .pith graph as ONNX (NCHW, batch dimension symbolic)."""
    nodes, inits = [], []
    for name, a in arrays.items():
        inits.append(numpy_helper.from_array(a, name))
    for n in info["graph"]["nodes"]:
        op, ins, outs, attrs = n["op"], n["inputs"], n["outputs"], n["attributes"]
        if op == "Dense":
            nodes.append(helper.make_node("Gemm", ins, outs, transB=1))
        elif op == "Conv2D":
            w = arrays[ins[1]]
            k, p, s = w.shape[2], attrs["padding"], attrs["stride"]
            nodes.append(helper.make_node("Conv", ins, outs, kernel_shape=[k, k], pads=[p, p, p, p], strides=[s, s]))
        elif op == "ReLU":
            nodes.append(helper.make_node("Relu", ins, outs))
        elif op == "MaxPool":
            k, s = attrs["kernel"], attrs["stride"]
            nodes.append(helper.make_node("MaxPool", ins, outs, kernel_shape=[k, k], strides=[s, s]))
        elif op == "Flatten":
            nodes.append(helper.make_node("Flatten", ins, outs, axis=1))
        else:
            raise SystemExit(f"no ONNX mapping for {op}")
    x = helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N"] + input_shape)
    y = helper.make_tensor_value_info(info["graph"]["outputs"][0], TensorProto.FLOAT, ["N", None])
    graph = helper.make_graph(nodes, "pith", [x], [y], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def lstm_onnx(ckpt):
    """A checkpoint of `input T F`, `lstm H [sequence]` layers and a final `dense`, as ONNX
    (input (N, T, F), batch dimension symbolic), and the input shape; None for other models."""
    header, params = read_checkpoint(ckpt)
    layers = [l.split("#")[0].split() for l in header["config"]["modelText"].splitlines()]
    layers = [l for l in layers if l and l[0] != "name"]
    if not any(l[0] == "lstm" for l in layers):
        return None
    assert layers[0][0] == "input" and layers[-1][0] == "dense", layers
    shape = [int(v) for v in layers[0][1:]]
    nodes, inits, p = [helper.make_node("Transpose", ["input"], ["x0"], perm=[1, 0, 2])], [], 0
    current = "x0"  # (T, N, F)
    for i, l in enumerate(layers[1:-1]):
        assert l[0] == "lstm", f"no ONNX mapping for {l[0]}"
        w, u, b = params[p], params[p + 1], params[p + 2]
        p += 3
        h = w.shape[0] // 4
        order = lambda a: np.concatenate([a[0:h], a[3 * h:4 * h], a[h:2 * h], a[2 * h:3 * h]])  # ifgo → iofc
        inits += [numpy_helper.from_array(order(w)[None].astype(np.float32), f"W{i}"),
                  numpy_helper.from_array(order(u)[None].astype(np.float32), f"R{i}"),
                  numpy_helper.from_array(np.concatenate([order(b), np.zeros(4 * h)])[None].astype(np.float32), f"B{i}")]
        nodes.append(helper.make_node("LSTM", [current, f"W{i}", f"R{i}", f"B{i}"], [f"y{i}", f"h{i}"], hidden_size=h))
        if "sequence" in l:
            nodes.append(helper.make_node("Squeeze", [f"y{i}", "axis1"], [f"s{i}"]))  # (T, 1, N, H) → (T, N, H)
            current = f"s{i}"
        else:
            nodes.append(helper.make_node("Squeeze", [f"h{i}", "axis0"], [f"last{i}"]))  # (1, N, H) → (N, H)
            current = f"last{i}"
    inits += [numpy_helper.from_array(np.array([0], dtype=np.int64), "axis0"),
              numpy_helper.from_array(np.array([1], dtype=np.int64), "axis1"),
              numpy_helper.from_array(params[p].astype(np.float32), "Wd"), numpy_helper.from_array(params[p + 1].astype(np.float32), "bd")]
    nodes.append(helper.make_node("Gemm", [current, "Wd", "bd"], ["logits"], transB=1))
    x = helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N"] + shape)
    y = helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", params[p].shape[0]])
    model = helper.make_model(helper.make_graph(nodes, "pith", [x], [y], inits), opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model, shape


def attention_onnx(ckpt):
    """A checkpoint of `input T F`, `dense D`, `position`, `transformer-block heads H ff F`
    blocks, `mean-tokens`, `layernorm` and a final `dense`, as the ONNX graph PyTorch's
    nn.TransformerEncoderLayer(norm_first=True, activation="gelu") exports (MatMul and Add,
    Split, Reshape and Transpose into heads, MatMul/Softmax/MatMul, LayerNormalization, GELU
    by Erf, ReduceMean), and the input shape; None for other models."""
    header, params = read_checkpoint(ckpt)
    layers = [l.split("#")[0].split() for l in header["config"]["modelText"].splitlines()]
    layers = [l for l in layers if l and l[0] != "name"]
    if not any(l[0] == "transformer-block" for l in layers):
        return None
    assert layers[0][0] == "input", layers
    shape = [int(v) for v in layers[0][1:]]
    nodes, inits, p, n = [], [], 0, 0
    current = "input"

    def const(array, dtype=np.float32):
        nonlocal n
        n += 1
        inits.append(numpy_helper.from_array(np.asarray(array).astype(dtype), f"c{n}"))
        return f"c{n}"

    def node(op, inputs, **attrs):
        nonlocal n
        n += 1
        nodes.append(helper.make_node(op, inputs, [f"v{n}"], **attrs))
        return f"v{n}"

    def dense(x, w, b):
        return node("Add", [node("MatMul", [x, const(w.T)]), const(b)])

    def layer_norm(x, g, b):
        return node("LayerNormalization", [x, const(g), const(b)], axis=-1, epsilon=1e-5)

    for i, l in enumerate(layers[1:]):
        kind = l[0]
        if kind == "dense":
            w, b = params[p], params[p + 1]
            p += 2
            if i == len(layers) - 2:
                nodes.append(helper.make_node("Gemm", [current, const(w), const(b)], ["logits"], transB=1))
                current = "logits"
            else:
                current = dense(current, w, b)
        elif kind == "position":
            current = node("Add", [current, const(params[p])])
            p += 1
        elif kind == "transformer-block":
            heads = int(l[l.index("heads") + 1])
            g1, b1, wqkv, bqkv, wo, bo, g2, b2, w1, bf1, w2, bf2 = params[p:p + 12]
            p += 12
            d = g1.shape[0]
            dh = d // heads
            x = current
            h = layer_norm(x, g1, b1)
            qkv = dense(h, wqkv, bqkv)
            n += 1
            q, k, v = f"q{n}", f"k{n}", f"v{n}"
            nodes.append(helper.make_node("Split", [qkv, const([d, d, d], np.int64)], [q, k, v], axis=-1))
            split = const([0, 0, heads, dh], np.int64)
            qh = node("Transpose", [node("Reshape", [q, split])], perm=[0, 2, 1, 3])
            kh = node("Transpose", [node("Reshape", [k, split])], perm=[0, 2, 3, 1])
            vh = node("Transpose", [node("Reshape", [v, split])], perm=[0, 2, 1, 3])
            scores = node("Mul", [node("MatMul", [qh, kh]), const(1 / np.sqrt(dh))])
            ctx = node("MatMul", [node("Softmax", [scores], axis=-1), vh])
            merged = node("Reshape", [node("Transpose", [ctx], perm=[0, 2, 1, 3]), const([0, 0, d], np.int64)])
            a = node("Add", [x, dense(merged, wo, bo)])
            f = dense(layer_norm(a, g2, b2), w1, bf1)
            gelu = node("Mul", [node("Mul", [f, const(0.5)]), node("Add", [node("Erf", [node("Div", [f, const(np.sqrt(2))])]), const(1.0)])])
            current = node("Add", [a, dense(gelu, w2, bf2)])
        elif kind == "mean-tokens":
            current = node("ReduceMean", [current], axes=[1], keepdims=0)
        elif kind == "layernorm":
            current = layer_norm(current, params[p], params[p + 1])
            p += 2
        else:
            raise AssertionError(f"no ONNX mapping for {kind}")
    assert current == "logits", layers
    x = helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N"] + shape)
    y = helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", params[p - 2].shape[0]])
    model = helper.make_model(helper.make_graph(nodes, "pith", [x], [y], inits), opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model, shape


class Reader(CalibrationDataReader):
    def __init__(self, x):
        self.items = iter([{"input": x[i:i + 1]} for i in range(len(x))])

    def get_next(self):
        return next(self.items, None)


def ort_session(path, threads):
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])


def ort_bench(sess, x_test, runs, batch):
    n = min(256, len(x_test))
    samples = [x_test[i:i + 1] for i in range(n)]
    for i in range(runs // 10):
        sess.run(None, {"input": samples[i % n]})
    times = []
    for i in range(runs):
        t = time.perf_counter_ns()
        sess.run(None, {"input": samples[i % n]})
        times.append(time.perf_counter_ns() - t)
    times.sort()
    xb = np.concatenate([samples[i % n] for i in range(batch)])
    bt = []
    for r in range(12):
        t = time.perf_counter_ns()
        sess.run(None, {"input": xb})
        if r >= 2:
            bt.append(time.perf_counter_ns() - t)
    bt.sort()
    return times[len(times) // 2] / 1000, times[min(len(times) - 1, len(times) * 99 // 100)] / 1000, batch * 1e9 / bt[len(bt) // 2]


def pith_bench(path, idx, runs, batch, threads=1):
    out = subprocess.check_output([PITH_RUN, path, idx, "--bench", "--json", "--runs", str(runs), "--batch", str(batch), "--threads", str(threads)])
    r = json.loads(out)
    return r["latency_us"]["p50"], r["latency_us"]["p99"], r["images_per_second"]


def errors_ort(sess, x, y):
    logits = sess.run(None, {"input": x})[0]
    return int((logits.argmax(1) != y).sum())


def errors_pith(path, x_u8, y, tmp):
    idx = os.path.join(tmp, "test.idx")
    with open(idx, "wb") as f:
        f.write(struct.pack(">IIII", 0x803, len(x_u8), 28, 28))
        f.write(x_u8.tobytes())
    out = json.loads(subprocess.check_output([PITH_RUN, path, idx, "--json"]))
    pred = np.array([s["index"] for s in out])
    return int((pred != y).sum())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs-dir", default=os.path.join(ROOT, "runs"))
    ap.add_argument("--mnist-dir", default=os.path.join(ROOT, "../shared/data/mnist"))
    ap.add_argument("--models", default="mlp-teacher,mlp-student,mlp-tiny,cnn-teacher,cnn-student")
    ap.add_argument("--calibration", type=int, default=1000)
    ap.add_argument("--runs", type=int, default=2000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--no-accuracy", action="store_true")
    args = ap.parse_args()
    x_train, _ = mnist("train", args.mnist_dir)
    x_test, y_test = mnist("t10k", args.mnist_dir)
    tmp = tempfile.mkdtemp()
    idx = os.path.join(tmp, "bench.idx")
    with open(idx, "wb") as f:
        f.write(struct.pack(">IIII", 0x803, 256, 28, 28))
        f.write(x_test[:256].tobytes())
    print(f"onnxruntime {ort.__version__}; {os.cpu_count()} cores; OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE')}")
    rows = []
    for name in args.models.split(","):
        ckpt = os.path.join(args.runs_dir, name + ".ckpt")
        if not os.path.exists(ckpt):
            print(f"{name}: no {ckpt}; skipped")
            continue
        p_int8, p_f32 = os.path.join(tmp, name + "-int8.pith"), os.path.join(tmp, name + "-f32.pith")
        subprocess.check_output([PITH, "quantize", ckpt, "-o", p_int8, "--calibration", str(args.calibration)])
        f32_onnx, int8_onnx = os.path.join(tmp, name + ".onnx"), os.path.join(tmp, name + "-int8.onnx")
        sequence = lstm_onnx(ckpt) or attention_onnx(ckpt)
        if sequence:
            model, shape = sequence
            onnx.save(model, f32_onnx)
        else:
            subprocess.check_output([PITH, "pack", ckpt, "-o", p_f32, "--weights", "float32", "--raw", "--no-eval"])
            info, arrays = pith_tensors(p_f32)
            shape = [int(s) for s in next(m for k, m in info["metadata"].items() if k == "input.shape").split(",")]
            onnx.save(onnx_model(info, arrays, shape), f32_onnx)
        xs = lambda x: (x.astype(np.float32) / 255).reshape([len(x)] + shape)
        quantize_static(f32_onnx, int8_onnx, Reader(xs(x_train[:args.calibration])), quant_format=QuantFormat.QDQ,
                        per_channel=True, activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8)
        x_bench = xs(x_test[:256])
        if sequence:
            dynamic_onnx = os.path.join(tmp, name + "-dynamic.onnx")
            quantize_dynamic(f32_onnx, dynamic_onnx, weight_type=QuantType.QInt8)
            variants = [("int8 / ORT fp32", p_int8, f32_onnx), ("int8 / ORT static", p_int8, int8_onnx),
                        ("int8 / ORT dynamic", p_int8, dynamic_onnx)]
        else:
            variants = [("int8", p_int8, int8_onnx), ("fp32", p_f32, f32_onnx)]
        for kind, p_path, o_path in variants:
            s1, s2 = ort_session(o_path, 1), ort_session(o_path, 2)
            pr, pr2, orr, orr2 = [], [], [], []
            for _ in range(args.rounds):
                pr.append(pith_bench(p_path, idx, args.runs, args.batch))
                orr.append(ort_bench(s1, x_bench, args.runs, args.batch))
                pr2.append(pith_bench(p_path, idx, args.runs // 10, args.batch, threads=2))
                orr2.append(ort_bench(s2, x_bench, args.runs // 10, args.batch))
            med = lambda v, i: sorted(r[i] for r in v)[len(v) // 2]
            row = {"model": name, "kind": kind,
                   "pith_p50": med(pr, 0), "pith_p99": med(pr, 1), "pith_ips": med(pr, 2),
                   "ort_p50": med(orr, 0), "ort_p99": med(orr, 1), "ort_ips": med(orr, 2),
                   "pith_ips_2t": med(pr2, 2), "ort_ips_2t": med(orr2, 2),
                   # Each round's own ratios (the two sides ran back to back in it).
                   "p50_ratios": sorted(p[0] / o[0] for p, o in zip(pr, orr)),
                   "ips_ratios": sorted(p[2] / o[2] for p, o in zip(pr, orr))}
            if kind.startswith("int8") and not args.no_accuracy:
                row["pith_errors"] = errors_pith(p_path, x_test, y_test, tmp)
                row["ort_errors"] = errors_ort(ort_session(o_path, 2), xs(x_test), y_test)
                row["float_errors"] = errors_ort(ort_session(f32_onnx, 2), xs(x_test), y_test)
            rows.append(row)
            print(json.dumps(row), flush=True)
    print()
    print("| model | type | Pith p50 µs | ORT p50 µs | p50 ratio | per round | Pith p99 µs | ORT p99 µs | Pith img/s, 1 thread | ORT img/s, 1 thread | ratio | per round | Pith img/s, 2 threads | ORT img/s, 2 threads | ratio |")
    print("| --- | --- | ---: | ---: | ---: | :---: | ---: | ---: | ---: | ---: | ---: | :---: | ---: | ---: | ---: |")
    span = lambda v: f"{v[0]:.2f}–{v[-1]:.2f}"
    for r in rows:
        print(f"| {r['model']} | {r['kind']} | {r['pith_p50']:.1f} | {r['ort_p50']:.1f} | {r['pith_p50'] / r['ort_p50']:.2f}× | {span(r['p50_ratios'])} | {r['pith_p99']:.1f} | {r['ort_p99']:.1f} | "
              f"{r['pith_ips']:,.0f} | {r['ort_ips']:,.0f} | {r['pith_ips'] / r['ort_ips']:.2f}× | {span(r['ips_ratios'])} | {r['pith_ips_2t']:,.0f} | {r['ort_ips_2t']:,.0f} | {r['pith_ips_2t'] / r['ort_ips_2t']:.2f}× |")
    if not args.no_accuracy:
        print()
        print("| model | variant | float test errors | Pith int8 errors | ORT errors |")
        print("| --- | --- | ---: | ---: | ---: |")
        for r in rows:
            if "pith_errors" in r:
                print(f"| {r['model']} | {r['kind']} | {r['float_errors']} | {r['pith_errors']} | {r['ort_errors']} |")


if __name__ == "__main__":
    main()
