#!/usr/bin/python3
"""ONNX fixtures for the ONNX reader's tests, written with Debian's python3-torch, python3-torchvision and
python3-onnx (run with /usr/bin/python3).

  onnx_fixtures.py torchvision OUT NAME...   torchvision architectures, random weights
  onnx_fixtures.py trained OUT               a small CNN trained here for a few hundred steps

Each model NAME gets OUT/NAME/model.onnx and OUT/NAME/expected.json: the input image and, for several
layers, PyTorch's activations, computed in double precision from the same float32 weights. The layers are
exposed by forward hooks as extra graph outputs named "probe:<module path>", so the ONNX graph names those
tensors exactly and the Java test asks the reader for them by name. Batch-norm statistics are set to
non-trivial values first (identity statistics would hide a wrong eps or mean).
"""
import json
import os
import sys

import numpy as np
import torch
import torchvision

torch.set_num_threads(1)

# name: (input size, opset, keep batch norm as its own node (else torch folds it into the conv), probes)
MODELS = {
    "resnet18": (64, 9, True, ["layer1", "layer3.0.conv1", "avgpool"]),
    "vgg11_bn": (224, 11, True, ["features.3", "features.14", "classifier.1"]),
    "mobilenet_v2": (64, 13, False, ["features.1", "features.5.conv.1", "features.18"]),
    "mobilenet_v3_small": (64, 14, True, ["features.1", "features.4.block.2", "classifier.1"]),
    "efficientnet_b0": (64, 12, False, ["features.1", "features.3.0.block.2", "avgpool"]),
    "densenet121": (64, 10, True, ["features.denseblock1", "features.transition2", "features.norm5"]),
    "googlenet": (64, 15, False, ["maxpool1", "inception3a", "inception4c", "avgpool"]),
    "inception_v3": (75, 16, False, ["Conv2d_2b_3x3", "Mixed_5b", "Mixed_6e", "avgpool"]),
    "squeezenet1_1": (64, 12, False, ["features.2", "features.5", "classifier.1"]),
    "shufflenet_v2_x1_0": (64, 11, False, ["stage2.0", "stage3.1", "conv5"]),
    "convnext_tiny": (64, 17, False, ["features.0", "features.1.0.block.3", "features.5", "avgpool"]),
}


def build(name):
    kwargs = {"weights": None}
    if name in ("googlenet", "inception_v3"):
        kwargs.update(aux_logits=False, init_weights=True)
    model = getattr(torchvision.models, name)(**kwargs)
    gen = torch.Generator().manual_seed(12)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.modules.batchnorm._BatchNorm):
                m.running_mean.copy_(torch.randn(m.running_mean.shape, generator=gen) * 0.2)
                m.running_var.copy_(torch.rand(m.running_var.shape, generator=gen) * 1.5 + 0.5)
                m.weight.copy_(torch.rand(m.weight.shape, generator=gen) + 0.5)
                m.bias.copy_(torch.randn(m.bias.shape, generator=gen) * 0.1)
            if isinstance(m, torch.nn.LayerNorm):
                m.weight.copy_(torch.rand(m.weight.shape, generator=gen) + 0.5)
                m.bias.copy_(torch.randn(m.bias.shape, generator=gen) * 0.1)
        # ConvNeXt's layer scale starts at 1e-6, which would make every block an identity.
        for n, p in model.named_parameters():
            if n.endswith("layer_scale"):
                p.copy_(torch.rand(p.shape, generator=gen) * 0.5 + 0.5)
    return model.eval()


class Probed(torch.nn.Module):
    """The model, returning its output and the outputs of the probed modules."""

    def __init__(self, model, probes):
        super().__init__()
        self.model = model
        self.probes = probes
        self.seen = {}
        for p in probes:
            model.get_submodule(p).register_forward_hook(lambda m, i, o, p=p: self.seen.__setitem__(p, o))

    def forward(self, x):
        self.seen.clear()
        y = self.model(x)
        return (y,) + tuple(self.seen[p] for p in self.probes)


def export(name, model, size, opset, keep_bn, probes, out, seed=3):
    d = os.path.join(out, name)
    os.makedirs(d, exist_ok=True)
    wrapped = Probed(model, probes).eval()
    x = torch.randn(1, 3, size, size, generator=torch.Generator().manual_seed(seed))
    mode = torch.onnx.TrainingMode.PRESERVE if keep_bn else torch.onnx.TrainingMode.EVAL
    names = ["output"] + ["probe:" + p for p in probes]
    torch.onnx.export(wrapped, x, os.path.join(d, "model.onnx"), opset_version=opset, training=mode,
                      input_names=["image"], output_names=names, do_constant_folding=True)
    with torch.no_grad():
        ref = wrapped.double()(x.double())
    layers = {}
    for n, t in zip(names, ref):
        a = t.numpy()
        np.save(os.path.join(d, n.replace(":", "_").replace("/", "_") + ".npy"), a.astype(np.float64))
        layers[n] = n.replace(":", "_").replace("/", "_") + ".npy"
    np.save(os.path.join(d, "input.npy"), x.double().numpy())
    with open(os.path.join(d, "expected.json"), "w") as f:
        json.dump({"model": "model.onnx", "input": "input.npy", "size": size, "opset": opset, "layers": layers}, f, indent=1)


def trained(out):
    """A small CNN trained for a few hundred steps to tell stripes from checkers: weights no longer random."""
    gen = torch.Generator().manual_seed(5)
    torch.manual_seed(5)
    model = torch.nn.Sequential(
        torch.nn.Conv2d(3, 8, 3, padding=1), torch.nn.BatchNorm2d(8), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(8, 16, 3, padding=1), torch.nn.BatchNorm2d(16), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Flatten(), torch.nn.Linear(16 * 8 * 8, 32), torch.nn.ReLU(), torch.nn.Dropout(0.2), torch.nn.Linear(32, 2))
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    yy, xx = torch.meshgrid(torch.arange(32), torch.arange(32), indexing="ij")
    for step in range(300):
        labels = torch.randint(0, 2, (32,), generator=gen)
        period = torch.randint(2, 6, (32, 1, 1), generator=gen)
        stripes = ((xx[None] // period) % 2).float()
        checks = (((xx[None] // period) + (yy[None] // period)) % 2).float()
        img = torch.where(labels[:, None, None] == 0, stripes, checks)[:, None].repeat(1, 3, 1, 1)
        img = img + 0.3 * torch.randn(img.shape, generator=gen)
        loss = torch.nn.functional.cross_entropy(model(img), labels)
        opt.zero_grad()
        loss.backward()
        opt.step()
    model.eval()
    export("trained_cnn", model, 32, 13, True, ["2", "6", "10"], out)
    print("trained_cnn: final training loss %.3f" % loss.item())


def main():
    mode, out = sys.argv[1], sys.argv[2]
    if mode == "trained":
        trained(out)
        return
    for name in sys.argv[3:]:
        size, opset, keep_bn, probes = MODELS[name]
        export(name, build(name), size, opset, keep_bn, probes, out)
        print(name, "written")


if __name__ == "__main__":
    main()
