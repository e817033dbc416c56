"""The ONNX import fixtures (tools/onnx-fixtures): for each small model, NAME-torchscript.onnx
and NAME-dynamo.onnx (both exporters, opset 17 and 18; the LSTM's TorchScript only), NAME.safetensors (its state dict,
safetensors.torch.save_file), and NAME.expected.txt: the input shape, then per fixed
input its values and PyTorch's float outputs, one line each."""
import os, sys

import torch
import torch.nn as nn
from safetensors.torch import save_file

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "Tests", "PithONNXTests", "Fixtures")


class Flat(nn.Module):
    """x.view(x.size(0), -1): the Shape/Gather/Unsqueeze/Concat/Reshape chain."""

    def forward(self, x):
        return x.view(x.size(0), -1)


class RowLSTM(nn.Module):
    """An LSTM over the 8 rows of an 8x8 image, its last hidden state, then Dense (the shape
    of rnn-teacher)."""

    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(8, 6, batch_first=True)
        self.out = nn.Linear(6, 10)

    def forward(self, x):
        h, _ = self.lstm(x.reshape(-1, 8, 8))
        return self.out(h[:, -1])


def models():
    torch.manual_seed(5)
    mlp = nn.Sequential(nn.Flatten(), nn.Linear(64, 24), nn.ReLU(), nn.Dropout(0.1), nn.Linear(24, 16), nn.Tanh(), nn.Linear(16, 10))
    cnn = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2),
                        nn.Conv2d(4, 6, 3, stride=1), nn.GELU(), nn.AvgPool2d(2), Flat(), nn.Linear(6, 10), nn.Sigmoid())
    bn = cnn[1]
    with torch.no_grad():  # batch norm statistics that are not the identity
        bn.running_mean.uniform_(-0.5, 0.5)
        bn.running_var.uniform_(0.5, 2.0)
        bn.weight.uniform_(0.5, 1.5)
        bn.bias.uniform_(-0.2, 0.2)
    lstm = RowLSTM()
    return {"mlp": mlp.eval(), "cnn": cnn.eval(), "lstm": lstm.eval()}


def main():
    os.makedirs(OUT, exist_ok=True)
    g = torch.Generator().manual_seed(7)
    for name, model in models().items():
        x = torch.rand(3, 1, 8, 8, generator=g)
        with torch.no_grad():
            y = model(x)
        # The dynamo exporter writes an LSTM as a loop of its own ops: TorchScript's only.
        exporters = [("torchscript", False, 17)] + ([] if name == "lstm" else [("dynamo", True, 18)])
        for exporter, dynamo, opset in exporters:
            path = os.path.join(OUT, f"{name}-{exporter}.onnx")
            if dynamo:
                torch.onnx.export(model, (x,), path, input_names=["input"], output_names=["output"], opset_version=opset,
                                  dynamic_shapes=({0: torch.export.Dim("batch")},), dynamo=True, external_data=False)
            else:
                torch.onnx.export(model, (x,), path, input_names=["input"], output_names=["output"], opset_version=opset,
                                  dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}}, dynamo=False)
            print(f"{path}: {os.path.getsize(path)} bytes", file=sys.stderr)
        # The state dict as a state dict holds it (batch norm statistics included, for the
        # CNN; the importer's description for it has no batch norm, so only the MLP's is used).
        if name == "mlp":
            save_file({k: v.contiguous() for k, v in model.state_dict().items()}, os.path.join(OUT, f"{name}.safetensors"))
        with open(os.path.join(OUT, f"{name}.expected.txt"), "w") as f:
            f.write(" ".join(str(d) for d in x.shape[1:]) + "\n")
            for i in range(len(x)):
                f.write(" ".join(repr(float(v)) for v in x[i].flatten()) + "\n")
                f.write(" ".join(repr(float(v)) for v in y[i].flatten()) + "\n")


if __name__ == "__main__":
    main()
