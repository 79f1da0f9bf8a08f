#!/usr/bin/python3
"""Writes src/test/resources/ops/cases.json: small programs of engine ops, each with an input and the output
computed independently here, with PyTorch (Debian's python3-torch) or, where PyTorch has no such operation
(TensorFlow's uneven "same" padding, Keras' ReLU with threshold), with numpy by the framework's definition.

    /usr/bin/python3 src/test/python/op_references.py

A case is a list of nodes; node k applies one op to earlier nodes (-1 is the input image, NCHW) and the last
node is compared. OpsReferenceTest builds the same program from engine/net's Ops, compares its forward
pass in double precision and checks its input gradient by finite differences.
"""
import json
import math
import os

import numpy as np
import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)
rng = np.random.default_rng(20251130)
OUT = os.path.join(os.path.dirname(__file__), "..", "resources", "ops", "cases.json")


def arr(shape, lo=-1.0, hi=1.0):
    return rng.uniform(lo, hi, size=shape)


def same_pads(size, k, s, d=1, lower=False):
    """TensorFlow's "same": output ceil(size / s), the odd pixel at the end (ONNX SAME_LOWER: at the start)."""
    eff = d * (k - 1) + 1
    out = -(-size // s)
    total = max(0, (out - 1) * s + eff - size)
    small = total // 2
    return (total - small, small) if lower else (small, total - small)


def pads_of(p, x, k, s, d=(1, 1)):
    """[top, bottom, left, right] for a padding spec: "valid", "same", "same_lower" or a list of four."""
    if p == "valid":
        return [0, 0, 0, 0]
    if p in ("same", "same_lower"):
        t, b = same_pads(x.shape[2], k[0], s[0], d[0], p == "same_lower")
        l, r = same_pads(x.shape[3], k[1], s[1], d[1], p == "same_lower")
        return [t, b, l, r]
    return list(p)


def conv(x, a):
    w = torch.tensor(a["weights"]).reshape(a["weightsShape"])
    b = torch.tensor(a["bias"]) if a.get("bias") is not None else None
    k = w.shape[2:]
    p = pads_of(a["padding"], x, k, a["stride"], a["dilation"])
    xp = F.pad(x, (p[2], p[3], p[0], p[1]))
    return F.conv2d(xp, w, b, stride=a["stride"], dilation=a["dilation"], groups=a["groups"])


def pool(x, a):
    k, s = a["kernel"], a["stride"]
    p = pads_of(a["padding"], x, k, s)
    symmetric = p[0] == p[1] and p[2] == p[3] and p[0] <= k[0] // 2 and p[2] <= k[1] // 2
    if a["max"]:
        if symmetric:
            return F.max_pool2d(x, k, s, padding=(p[0], p[2]), ceil_mode=a["ceil"])
        assert not a["ceil"]
        return F.max_pool2d(F.pad(x, (p[2], p[3], p[0], p[1]), value=-math.inf), k, s)
    if symmetric:
        return F.avg_pool2d(x, k, s, padding=(p[0], p[2]), ceil_mode=a["ceil"], count_include_pad=a["countPadding"])
    # Uneven padding (TensorFlow's "same"): the sum over the window's pixels inside the image, divided by
    # how many there are, as TensorFlow defines its padded average.
    assert not a["ceil"] and not a["countPadding"]
    xp = F.pad(x, (p[2], p[3], p[0], p[1]))
    ones = F.pad(torch.ones_like(x[:, :1]), (p[2], p[3], p[0], p[1]))
    return F.avg_pool2d(xp, k, s) / F.avg_pool2d(ones, k, s)


def keras_relu(x, a):
    mx = a["max"] if a["max"] is not None else math.inf
    t, sl = a["threshold"], a["slope"]
    return torch.where(x >= t, torch.clamp(x, max=mx), sl * (x - t))


ACT = {
    "SIGMOID": torch.sigmoid, "TANH": torch.tanh, "SELU": F.selu, "SWISH": F.silu, "HARD_SWISH": F.hardswish,
    "GELU": F.gelu, "GELU_TANH": lambda x: F.gelu(x, approximate="tanh"), "SOFTPLUS": F.softplus,
    "SOFTSIGN": F.softsign,
}


def resize(x, a):
    sh, sw = a["scale"]
    if a["coordinates"] == "ASYMMETRIC" and a["interpolation"] == "BILINEAR":
        # TensorFlow 1 / TF.js resize_bilinear without half-pixel centres: source i / scale, by numpy.
        return bilinear_asymmetric(x, sh, sw)
    mode = "nearest" if a["interpolation"] == "NEAREST" else "bilinear"
    kw = {} if mode == "nearest" else {"align_corners": a["coordinates"] == "ALIGN_CORNERS"}
    return F.interpolate(x, scale_factor=(sh, sw), mode=mode, **kw)


def bilinear_asymmetric(x, sh, sw):
    n, c, h, w = x.shape
    oh, ow = int(h * sh), int(w * sw)
    out = np.zeros((n, c, oh, ow))
    xn = x.numpy()
    for i in range(oh):
        src_i = min(i / sh, h - 1)
        i0 = int(math.floor(src_i)); i1 = min(i0 + 1, h - 1); fi = src_i - i0
        for j in range(ow):
            src_j = min(j / sw, w - 1)
            j0 = int(math.floor(src_j)); j1 = min(j0 + 1, w - 1); fj = src_j - j0
            out[:, :, i, j] = ((1 - fi) * (1 - fj) * xn[:, :, i0, j0] + (1 - fi) * fj * xn[:, :, i0, j1]
                               + fi * (1 - fj) * xn[:, :, i1, j0] + fi * fj * xn[:, :, i1, j1])
    return torch.tensor(out)


def run(x, nodes):
    vals = []
    for n in nodes:
        a = n.get("args", {})
        ins = [x if f == -1 else vals[f] for f in n["from"]]
        op = n["op"]
        y = ins[0]
        if op == "conv2d":
            r = conv(y, a)
        elif op == "pool":
            r = pool(y, a)
        elif op == "relu":
            r = keras_relu(y, a)
        elif op == "activation":
            fn = a["fn"]
            if fn == "ELU":
                r = F.elu(y, alpha=a["alpha"])
            elif fn == "HARD_SIGMOID":
                r = torch.clamp(a["alpha"] * y + a["beta"], 0, 1)
            else:
                r = ACT[fn](y)
        elif op == "prelu":
            alpha = torch.tensor(a["alpha"]).reshape(a["alphaShape"])
            r = torch.where(y > 0, y, alpha * y)
        elif op == "softmax":
            r = F.softmax(y, dim=1)
        elif op == "batchNorm":
            r = F.batch_norm(y, torch.tensor(a["mean"]), torch.tensor(a["variance"]), torch.tensor(a["gamma"]),
                             torch.tensor(a["beta"]), training=False, eps=a["eps"])
        elif op == "scale":
            r = y * a["scale"] + a["offset"]
        elif op == "layerNorm":
            g = torch.tensor(a["gamma"]) if a["gamma"] is not None else None
            b = torch.tensor(a["beta"]) if a["beta"] is not None else None
            if y.dim() == 4:
                r = F.layer_norm(y.permute(0, 2, 3, 1), (y.shape[1],), g, b, a["eps"]).permute(0, 3, 1, 2)
            else:
                r = F.layer_norm(y, (y.shape[1],), g, b, a["eps"])
        elif op == "globalPool":
            red = {"AVG": torch.mean, "SUM": torch.sum}.get(a["type"])
            r = red(y, dim=(2, 3), keepdim=a["keepDims"]) if red else torch.amax(y, dim=(2, 3), keepdim=a["keepDims"])
        elif op == "zeroPad":
            p = a["pad"]
            r = F.pad(y, (p[2], p[3], p[0], p[1]))
        elif op == "crop":
            c = a["crop"]
            r = y[:, :, c[0]:y.shape[2] - c[1], c[2]:y.shape[3] - c[3]]
        elif op == "resize":
            r = resize(y, a)
        elif op == "join":
            kind = a["op"]
            r = ins[0]
            for z in ins[1:]:
                r = {"ADD": torch.add, "AVERAGE": torch.add, "SUBTRACT": torch.sub, "PRODUCT": torch.mul,
                     "MAX": torch.maximum, "MIN": torch.minimum}[kind](r, z)
            if kind == "AVERAGE":
                r = r / len(ins)
        elif op == "concat":
            r = torch.cat(ins, dim=a["axis"])
        elif op == "permute":
            r = y.permute([0] + [p + 1 for p in a["perm"]])
        elif op == "flatten":
            r = y.reshape(y.shape[0], -1)
        elif op == "flattenChannelsLast":
            r = y.permute(0, 2, 3, 1).reshape(y.shape[0], -1)
        elif op == "reshape":
            r = y.reshape([y.shape[0]] + a["shape"])
        elif op == "dense":
            r = y @ torch.tensor(a["weights"]).reshape(a["weightsShape"]) + torch.tensor(a["bias"])
        else:
            raise ValueError(op)
        vals.append(r.contiguous())
    return vals[-1]


def conv_args(cin, cout, k, stride=(1, 1), padding="valid", dilation=(1, 1), groups=1, bias=True):
    shape = [cout, cin // groups, k[0], k[1]]
    return {"weights": arr(shape).ravel().tolist(), "weightsShape": shape,
            "bias": arr([cout]).ravel().tolist() if bias else None,
            "stride": list(stride), "padding": padding, "dilation": list(dilation), "groups": groups}


def pool_args(mx, k, s, padding="valid", count=False, ceil=False):
    return {"max": mx, "kernel": list(k), "stride": list(s), "padding": padding, "countPadding": count, "ceil": ceil}


def single(op, args, frm=(-1,)):
    return [{"op": op, "args": args, "from": list(frm)}]


CASES = {
    # convolutions
    "conv 3x3 same": ([2, 3, 7, 6], single("conv2d", conv_args(3, 4, (3, 3), padding="same"))),
    "conv 3x3 stride 2 same, even size (uneven padding)": ([1, 3, 8, 8], single("conv2d", conv_args(3, 4, (3, 3), (2, 2), "same"))),
    "conv 5x5 stride 2 same, odd size": ([1, 2, 9, 7], single("conv2d", conv_args(2, 3, (5, 5), (2, 2), "same"))),
    "conv 2x2 same (even kernel)": ([1, 2, 6, 5], single("conv2d", conv_args(2, 3, (2, 2), padding="same"))),
    "conv 3x2 stride (2,1) valid": ([1, 2, 9, 8], single("conv2d", conv_args(2, 3, (3, 2), (2, 1)))),
    "conv 1x1 stride 2 no bias": ([2, 4, 7, 8], single("conv2d", conv_args(4, 5, (1, 1), (2, 2), bias=False))),
    "conv explicit uneven padding": ([1, 2, 6, 7], single("conv2d", conv_args(2, 3, (3, 3), (1, 1), [0, 2, 1, 0]))),
    "conv same_lower stride 2": ([1, 2, 8, 7], single("conv2d", conv_args(2, 3, (3, 3), (2, 2), "same_lower"))),
    "conv dilation 2 same": ([2, 3, 9, 8], single("conv2d", conv_args(3, 4, (3, 3), padding="same", dilation=(2, 2)))),
    "conv dilation (2,3) valid": ([1, 2, 11, 12], single("conv2d", conv_args(2, 3, (3, 3), dilation=(2, 3)))),
    "conv dilation 2 stride 2 explicit padding": ([1, 2, 10, 9], single("conv2d", conv_args(2, 3, (3, 3), (2, 2), [1, 2, 0, 1], (2, 2)))),
    "grouped conv 2 groups": ([2, 4, 6, 6], single("conv2d", conv_args(4, 6, (3, 3), padding=[1, 1, 1, 1], groups=2))),
    "grouped conv 2 groups dilated stride 2": ([1, 4, 9, 9], single("conv2d", conv_args(4, 4, (3, 3), (2, 2), "same", (2, 2), groups=2))),
    "depthwise 3x3 same": ([2, 3, 7, 7], single("conv2d", conv_args(3, 3, (3, 3), padding="same", groups=3))),
    "depthwise multiplier 2 stride 2 same, even size": ([1, 3, 8, 8], single("conv2d", conv_args(3, 6, (3, 3), (2, 2), "same", groups=3))),
    "depthwise 5x5 stride 2 same, odd size, no bias": ([1, 2, 9, 9], single("conv2d", conv_args(2, 2, (5, 5), (2, 2), "same", groups=2, bias=False))),
    "depthwise dilation 2 same": ([1, 3, 9, 8], single("conv2d", conv_args(3, 3, (3, 3), padding="same", dilation=(2, 2), groups=3))),
    "separable: depthwise then pointwise": ([1, 3, 8, 8], [
        {"op": "conv2d", "args": conv_args(3, 6, (3, 3), padding="same", groups=3, bias=False), "from": [-1]},
        {"op": "conv2d", "args": conv_args(6, 4, (1, 1)), "from": [0]}]),
    # pooling
    "max pool 3x3 stride 2 same, even size": ([1, 2, 8, 8], single("pool", pool_args(True, (3, 3), (2, 2), "same"))),
    "max pool 2x2 stride 2 valid": ([2, 2, 7, 8], single("pool", pool_args(True, (2, 2), (2, 2)))),
    "avg pool 3x3 same excludes padding": ([1, 2, 7, 6], single("pool", pool_args(False, (3, 3), (1, 1), "same"))),
    "avg pool 3x3 stride 2 same, even size, excludes padding": ([1, 2, 8, 8], single("pool", pool_args(False, (3, 3), (2, 2), "same"))),
    "avg pool 2x2 stride 2 valid": ([1, 3, 6, 7], single("pool", pool_args(False, (2, 2), (2, 2)))),
    "avg pool padding 1 counts padding": ([1, 2, 7, 7], single("pool", pool_args(False, (3, 3), (2, 2), [1, 1, 1, 1], count=True))),
    "avg pool padding 1 excludes padding": ([1, 2, 7, 7], single("pool", pool_args(False, (3, 3), (2, 2), [1, 1, 1, 1]))),
    "avg pool ceil mode counts padding": ([1, 2, 8, 8], single("pool", pool_args(False, (3, 3), (2, 2), [1, 1, 1, 1], True, True))),
    "avg pool ceil mode excludes padding": ([1, 2, 8, 8], single("pool", pool_args(False, (3, 3), (2, 2), [0, 0, 0, 0], False, True))),
    "max pool ceil mode": ([1, 2, 8, 9], single("pool", pool_args(True, (3, 3), (2, 2), [1, 1, 1, 1], ceil=True))),
    "global avg pool keepdims": ([2, 3, 4, 5], single("globalPool", {"type": "AVG", "keepDims": True})),
    "global max pool": ([2, 3, 4, 5], single("globalPool", {"type": "MAX", "keepDims": False})),
    # activations
    "relu": ([1, 3, 5, 5], single("relu", {"max": None, "slope": 0.0, "threshold": 0.0})),
    "relu6": ([1, 3, 5, 5], single("relu", {"max": 6.0, "slope": 0.0, "threshold": 0.0})),
    "leaky relu 0.3": ([1, 3, 5, 5], single("relu", {"max": None, "slope": 0.3, "threshold": 0.0})),
    "relu max 2.5 slope 0.1 threshold 0.5": ([1, 3, 5, 5], single("relu", {"max": 2.5, "slope": 0.1, "threshold": 0.5})),
    "relu threshold 1 (thresholded)": ([1, 3, 5, 5], single("relu", {"max": None, "slope": 0.0, "threshold": 1.0})),
    "elu alpha 1.3": ([1, 3, 5, 5], single("activation", {"fn": "ELU", "alpha": 1.3, "beta": 0})),
    "hard sigmoid Keras 2 (0.2x + 0.5)": ([1, 3, 5, 5], single("activation", {"fn": "HARD_SIGMOID", "alpha": 0.2, "beta": 0.5})),
    "hard sigmoid Keras 3 (x/6 + 1/2)": ([1, 3, 5, 5], single("activation", {"fn": "HARD_SIGMOID", "alpha": 1 / 6, "beta": 0.5})),
    "prelu per channel": ([2, 3, 4, 4], single("prelu", {"alpha": arr([3]).tolist(), "alphaShape": [3, 1, 1]})),
    "prelu per position": ([1, 2, 3, 3], single("prelu", {"alpha": arr([2, 3, 3]).ravel().tolist(), "alphaShape": [2, 3, 3]})),
    "softmax over channels": ([2, 4, 3, 3], single("softmax", {})),
    # normalization and affine maps
    "batch norm": ([2, 3, 4, 4], single("batchNorm", {"gamma": arr([3]).tolist(), "beta": arr([3]).tolist(),
                                                      "mean": arr([3]).tolist(), "variance": arr([3], 0.5, 2).tolist(), "eps": 1e-3})),
    "batch norm on rows": ([3, 5], single("batchNorm", {"gamma": arr([5]).tolist(), "beta": arr([5]).tolist(),
                                                        "mean": arr([5]).tolist(), "variance": arr([5], 0.5, 2).tolist(), "eps": 1e-3})),
    "scale 1/127.5 - 1": ([1, 3, 4, 4], single("scale", {"scale": 1 / 127.5, "offset": -1.0})),
    "layer norm over channels": ([2, 5, 3, 4], single("layerNorm", {"gamma": arr([5]).tolist(), "beta": arr([5]).tolist(), "eps": 1e-6})),
    "layer norm without scale and offset": ([2, 4, 3, 3], single("layerNorm", {"gamma": None, "beta": None, "eps": 1e-3})),
    "layer norm on rows": ([3, 6], single("layerNorm", {"gamma": arr([6]).tolist(), "beta": arr([6]).tolist(), "eps": 1e-3})),
    # shapes
    "zero pad uneven": ([1, 2, 4, 5], single("zeroPad", {"pad": [0, 1, 2, 1]})),
    "crop uneven": ([1, 2, 7, 8], single("crop", {"crop": [1, 0, 2, 1]})),
    "upsample nearest x2": ([1, 2, 3, 4], single("resize", {"scale": [2, 2], "interpolation": "NEAREST", "coordinates": "HALF_PIXEL"})),
    "upsample nearest (2,3)": ([1, 2, 3, 4], single("resize", {"scale": [2, 3], "interpolation": "NEAREST", "coordinates": "ASYMMETRIC"})),
    "upsample bilinear x2 half-pixel": ([1, 2, 4, 5], single("resize", {"scale": [2, 2], "interpolation": "BILINEAR", "coordinates": "HALF_PIXEL"})),
    "upsample bilinear (3,2) align corners": ([1, 2, 4, 5], single("resize", {"scale": [3, 2], "interpolation": "BILINEAR", "coordinates": "ALIGN_CORNERS"})),
    "upsample bilinear x2 asymmetric": ([1, 2, 4, 5], single("resize", {"scale": [2, 2], "interpolation": "BILINEAR", "coordinates": "ASYMMETRIC"})),
    "permute": ([2, 3, 4, 5], single("permute", {"perm": [1, 2, 0]})),
    "flatten channels last": ([2, 3, 2, 4], single("flattenChannelsLast", {})),
    "reshape rows to maps": ([2, 12], single("reshape", {"shape": [3, 2, 2]})),
    "dense": ([3, 6], single("dense", {"weights": arr([6, 4]).ravel().tolist(), "weightsShape": [6, 4], "bias": arr([4]).tolist()})),
}

# joins: the second operand is made from the input by another op, so one image drives the whole program
GAP = {"op": "globalPool", "args": {"type": "AVG", "keepDims": True}, "from": [-1]}
SCALED = {"op": "scale", "args": {"scale": -0.7, "offset": 0.3}, "from": [-1]}
TANHX = {"op": "activation", "args": {"fn": "TANH"}, "from": [-1]}
for kind in ["ADD", "SUBTRACT", "PRODUCT", "AVERAGE", "MAX", "MIN"]:
    CASES["join " + kind.lower()] = ([2, 3, 4, 4], [SCALED, TANHX, {"op": "join", "args": {"op": kind}, "from": [-1, 0]
                                                                    if kind == "SUBTRACT" else [-1, 0, 1]}])
    CASES["join " + kind.lower() + " broadcast [n,c,h,w] with [n,c,1,1]"] = ([2, 3, 4, 5], [GAP, {"op": "join", "args": {"op": kind}, "from": [-1, 0]}])
CASES["join product broadcast the other way"] = ([2, 3, 4, 5], [GAP, {"op": "join", "args": {"op": "PRODUCT"}, "from": [0, -1]}])
for axis in [1, 2, 3]:
    CASES["concat axis %d" % axis] = ([2, 3, 4, 5], [SCALED, {"op": "concat", "args": {"axis": axis}, "from": [-1, 0, -1]}])
CASES["concat rows"] = ([2, 3, 4, 5], [GAP | {"args": {"type": "AVG", "keepDims": False}},
                                       {"op": "globalPool", "args": {"type": "MAX", "keepDims": False}, "from": [-1]},
                                       {"op": "concat", "args": {"axis": 1}, "from": [0, 1]}])
# ties: an overlapping max pool copies one value into several windows; a join of a tensor with itself
CASES["global max after an overlapping max pool (ties share the gradient)"] = ([1, 2, 7, 7], [
    {"op": "pool", "args": pool_args(True, (3, 3), (1, 1)), "from": [-1]},
    {"op": "globalPool", "args": {"type": "MAX", "keepDims": False}, "from": [0]}])
CASES["join max of a tensor with itself (ties share the gradient)"] = ([1, 2, 4, 4], [{"op": "join", "args": {"op": "MAX"}, "from": [-1, -1]}])
for fn in ["SIGMOID", "TANH", "SELU", "SWISH", "HARD_SWISH", "GELU", "GELU_TANH", "SOFTPLUS", "SOFTSIGN"]:
    CASES[fn.lower()] = ([1, 3, 5, 5], single("activation", {"fn": fn}))

# Depthwise input gradients run as a transposed depthwise convolution: strides with pixels the window never
# reaches, native padding under a stride, and a multiplier with a non-square kernel and uneven strides. Their
# weights come from a generator of their own, so the earlier cases keep their values.
main_rng, rng = rng, np.random.default_rng(17)
CASES["depthwise 3x3 stride 2 valid, last pixel unread"] = ([1, 2, 8, 8], single("conv2d", conv_args(2, 2, (3, 3), (2, 2), groups=2)))
CASES["depthwise 3x3 stride 2 padding 1"] = ([2, 3, 7, 7], single("conv2d", conv_args(3, 3, (3, 3), (2, 2), [1, 1, 1, 1], groups=3)))
CASES["depthwise 3x2 multiplier 3 stride 1x2 padding 1x0"] = ([2, 2, 6, 7], single("conv2d", conv_args(2, 6, (3, 2), (1, 2), [1, 1, 0, 0], groups=2)))
rng = main_rng


def main():
    cases = []
    for name, (shape, nodes) in CASES.items():
        x = torch.tensor(arr(shape, -4, 4) if any(n["op"] in ("relu", "activation", "prelu") for n in nodes) else arr(shape))
        y = run(x, nodes)
        cases.append({"name": name, "input": x.numpy().ravel().tolist(), "inputShape": list(shape), "nodes": nodes,
                      "output": y.numpy().ravel().tolist(), "outputShape": list(y.shape)})
    with open(OUT, "w") as f:
        json.dump({"generatedBy": "src/test/python/op_references.py (PyTorch " + torch.__version__ + ", numpy "
                   + np.__version__ + ")", "cases": cases}, f, separators=(",", ":"))
    print(len(cases), "cases ->", os.path.normpath(OUT), os.path.getsize(OUT), "bytes")


if __name__ == "__main__":
    main()
