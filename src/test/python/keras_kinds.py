#!/usr/bin/python3
"""Writes Keras files of the layer kinds TF.js cannot make (so families.js cannot), with each file's
activations computed independently here in PyTorch (Debian's python3-torch), into
src/test/resources/keras/kinds/:

    /usr/bin/python3 src/test/python/keras_kinds.py

- keras_only.h5 (tf.keras 2 layout): ReLU with an integer max_value, negative_slope and threshold; a grouped
  Conv2D (2 groups); Subtract; tf.keras' TFOpLambda for x + 3 and x * (1/6) around a ReLU(6) (how tf.keras
  writes MobileNetV3's hard sigmoid); Activation hard_swish; a per-channel Rescaling; bilinear UpSampling2D
  (half-pixel centres, TensorFlow 2); exact GELU; GlobalAveragePooling2D with keepdims; Dense with softmax.
- channels_first.h5: Conv2D, MaxPooling2D, BatchNormalization(axis=1) and Flatten in channels_first.
- nested.h5: a functional model applying a nested functional model (tf.keras keeps the nested model's weights
  in its one group, named by inner layer).
- keras3_hard_sigmoid.keras: Keras 3's hard_sigmoid, relu6(x + 3) / 6.
- refusals: lambda.h5 (a Lambda layer), custom.h5 (a custom layer class), two_inputs.h5, exponential.h5
  (activation 'exponential'), bicubic.h5 (UpSampling2D interpolation 'bicubic').

Each computed model NAME gets NAME.expected/ (index.json, input.f32 and LAYER.f32: NHWC float32), the format
of families.js's references.
"""
import json
import os
import zipfile

import h5py
import numpy as np
import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)
OUT = os.path.join(os.path.dirname(__file__), "..", "resources", "keras", "kinds")
rng = np.random.default_rng(4242)


def rand(*shape, lo=-0.5, hi=0.5):
    return rng.uniform(lo, hi, size=shape).astype(np.float32)


def layer(cls, name, config, inbound=None):
    c = dict(config)
    c["name"] = name
    entry = {"class_name": cls, "name": name, "config": c}
    entry["inbound_nodes"] = [] if inbound is None else [[[i, 0, 0, {}] if isinstance(i, str) else i for i in inbound]]
    return entry


def input_layer(name, shape):
    return layer("InputLayer", name, {"batch_input_shape": [None] + list(shape), "dtype": "float32", "sparse": False})


def model(layers, inputs, outputs, name="model"):
    return {"class_name": "Functional", "config": {"name": name, "layers": layers,
                                                  "input_layers": [[i, 0, 0] for i in inputs],
                                                  "output_layers": [[o, 0, 0] for o in outputs]}}


def write_h5(path, config, weights, version="2.9.0"):
    """weights: {top-level layer: [(weight name, array), ...]}"""
    with h5py.File(path, "w") as f:
        f.attrs["keras_version"] = version.encode()
        f.attrs["backend"] = b"tensorflow"
        f.attrs["model_config"] = json.dumps(config).encode()
        mw = f.create_group("model_weights")
        names = [l["name"] for l in config["config"]["layers"]]
        mw.attrs["layer_names"] = [n.encode() for n in names]
        for n in names:
            g = mw.create_group(n)
            ws = weights.get(n, [])
            g.attrs["weight_names"] = [w.encode() for w, _ in ws]
            for w, v in ws:
                g.create_dataset(w, data=v)


def T(a):
    """A float64 tensor: the weights are float32 as written, the reference computes in double."""
    return torch.from_numpy(np.asarray(a, dtype=np.float64))


def nchw(x):
    return T(x).permute(0, 3, 1, 2)


def nhwc(t):
    return t.permute(0, 2, 3, 1) if t.dim() == 4 else t


def save_expected(name, x, outputs, softmax=()):
    d = os.path.join(OUT, name + ".expected")
    os.makedirs(d, exist_ok=True)
    index = {}
    for k, t in outputs.items():
        v = nhwc(t).detach().numpy().astype("<f4")
        v.tofile(os.path.join(d, k + ".f32"))
        index[k] = {"shape": list(v.shape), "softmax": k in softmax}
    x.astype("<f4").tofile(os.path.join(d, "input.f32"))
    with open(os.path.join(d, "index.json"), "w") as f:
        json.dump({"input": list(x.shape), "layers": index}, f, indent=1)


def conv_w(k, cin, cout):
    return rand(k, k, cin, cout)


def torch_conv(x, kernel, bias, stride=1, groups=1, same=True):
    w = T(kernel).permute(3, 2, 0, 1)  # [kh, kw, in/g, out] -> [out, in/g, kh, kw]
    k = w.shape[2]
    if same:
        total = k - 1
        x = F.pad(x, (total // 2, total - total // 2, total // 2, total - total // 2))
    return F.conv2d(x, w, T(bias) if bias is not None else None, stride=stride, groups=groups)


def keras_only():
    x = rand(1, 10, 10, 3, lo=-1, hi=1)
    k0, b0 = conv_w(3, 3, 4), rand(4)
    kg, bg = conv_w(3, 2, 6), rand(6)          # grouped: 4 in, 6 out, 2 groups -> kernel [3, 3, 2, 6]
    k1, b1 = conv_w(1, 4, 6), rand(6)
    kd, bd = rand(16, 5), rand(5)              # dense after GAP with keepdims + flatten: 6 ch * ... (see below)
    scale, offset = [0.5, 1.0, 2.0, 1.5, 1.0, 0.25], [0.0, 0.1, -0.1, 0.0, 0.2, 0.0]
    L = [input_layer("input_1", (10, 10, 3)),
         layer("Conv2D", "c0", {"filters": 4, "kernel_size": [3, 3], "strides": [1, 1], "padding": "same",
                                "data_format": "channels_last", "dilation_rate": [1, 1], "groups": 1, "activation": "linear",
                                "use_bias": True}, ["input_1"]),
         layer("ReLU", "relu_full", {"max_value": 2, "negative_slope": 0.1, "threshold": 0.25}, ["c0"]),
         layer("Conv2D", "grouped", {"filters": 6, "kernel_size": [3, 3], "strides": [1, 1], "padding": "same",
                                     "data_format": "channels_last", "dilation_rate": [1, 1], "groups": 2, "activation": "linear",
                                     "use_bias": True}, ["relu_full"]),
         layer("Conv2D", "c1", {"filters": 6, "kernel_size": [1, 1], "strides": [1, 1], "padding": "valid",
                                "data_format": "channels_last", "dilation_rate": [1, 1], "groups": 1, "activation": "linear",
                                "use_bias": True}, ["relu_full"]),
         layer("Subtract", "subtract", {}, ["grouped", "c1"]),
         layer("TFOpLambda", "tf.__operators__.add", {"function": "__operators__.add"}, [["subtract", 0, 0, {"y": 3.0, "name": None}]]),
         layer("ReLU", "re_lu", {"max_value": 6.0, "negative_slope": 0.0, "threshold": 0.0}, ["tf.__operators__.add"]),
         layer("TFOpLambda", "tf.math.multiply", {"function": "math.multiply"}, [["re_lu", 0, 0, {"y": 1 / 6, "name": None}]]),
         layer("Activation", "hswish", {"activation": "hard_swish"}, ["tf.math.multiply"]),
         layer("Rescaling", "rescale_pc", {"scale": scale, "offset": offset}, ["hswish"]),
         layer("UpSampling2D", "up_bilinear", {"size": [2, 2], "data_format": "channels_last", "interpolation": "bilinear"}, ["rescale_pc"]),
         layer("Activation", "gelu", {"activation": "gelu"}, ["up_bilinear"]),
         layer("GlobalAveragePooling2D", "gap", {"data_format": "channels_last", "keepdims": True}, ["gelu"]),
         layer("Flatten", "flatten", {"data_format": "channels_last"}, ["gap"]),
         layer("Dense", "out", {"units": 5, "activation": "softmax", "use_bias": True}, ["flatten"])]
    kd = rand(6, 5)
    config = model(L, ["input_1"], ["out"])
    weights = {"c0": [("c0/kernel:0", k0), ("c0/bias:0", b0)], "grouped": [("grouped/kernel:0", kg), ("grouped/bias:0", bg)],
               "c1": [("c1/kernel:0", k1), ("c1/bias:0", b1)], "out": [("out/kernel:0", kd), ("out/bias:0", bd)]}
    write_h5(os.path.join(OUT, "keras_only.h5"), config, weights)
    t = nchw(x)
    c0 = torch_conv(t, k0, b0)
    relu = torch.where(c0 >= 0.25, torch.clamp(c0, max=2), 0.1 * (c0 - 0.25))
    grouped = torch_conv(relu, kg, bg, groups=2)
    c1 = torch_conv(relu, k1, b1, same=False)
    sub = grouped - c1
    hs = torch.clamp(sub + 3, 0, 6) * (1 / 6)
    hswish = F.hardswish(hs)
    resc = hswish * T(scale).reshape(1, -1, 1, 1) + T(offset).reshape(1, -1, 1, 1)
    up = F.interpolate(resc, scale_factor=2, mode="bilinear", align_corners=False)
    gelu = F.gelu(up)
    gap = gelu.mean(dim=(2, 3), keepdim=True)
    out = torch.softmax(gap.flatten(1) @ T(kd) + T(bd), dim=1)
    save_expected("keras_only", x, {"c0": c0, "relu_full": relu, "grouped": grouped, "subtract": sub, "tf.math.multiply": hs,
                                    "hswish": hswish, "rescale_pc": resc, "up_bilinear": up, "gelu": gelu, "gap": gap, "out": out},
                  softmax=("out",))


def channels_first():
    x = rand(1, 3, 8, 8, lo=-1, hi=1)   # stored NCHW; the expected input file is NHWC
    k, b = conv_w(3, 3, 4), rand(4)
    gamma, beta, mean, var = rand(4, lo=0.5, hi=1.5), rand(4), rand(4), rand(4, lo=0.5, hi=1.5)
    kd, bd = rand(4 * 4 * 4, 3), rand(3)
    cf = {"data_format": "channels_first"}
    L = [input_layer("input_1", (3, 8, 8)),
         layer("Conv2D", "conv", dict(cf, filters=4, kernel_size=[3, 3], strides=[1, 1], padding="same", dilation_rate=[1, 1],
                                      activation="relu", use_bias=True), ["input_1"]),
         layer("BatchNormalization", "bn", {"axis": 1, "epsilon": 1e-3, "center": True, "scale": True}, ["conv"]),
         layer("MaxPooling2D", "pool", dict(cf, pool_size=[2, 2], strides=[2, 2], padding="valid"), ["bn"]),
         layer("Flatten", "flatten", cf, ["pool"]),
         layer("Dense", "out", {"units": 3, "activation": "linear", "use_bias": True}, ["flatten"])]
    write_h5(os.path.join(OUT, "channels_first.h5"), model(L, ["input_1"], ["out"]),
             {"conv": [("conv/kernel:0", k), ("conv/bias:0", b)],
              "bn": [("bn/gamma:0", gamma), ("bn/beta:0", beta), ("bn/moving_mean:0", mean), ("bn/moving_variance:0", var)],
              "out": [("out/kernel:0", kd), ("out/bias:0", bd)]})
    t = T(x)
    conv = F.relu(torch_conv(t, k, b))
    bn = F.batch_norm(conv, T(mean), T(var), T(gamma), T(beta), eps=1e-3)
    pool = F.max_pool2d(bn, 2, 2)
    out = pool.flatten(1) @ T(kd) + T(bd)   # channels_first flattens c, h, w
    save_expected("channels_first", x.transpose(0, 2, 3, 1), {"conv": conv, "bn": bn, "pool": pool, "out": out})


def nested():
    x = rand(1, 8, 8, 3, lo=-1, hi=1)
    ka, ba = conv_w(3, 3, 4), rand(4)
    kb, bb = conv_w(3, 4, 5), rand(5)
    kd, bd = rand(5, 2), rand(2)
    inner = model([input_layer("inner_input", (8, 8, 3)),
                   layer("Conv2D", "conv_a", {"filters": 4, "kernel_size": [3, 3], "strides": [1, 1], "padding": "same",
                                              "activation": "relu", "use_bias": True}, ["inner_input"]),
                   layer("Conv2D", "conv_b", {"filters": 5, "kernel_size": [3, 3], "strides": [2, 2], "padding": "same",
                                              "activation": "relu", "use_bias": True}, ["conv_a"])],
                  ["inner_input"], ["conv_b"], name="backbone")
    nested_layer = {"class_name": "Functional", "name": "backbone", "config": inner["config"], "inbound_nodes": [[["input_1", 0, 0, {}]]]}
    L = [input_layer("input_1", (8, 8, 3)), nested_layer,
         layer("GlobalAveragePooling2D", "gap", {"data_format": "channels_last"}, ["backbone"]),
         layer("Dense", "out", {"units": 2, "activation": "linear", "use_bias": True}, ["gap"])]
    write_h5(os.path.join(OUT, "nested.h5"), model(L, ["input_1"], ["out"]),
             {"backbone": [("conv_a/kernel:0", ka), ("conv_a/bias:0", ba), ("conv_b/kernel:0", kb), ("conv_b/bias:0", bb)],
              "out": [("out/kernel:0", kd), ("out/bias:0", bd)]})
    t = nchw(x)
    a = F.relu(torch_conv(t, ka, ba))
    # TensorFlow's "same" with stride 2 on 8 px: 1 pixel of padding, at the bottom and right only
    bconv = F.relu(F.conv2d(F.pad(a, (0, 1, 0, 1)), T(kb).permute(3, 2, 0, 1), T(bb), stride=2))
    out = bconv.mean(dim=(2, 3)) @ T(kd) + T(bd)
    save_expected("nested", x, {"conv_a": a, "conv_b": bconv, "out": out})


def keras3_hard_sigmoid():
    x = rand(1, 6, 6, 2, lo=-4, hi=4)
    config = {"module": "keras", "class_name": "Functional", "registered_name": "Functional", "config": {
        "name": "functional", "trainable": True, "layers": [
            {"module": "keras.layers", "class_name": "InputLayer", "registered_name": None, "name": "input_layer",
             "config": {"batch_shape": [None, 6, 6, 2], "dtype": "float32", "sparse": False, "name": "input_layer"}, "inbound_nodes": []},
            {"module": "keras.layers", "class_name": "Activation", "registered_name": None, "name": "hard_sigmoid",
             "config": {"name": "hard_sigmoid", "activation": "hard_sigmoid"}, "inbound_nodes": [{"args": [
                 {"class_name": "__keras_tensor__", "config": {"shape": [None, 6, 6, 2], "dtype": "float32",
                                                               "keras_history": ["input_layer", 0, 0]}}], "kwargs": {}}]}],
        "input_layers": ["input_layer", 0, 0], "output_layers": ["hard_sigmoid", 0, 0]}}
    path = os.path.join(OUT, "keras3_hard_sigmoid.keras")
    weights = path + ".tmp"
    with h5py.File(weights, "w") as f:
        f.create_group("vars")
        f.create_group("layers/activation/vars")
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("metadata.json", json.dumps({"keras_version": "3.6.0", "date_saved": "2026-11-30@00:00:00"}))
        z.writestr("config.json", json.dumps(config))
        z.write(weights, "model.weights.h5")
    os.remove(weights)
    save_expected("keras3_hard_sigmoid", x, {"hard_sigmoid": F.hardsigmoid(nchw(x))})


def refusals():
    conv = {"filters": 2, "kernel_size": [3, 3], "strides": [1, 1], "padding": "same", "activation": "relu", "use_bias": True}
    k, b = conv_w(3, 3, 2), rand(2)
    cw = {"conv": [("conv/kernel:0", k), ("conv/bias:0", b)]}
    base = [input_layer("input_1", (8, 8, 3)), layer("Conv2D", "conv", conv, ["input_1"])]
    cases = {
        "lambda": layer("Lambda", "scale_by_two", {"function": ["4wEAAAAAAAAA", None, None], "function_type": "lambda",
                                                   "module": "__main__", "output_shape": None, "arguments": {}}, ["conv"]),
        "custom": layer("MyAttention", "attention", {"heads": 4}, ["conv"]),
        "exponential": layer("Activation", "exp", {"activation": "exponential"}, ["conv"]),
        "bicubic": layer("UpSampling2D", "up", {"size": [2, 2], "interpolation": "bicubic"}, ["conv"]),
    }
    for name, last in cases.items():
        write_h5(os.path.join(OUT, name + ".h5"), model(base + [last], ["input_1"], [last["name"]]), cw)
    two = [input_layer("input_1", (8, 8, 3)), input_layer("input_2", (8, 8, 3)), layer("Add", "add", {}, ["input_1", "input_2"])]
    write_h5(os.path.join(OUT, "two_inputs.h5"), model(two, ["input_1", "input_2"], ["add"]), {})


def main():
    os.makedirs(OUT, exist_ok=True)
    keras_only()
    channels_first()
    nested()
    keras3_hard_sigmoid()
    refusals()
    print("written to", os.path.normpath(OUT))


if __name__ == "__main__":
    main()
