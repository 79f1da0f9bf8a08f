#!/usr/bin/python3
"""ONNX fixtures for the ONNX reader's tests, written with Debian's python3-torch, python3-torchvision and
python3-onnx (run with /usr/bin/python3).

  onnx_fixtures.py torchvision OUT NAME...   torchvision architectures, random weights
  onnx_fixtures.py trained OUT               a small CNN trained here for a few hundred steps
  onnx_fixtures.py zoo-googlenet OUT         googlenet-12.onnx's graph (ONNX model zoo), random weights

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
    # Operations no torchvision classifier exports, in one small network, under an old and a newer opset.
    "activations_op9": (32, 9, True, ["act.0", "act.3", "act.6", "act.9", "up", "split", "pool", "softmax"]),
    "activations_op13": (32, 13, True, ["act.0", "act.3", "act.6", "act.9", "up", "split", "pool", "softmax"]),
}


class Split(torch.nn.Module):
    def forward(self, x):
        a, b = torch.split(x, [3, 5], dim=1)
        return torch.cat([b * 0.5, a - 1.0], dim=1)


class Activations(torch.nn.Module):
    """Each activation after its own convolution, a transposed convolution, a channel split, padded average and
    max pooling, a softmax inside the network and a classifier."""

    def __init__(self):
        super().__init__()
        acts = [torch.nn.LeakyReLU(0.1), torch.nn.ELU(0.7), torch.nn.SELU(), torch.nn.PReLU(8), torch.nn.Tanh(),
                torch.nn.Softplus(), torch.nn.Softsign(), torch.nn.Hardswish(), torch.nn.Hardsigmoid(), torch.nn.GELU(),
                torch.nn.ReLU6(), torch.nn.SiLU(), torch.nn.Sigmoid()]
        self.convs = torch.nn.ModuleList([torch.nn.Conv2d(3 if i == 0 else 8, 8, 3, padding=1) for i in range(len(acts))])
        self.act = torch.nn.ModuleList(acts)
        self.bn = torch.nn.BatchNorm2d(8)
        self.up = torch.nn.ConvTranspose2d(8, 8, 3, stride=2, padding=1)
        self.split = Split()
        self.pool = torch.nn.Sequential(torch.nn.AvgPool2d(3, 2, padding=1, count_include_pad=False), torch.nn.MaxPool2d(2))
        self.head = torch.nn.Linear(8, 8)
        self.softmax = torch.nn.Softmax(dim=1)
        self.out = torch.nn.Linear(8, 4)

    def forward(self, x):
        for conv, act in zip(self.convs, self.act):
            x = act(conv(x) * 2.0)
        x = self.split(self.bn(self.up(x)))
        x = torch.nn.functional.adaptive_max_pool2d(self.pool(x), 1).flatten(1)
        return self.out(self.softmax(self.head(x)))


def build(name):
    if name.startswith("activations"):
        torch.manual_seed(4)
        return prepared(Activations())
    kwargs = {"weights": None}
    if name in ("googlenet", "inception_v3"):
        kwargs.update(aux_logits=False, init_weights=True)
    return prepared(getattr(torchvision.models, name)(**kwargs))


def prepared(model):
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


# GoogLeNet's inception modules: 1x1, 3x3 reduce, 3x3, 5x5 reduce, 5x5, pool projection.
INCEPTION = [("3a", 64, 96, 128, 16, 32, 32), ("3b", 128, 128, 192, 32, 96, 64), "pool3",
             ("4a", 192, 96, 208, 16, 48, 64), ("4b", 160, 112, 224, 24, 64, 64), ("4c", 128, 128, 256, 24, 64, 64),
             ("4d", 112, 144, 288, 32, 64, 64), ("4e", 256, 160, 320, 32, 128, 128), "pool4",
             ("5a", 256, 160, 320, 32, 128, 128), ("5b", 384, 192, 384, 48, 128, 128)]


def zoo_googlenet(out):
    """The graph of the ONNX model zoo's googlenet-12.onnx (BVLC GoogLeNet through Caffe2), built node by node
    with onnx.helper: Caffe2's tensor names (conv output X_1, its in-place ReLU X_2, weights X_w_0 / X_b_0),
    unnamed nodes, Caffe's ceil-mode pools as explicit end pads, two LRNs, Dropout, Reshape, Gemm and Softmax,
    opset 12, input data_0 [1, 3, 224, 224], output prob_1. Random weights; the expected activations are
    computed with torch.nn.functional (LRN, padded max pooling) from the same weights."""
    import onnx
    from onnx import helper, numpy_helper, TensorProto
    import torch.nn.functional as F
    rng = np.random.default_rng(7)
    nodes, inits, weights = [], [], {}

    def conv(name, x, cin, cout, k, stride=1, pad=0):
        w = (rng.standard_normal((cout, cin, k, k)) * np.sqrt(2.0 / (cin * k * k))).astype(np.float32)
        b = (rng.standard_normal(cout) * 0.05).astype(np.float32)
        inits.extend([numpy_helper.from_array(w, name + "_w_0"), numpy_helper.from_array(b, name + "_b_0")])
        weights[name] = (w, b, stride, pad)
        nodes.append(helper.make_node("Conv", [x, name + "_w_0", name + "_b_0"], [name + "_1"], kernel_shape=[k, k],
                                      strides=[stride, stride], pads=[pad] * 4))
        nodes.append(helper.make_node("Relu", [name + "_1"], [name + "_2"]))
        return name + "_2"

    def maxpool(name, x, k, stride, pads):
        nodes.append(helper.make_node("MaxPool", [x], [name + "_1"], kernel_shape=[k, k], strides=[stride, stride], pads=pads))
        return name + "_1"

    def lrn(name, x):
        nodes.append(helper.make_node("LRN", [x], [name + "_1"], size=5, alpha=1e-4, beta=0.75, bias=1.0))
        return name + "_1"

    x = conv("conv1/7x7_s2", "data_0", 3, 64, 7, 2, 3)
    x = maxpool("pool1/3x3_s2", x, 3, 2, [0, 0, 1, 1])
    x = lrn("pool1/norm1", x)
    x = conv("conv2/3x3_reduce", x, 64, 64, 1)
    x = conv("conv2/3x3", x, 64, 192, 3, 1, 1)
    x = lrn("conv2/norm2", x)
    x = maxpool("pool2/3x3_s2", x, 3, 2, [0, 0, 1, 1])
    cin = 192
    for m in INCEPTION:
        if isinstance(m, str):
            x = maxpool(m + "/3x3_s2", x, 3, 2, [0, 0, 1, 1])
            continue
        n, c1, c3r, c3, c5r, c5, cp = m
        p = "inception_" + n
        b1 = conv(p + "/1x1", x, cin, c1, 1)
        b3 = conv(p + "/3x3", conv(p + "/3x3_reduce", x, cin, c3r, 1), c3r, c3, 3, 1, 1)
        b5 = conv(p + "/5x5", conv(p + "/5x5_reduce", x, cin, c5r, 1), c5r, c5, 5, 1, 2)
        bp = conv(p + "/pool_proj", maxpool(p + "/pool", x, 3, 1, [1, 1, 1, 1]), cin, cp, 1)
        nodes.append(helper.make_node("Concat", [b1, b3, b5, bp], [p + "/output_1"], axis=1))
        x = p + "/output_1"
        cin = c1 + c3 + c5 + cp
    nodes.append(helper.make_node("AveragePool", [x], ["pool5/7x7_s1_1"], kernel_shape=[7, 7], strides=[1, 1], pads=[0] * 4))
    nodes.append(helper.make_node("Dropout", ["pool5/7x7_s1_1"], ["pool5/7x7_s1_2"]))
    inits.append(numpy_helper.from_array(np.array([1, 1024], dtype=np.int64), "OC2_DUMMY_1"))
    nodes.append(helper.make_node("Reshape", ["pool5/7x7_s1_2", "OC2_DUMMY_1"], ["OC2_DUMMY_0"]))
    fw = (rng.standard_normal((1000, 1024)) * 0.03).astype(np.float32)
    fb = (rng.standard_normal(1000) * 0.05).astype(np.float32)
    inits.extend([numpy_helper.from_array(fw, "loss3/classifier_w_0"), numpy_helper.from_array(fb, "loss3/classifier_b_0")])
    nodes.append(helper.make_node("Gemm", ["OC2_DUMMY_0", "loss3/classifier_w_0", "loss3/classifier_b_0"],
                                  ["loss3/classifier_1"], alpha=1.0, beta=1.0, transA=0, transB=1))
    nodes.append(helper.make_node("Softmax", ["loss3/classifier_1"], ["prob_1"], axis=1))
    graph = helper.make_graph(nodes, "GoogleNet",
                              [helper.make_tensor_value_info("data_0", TensorProto.FLOAT, [1, 3, 224, 224])],
                              [helper.make_tensor_value_info("prob_1", TensorProto.FLOAT, [1, 1000])], inits)
    model = helper.make_model(graph, producer_name="onnx-caffe2", opset_imports=[helper.make_opsetid("", 12)])
    onnx.checker.check_model(model)
    d = os.path.join(out, "zoo_googlenet")
    os.makedirs(d, exist_ok=True)
    onnx.save(model, os.path.join(d, "googlenet-12.onnx"))

    # The same network with PyTorch's functions, in double precision, on a caffe-style input (BGR, mean removed).
    img = torch.from_numpy(rng.uniform(0, 255, (1, 3, 224, 224)) - np.array([103.939, 116.779, 123.68])[None, :, None, None])
    expected = {}

    def tconv(name, t):
        w, b, stride, pad = weights[name]
        return torch.relu(F.conv2d(t, torch.from_numpy(w).double(), torch.from_numpy(b).double(), stride, pad))

    def tpool(t, k, s, end):
        return F.max_pool2d(F.pad(t, (0, end, 0, end), value=float("-inf")), k, s)

    def tlrn(t):
        return F.local_response_norm(t, 5, alpha=1e-4, beta=0.75, k=1.0)

    with torch.no_grad():
        t = tpool(tconv("conv1/7x7_s2", img), 3, 2, 1)
        t = tlrn(t)
        expected["pool1/norm1_1"] = t
        t = tlrn(tconv("conv2/3x3", tconv("conv2/3x3_reduce", t)))
        expected["conv2/norm2_1"] = t
        t = tpool(t, 3, 2, 1)
        for m in INCEPTION:
            if isinstance(m, str):
                t = tpool(t, 3, 2, 1)
                continue
            p = "inception_" + m[0]
            pooled = F.max_pool2d(F.pad(t, (1, 1, 1, 1), value=float("-inf")), 3, 1)
            t = torch.cat([tconv(p + "/1x1", t), tconv(p + "/3x3", tconv(p + "/3x3_reduce", t)),
                           tconv(p + "/5x5", tconv(p + "/5x5_reduce", t)), tconv(p + "/pool_proj", pooled)], 1)
            expected[p + "/output_1"] = t
        t = F.avg_pool2d(t, 7, 1).reshape(1, 1024)
        expected["loss3/classifier_1"] = F.linear(t, torch.from_numpy(fw).double(), torch.from_numpy(fb).double())
    layers = {}
    for k in ["pool1/norm1_1", "conv2/norm2_1", "inception_3a/output_1", "inception_4c/output_1",
              "inception_5b/output_1", "loss3/classifier_1"]:
        f = k.replace("/", "_") + ".npy"
        np.save(os.path.join(d, f), expected[k].numpy())
        layers[k] = f
    np.save(os.path.join(d, "input.npy"), img.numpy())
    with open(os.path.join(d, "expected.json"), "w") as f:
        json.dump({"model": "googlenet-12.onnx", "input": "input.npy", "size": 224, "opset": 12, "layers": layers}, f, indent=1)


def main():
    mode, out = sys.argv[1], sys.argv[2]
    if mode == "trained":
        trained(out)
        return
    if mode == "zoo-googlenet":
        zoo_googlenet(out)
        return
    for name in sys.argv[3:]:
        size, opset, keep_bn, probes = MODELS[name]
        export(name, build(name), size, opset, keep_bn, probes, out)
        print(name, "written")


if __name__ == "__main__":
    main()
