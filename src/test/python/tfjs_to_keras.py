#!/usr/bin/python3
"""Converts a TF.js layers model (model.json + weight shards) into the two Keras file forms, with numpy and
h5py only (Keras itself is not needed, nor installable here):

    /usr/bin/python3 src/test/python/tfjs_to_keras.py MODEL_DIR OUT_BASE     # writes OUT_BASE.h5 and OUT_BASE.keras

- OUT_BASE.h5 as Keras 2 / tf.keras save_model() lays it out: root attributes keras_version, backend and
  model_config (the model's JSON), group model_weights with attribute layer_names, one group per layer with
  attribute weight_names ("conv1/kernel:0") and a dataset at each such path.
- OUT_BASE.keras as Keras 3 saves it: a zip of metadata.json, config.json (layers with module/class_name/
  config/registered_name/name and Keras 3's inbound nodes, {"args": [__keras_tensor__...], "kwargs": {}};
  InputLayer's batch_shape; LeakyReLU's negative_slope) and model.weights.h5, where a layer's variables are
  datasets vars/0, vars/1... in group layers/<class name in snake case>[_k] (Keras 3's saving_lib).

Quantized TF.js weights (uint8, uint16: q * scale + min; float16) are stored as float32. A ConvNeXt model's
depthwise layers (TF.js has no grouped Conv2D) become Conv2D(groups=channels), as Keras' ConvNeXt writes them.
The FilterScope tests compare both forms with TF.js's own activations of the TF.js form.
"""
import copy
import json
import os
import re
import sys
import zipfile

import h5py
import numpy as np


def snake(name):
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


def read_tfjs(model_dir):
    with open(os.path.join(model_dir, "model.json")) as f:
        model = json.load(f)
    weights = {}
    for group in model["weightsManifest"]:
        data = b"".join(open(os.path.join(model_dir, p), "rb").read() for p in group["paths"])
        offset = 0
        for spec in group["weights"]:
            q = spec.get("quantization")
            dtype = q["dtype"] if q else spec.get("dtype", "float32")
            count = int(np.prod(spec["shape"])) if spec["shape"] else 1
            npt = {"float32": "<f4", "int32": "<i4", "uint8": "u1", "uint16": "<u2", "float16": "<f2"}[dtype]
            size = np.dtype(npt).itemsize * count
            raw = np.frombuffer(data[offset:offset + size], dtype=npt)
            offset += size
            if q and dtype in ("uint8", "uint16"):
                values = raw.astype(np.float64) * q["scale"] + q["min"]
            else:
                values = raw
            weights[spec["name"]] = values.astype(np.float32).reshape(spec["shape"])
    topo = model["modelTopology"]
    config = topo.get("model_config", topo)
    return config, topo.get("keras_version", ""), weights


def layer_list(config):
    c = config["config"]
    return c if isinstance(c, list) else c["layers"]


def layer_weights(layer, weights):
    """The layer's weights as (role, array) in TF.js's (= Keras') order: exact scope first."""
    name = layer.get("name") or layer["config"]["name"]
    own = [(k.rsplit("/", 1)[1], v) for k, v in weights.items() if k.rsplit("/", 1)[0] == name]
    return own


def to_grouped(config, weights):
    """ConvNeXt's depthwise layers as Keras writes them: Conv2D(groups=channels), kernel [kh, kw, 1, channels]."""
    if not config["config"].get("name", "").startswith("convnext"):
        return config, weights
    config = copy.deepcopy(config)
    weights = dict(weights)
    for l in layer_list(config):
        if l["class_name"] == "DepthwiseConv2D" and l["name"].endswith("_depthwise_conv"):
            k = weights[l["name"] + "/depthwise_kernel"]
            c = k.shape[2]
            cfg = l["config"]
            l["class_name"] = "Conv2D"
            l["config"] = {"name": cfg["name"], "trainable": True, "filters": int(c), "kernel_size": cfg["kernel_size"],
                           "strides": cfg["strides"], "padding": cfg["padding"], "data_format": cfg["data_format"],
                           "dilation_rate": cfg["dilation_rate"], "groups": int(c), "activation": cfg["activation"],
                           "use_bias": cfg["use_bias"]}
            weights[l["name"] + "/kernel"] = k.reshape(k.shape[0], k.shape[1], 1, c)
            del weights[l["name"] + "/depthwise_kernel"]
            # the dict keeps insertion order: bias after kernel, as Keras lists them
            weights[l["name"] + "/bias"] = weights.pop(l["name"] + "/bias")
    return config, weights


def write_h5(config, version, weights, path):
    version = version if re.match(r"^\d", version or "") else "2.13.1"
    with h5py.File(path, "w") as f:
        f.attrs["keras_version"] = version.encode()
        f.attrs["backend"] = b"tensorflow"
        f.attrs["model_config"] = json.dumps(config).encode()
        mw = f.create_group("model_weights")
        names = [l.get("name") or l["config"]["name"] for l in layer_list(config)]
        mw.attrs["layer_names"] = [n.encode() for n in names]
        mw.attrs["backend"] = b"tensorflow"
        mw.attrs["keras_version"] = version.encode()
        for l, name in zip(layer_list(config), names):
            g = mw.create_group(name)
            ws = layer_weights(l, weights)
            g.attrs["weight_names"] = [(name + "/" + role + ":0").encode() for role, _ in ws]
            for role, v in ws:
                g.create_dataset(name + "/" + role + ":0", data=v)


def keras3_tensor(ref):
    return {"class_name": "__keras_tensor__", "config": {"shape": None, "dtype": "float32", "keras_history": list(ref[:3])}}


def keras3_config(config):
    """Keras 2 / TF.js configuration as Keras 3 writes config.json."""
    sequential = config["class_name"] == "Sequential"
    layers = []
    src = layer_list(config)
    if sequential and src[0]["class_name"] != "InputLayer":
        first = src[0]["config"]
        layers.append({"module": "keras.layers", "class_name": "InputLayer", "registered_name": None, "name": "input_layer",
                       "config": {"batch_shape": first["batch_input_shape"], "dtype": "float32", "sparse": False,
                                  "name": "input_layer"}})
    for l in src:
        cfg = dict(l["config"])
        name = l.get("name") or cfg["name"]
        cls = l["class_name"]
        if cls == "InputLayer":
            cfg["batch_shape"] = cfg.pop("batch_input_shape")
        for k in ("batch_input_shape", "input_dtype"):
            cfg.pop(k, None)
        if cls == "LeakyReLU" and "alpha" in cfg:
            cfg["negative_slope"] = cfg.pop("alpha")
        entry = {"module": "keras.layers", "class_name": cls, "config": cfg,
                 "registered_name": None if cls in KERAS_LAYERS else cls, "name": name}
        if not sequential:
            nodes = []
            for node in l.get("inbound_nodes", []):
                tensors = [keras3_tensor(r) for r in node]
                kwargs = node[0][3] if node and len(node[0]) > 3 else {}
                nodes.append({"args": [tensors] if len(tensors) > 1 else tensors, "kwargs": kwargs})
            entry["inbound_nodes"] = nodes
        layers.append(entry)
    c = {"name": config["config"].get("name", "model") if isinstance(config["config"], dict) else "sequential",
         "trainable": True, "layers": layers}
    if not sequential:
        c["input_layers"] = config["config"]["input_layers"]
        c["output_layers"] = config["config"]["output_layers"]
    return {"module": "keras", "class_name": "Sequential" if sequential else "Functional", "config": c,
            "registered_name": "Sequential" if sequential else "Functional"}


KERAS_LAYERS = {"InputLayer", "Conv2D", "DepthwiseConv2D", "SeparableConv2D", "Dense", "BatchNormalization",
                "LayerNormalization", "Activation", "ReLU", "LeakyReLU", "PReLU", "ELU", "Softmax", "MaxPooling2D",
                "AveragePooling2D", "GlobalAveragePooling2D", "GlobalMaxPooling2D", "ZeroPadding2D", "Cropping2D",
                "UpSampling2D", "Flatten", "Reshape", "Permute", "Add", "Multiply", "Average", "Maximum", "Minimum",
                "Subtract", "Concatenate", "Dropout", "Rescaling", "Normalization"}
KERAS3_ORDER = {"Normalization": ["mean", "variance"]}


def write_keras3(config, weights, path):
    k3 = keras3_config(config)
    counts = {}
    with h5py.File(path + ".weights.tmp", "w") as f:
        for l in k3["config"]["layers"]:
            key = snake(l["class_name"])
            k = counts.get(key, 0)
            counts[key] = k + 1
            group_name = "layers/" + (key if k == 0 else "%s_%d" % (key, k))
            ws = layer_weights(l, weights)
            if l["class_name"] in KERAS3_ORDER:
                order = KERAS3_ORDER[l["class_name"]]
                ws = sorted([w for w in ws if w[0] in order], key=lambda w: order.index(w[0]))
            g = f.create_group(group_name).create_group("vars")
            for i, (_, v) in enumerate(ws):
                g.create_dataset(str(i), data=v)
        f.create_group("vars")
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("metadata.json", json.dumps({"keras_version": "3.3.3", "date_saved": "2026-11-30@00:00:00"}))
        z.writestr("config.json", json.dumps(k3))
        z.write(path + ".weights.tmp", "model.weights.h5")
    os.remove(path + ".weights.tmp")


def main():
    model_dir, out = sys.argv[1], sys.argv[2]
    config, version, weights = read_tfjs(model_dir)
    config, weights = to_grouped(config, weights)
    write_h5(config, version, weights, out + ".h5")
    write_keras3(config, weights, out + ".keras")
    print(out + ".h5", os.path.getsize(out + ".h5"), "bytes;", out + ".keras", os.path.getsize(out + ".keras"), "bytes")


if __name__ == "__main__":
    main()
