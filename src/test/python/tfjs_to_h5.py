#!/usr/bin/python3
"""Converts the TF.js layers models in src/test/resources/tfjs/ to Keras 2 HDF5 files beside them.

    /usr/bin/python3 src/test/python/tfjs_to_h5.py      # (apt-get install python3-h5py python3-numpy)

TF.js saves a layers model as model.json (the Keras model config, as TF.js serializes it, under
"modelTopology", and a manifest of the weights) and binary weight shards. This repackages both, unchanged,
in the HDF5 layout Keras' save_model() writes (the one tensorflowjs_converter --output_format keras
produces): root attributes model_config, keras_version and backend, and under model_weights one group per
layer listing its weights ("NAME/kernel:0") and holding them. Nothing is recomputed: the configuration,
the weights and the expected outputs (NAME.expected.json, from TF.js's predict()) all come from TF.js.

keras_version and backend say what that converter's files say (it saves through tf.keras 2): TF.js's own
"tfjs-layers 4.22.0" is no Keras version, and Keras importers read the major version from it.
"""
import json
import os

import h5py
import numpy as np

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "resources", "tfjs")
DTYPES = {"float32": np.float32, "int32": np.int32}
KERAS_VERSION = b"2.15.0"
BACKEND = b"tensorflow"


def names(values):
    return np.array([v.encode("utf8") for v in values]) if values else np.array([], dtype=np.float64)


def convert(folder, out):
    with open(os.path.join(folder, "model.json")) as f:
        model = json.load(f)
    topology = model["modelTopology"]
    layers = [layer["config"]["name"] for layer in topology["config"]["layers"]]
    weights = {}
    for group in model["weightsManifest"]:
        data = b"".join(open(os.path.join(folder, p), "rb").read() for p in group["paths"])
        offset = 0
        for spec in group["weights"]:
            dtype = np.dtype(DTYPES[spec.get("dtype", "float32")]).newbyteorder("<")
            count = int(np.prod(spec["shape"])) if spec["shape"] else 1
            weights[spec["name"]] = np.frombuffer(data, dtype=dtype, count=count, offset=offset).reshape(spec["shape"])
            offset += count * dtype.itemsize
        assert offset == len(data), "the manifest accounts for every byte of " + str(group["paths"])
    with h5py.File(out, "w") as f:
        f.attrs["keras_version"] = KERAS_VERSION
        f.attrs["backend"] = BACKEND
        f.attrs["model_config"] = json.dumps({"class_name": topology["class_name"], "config": topology["config"]}).encode("utf8")
        g = f.create_group("model_weights")
        g.attrs["layer_names"] = names(layers)
        g.attrs["keras_version"] = f.attrs["keras_version"]
        g.attrs["backend"] = f.attrs["backend"]
        for layer in layers:
            lg = g.create_group(layer)
            own = [n for n in weights if n.split("/")[0] == layer]
            lg.attrs["weight_names"] = names([n + ":0" for n in own])
            for n in own:
                lg.create_dataset(n + ":0", data=weights[n], track_times=False)
    print("wrote", out)


def main():
    for name in sorted(os.listdir(HERE)):
        folder = os.path.join(HERE, name)
        if os.path.isfile(os.path.join(folder, "model.json")):
            convert(folder, os.path.join(HERE, name + ".h5"))


if __name__ == "__main__":
    main()
