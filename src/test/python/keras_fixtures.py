#!/usr/bin/python3
"""Writes the Keras HDF5 test fixtures in src/test/resources/keras/ without TensorFlow or Keras.

Run with Debian's own Python and h5py (apt-get install python3-h5py python3-numpy):

    /usr/bin/python3 src/test/python/keras_fixtures.py            # rewrites src/test/resources/keras/
    /usr/bin/python3 src/test/python/keras_fixtures.py --vgg16 target/vgg16-notop.h5

Each model is written exactly as Keras 2.2.4's save_model() lays it out: root attributes keras_version,
backend and model_config (the model's JSON), and a group model_weights whose attribute layer_names lists
every layer; each layer's group lists its weights in the attribute weight_names ("conv2d_1/kernel:0"),
and each weight is a dataset at that path inside the layer's group. Kernels are Keras' own layout:
convolutions [kh, kw, in, out] (channels_last), dense [in, out].

The fixtures: mnist-seq.h5 (Sequential, conv2d_1..conv2d_4, max pooling, dropout, flatten, dense; 28x28x1),
mnist-seq.weights.h5 (the same weights as save_weights() writes them, no configuration), rgb-functional.h5
(a functional Model, a chain: same and strided convolutions, a 3x2 kernel, LeakyReLU, average pooling,
Activation, dropout, flatten, dense; 16x16x3), tfkeras-seq.h5 (a Sequential as tf.keras 2.x saves it:
str attributes, an explicit InputLayer, tf.keras' names), and any-size.h5 / any-size-seq.h5 (fully
convolutional, input (None, None, 3), functional and Sequential), and mnist-bn.h5 (batch normalization after
convolutions and after a dense layer, as Kaggle's MNIST CNNs have it).

Beside each full model NAME.h5 goes NAME.expected.json: a fixed input image (NHWC, as Keras takes it) and the output
of chosen layers for it, computed here by hand in numpy (convolution, pooling, dense, activations), so
the Java tests compare DL4J's import and FilterScope's compiled network against an independent
computation. Outputs are in Keras' layout too ([h, w, c] for maps, [units] for dense layers; dense
layers whose activation is softmax are given before it, as FilterScope exposes them).

--vgg16 PATH writes VGG16's convolutional part with random weights in the layout of Keras' released
vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5 (58 MB; not committed). The Java tests write the same
layout themselves (KerasFixtures.writeVgg16Notop) so CI needs no Python; this is the reference to compare
that writer against.
"""
import argparse
import json
import os

import h5py
import numpy as np

KERAS_VERSION = b"2.2.4"
BACKEND = b"tensorflow"


def glorot():
    return {"class_name": "VarianceScaling",
            "config": {"scale": 1.0, "mode": "fan_avg", "distribution": "uniform", "seed": None}}


def zeros():
    return {"class_name": "Zeros", "config": {}}


def conv_config(name, filters, kernel, strides=(1, 1), padding="valid", activation="relu", input_shape=None):
    c = {"name": name, "trainable": True}
    if input_shape is not None:
        c["batch_input_shape"] = [None] + list(input_shape)
        c["dtype"] = "float32"
    c.update({"filters": filters, "kernel_size": list(kernel), "strides": list(strides), "padding": padding,
              "data_format": "channels_last", "dilation_rate": [1, 1], "activation": activation,
              "use_bias": True, "kernel_initializer": glorot(), "bias_initializer": zeros(),
              "kernel_regularizer": None, "bias_regularizer": None, "activity_regularizer": None,
              "kernel_constraint": None, "bias_constraint": None})
    return {"class_name": "Conv2D", "config": c}


def pool_config(kind, name, size=(2, 2), strides=(2, 2), padding="valid"):
    return {"class_name": kind, "config": {"name": name, "trainable": True, "pool_size": list(size),
                                           "padding": padding, "strides": list(strides),
                                           "data_format": "channels_last"}}


def dropout_config(name, rate):
    return {"class_name": "Dropout", "config": {"name": name, "trainable": True, "rate": rate,
                                                "noise_shape": None, "seed": None}}


def flatten_config(name):
    return {"class_name": "Flatten", "config": {"name": name, "trainable": True, "data_format": "channels_last"}}


def dense_config(name, units, activation):
    return {"class_name": "Dense", "config": {
        "name": name, "trainable": True, "units": units, "activation": activation, "use_bias": True,
        "kernel_initializer": glorot(), "bias_initializer": zeros(), "kernel_regularizer": None,
        "bias_regularizer": None, "activity_regularizer": None, "kernel_constraint": None,
        "bias_constraint": None}}


# --- the forward pass, by hand --------------------------------------------------------------------------

def same_padding(size, kernel, stride):
    """TensorFlow's "same": output ceil(size / stride), the odd pixel of padding at the bottom/right."""
    out = -(-size // stride)
    total = max((out - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2


def pad_hw(x, kernel, strides, padding, value=0.0):
    if padding == "valid":
        return x
    top, bottom = same_padding(x.shape[0], kernel[0], strides[0])
    left, right = same_padding(x.shape[1], kernel[1], strides[1])
    return np.pad(x, ((top, bottom), (left, right), (0, 0)), constant_values=value)


def conv2d(x, kernel, bias, strides, padding):
    """x [h, w, in], kernel [kh, kw, in, out]: cross-correlation as Keras computes it, in float64."""
    kh, kw = kernel.shape[:2]
    x = pad_hw(x, (kh, kw), strides, padding)
    oh = (x.shape[0] - kh) // strides[0] + 1
    ow = (x.shape[1] - kw) // strides[1] + 1
    out = np.zeros((oh, ow, kernel.shape[3]))
    for i in range(oh):
        for j in range(ow):
            patch = x[i * strides[0]:i * strides[0] + kh, j * strides[1]:j * strides[1] + kw, :]
            out[i, j, :] = np.tensordot(patch, kernel, axes=([0, 1, 2], [0, 1, 2]))
    return out + bias


def pool2d(x, size, strides, padding, reduce):
    if padding == "same":
        raise ValueError("fixtures use valid pooling only")
    oh = (x.shape[0] - size[0]) // strides[0] + 1
    ow = (x.shape[1] - size[1]) // strides[1] + 1
    out = np.zeros((oh, ow, x.shape[2]))
    for i in range(oh):
        for j in range(ow):
            window = x[i * strides[0]:i * strides[0] + size[0], j * strides[1]:j * strides[1] + size[1], :]
            out[i, j, :] = reduce(window.reshape(-1, x.shape[2]), axis=0)
    return out


def activation(x, name, alpha=None):
    if name == "relu":
        return np.maximum(x, 0)
    if name == "leaky":
        return np.where(x > 0, x, alpha * x)
    if name in ("linear", "softmax"):  # softmax: the logits are what FilterScope exposes
        return x
    raise ValueError(name)


def run(layers, weights, x):
    """Every layer's output for one image x [h, w, c], keyed by layer name."""
    outputs = {}
    for layer in layers:
        kind, c = layer["class_name"], layer["config"]
        if kind == "Conv2D":
            k, b = weights[c["name"]]
            x = activation(conv2d(x, k, b, c["strides"], c["padding"]), c["activation"])
        elif kind == "MaxPooling2D":
            x = pool2d(x, c["pool_size"], c["strides"], c["padding"], np.max)
        elif kind == "AveragePooling2D":
            x = pool2d(x, c["pool_size"], c["strides"], c["padding"], np.mean)
        elif kind == "LeakyReLU":
            x = activation(x, "leaky", c["alpha"])
        elif kind == "Activation":
            x = activation(x, c["activation"])
        elif kind in ("Dropout", "InputLayer"):
            pass  # identity at inference
        elif kind == "Flatten":
            x = x.reshape(-1)  # channels_last: row-major over (h, w, c), as Keras flattens
        elif kind == "BatchNormalization":  # inference: the moving statistics, over the last axis
            gamma, beta, mean, variance = weights[c["name"]]
            x = (x - mean) / np.sqrt(variance + c["epsilon"]) * gamma + beta
        elif kind == "Dense":
            k, b = weights[c["name"]]
            x = activation(x @ k + b, c["activation"])
        else:
            raise ValueError(kind)
        outputs[c["name"]] = x
    return outputs


# --- writing ---------------------------------------------------------------------------------------------

def random_weights(layers, input_shape, rng):
    """Glorot-uniform kernels and small random biases (non-zero, so a swapped bias would show)."""
    weights = {}
    shape = list(input_shape)
    for layer in layers:
        kind, c = layer["class_name"], layer["config"]
        if kind == "Conv2D":
            kh, kw = c["kernel_size"]
            fan_in, fan_out = kh * kw * shape[2], kh * kw * c["filters"]
            limit = np.sqrt(6.0 / (fan_in + fan_out))
            k = rng.uniform(-limit, limit, (kh, kw, shape[2], c["filters"])).astype(np.float32)
            b = rng.uniform(-0.1, 0.1, c["filters"]).astype(np.float32)
            weights[c["name"]] = (k, b)
            probe = conv2d(np.zeros(shape), k, b, c["strides"], c["padding"])
            shape = list(probe.shape)
        elif kind in ("MaxPooling2D", "AveragePooling2D"):
            shape = list(pool2d(np.zeros(shape), c["pool_size"], c["strides"], c["padding"], np.max).shape)
        elif kind == "Flatten":
            shape = [int(np.prod(shape))]
        elif kind == "BatchNormalization":
            n = shape[-1]
            weights[c["name"]] = (rng.uniform(0.5, 1.5, n).astype(np.float32), rng.uniform(-0.2, 0.2, n).astype(np.float32),
                                  rng.uniform(-0.3, 0.3, n).astype(np.float32), rng.uniform(0.5, 2.0, n).astype(np.float32))
        elif kind == "Dense":
            limit = np.sqrt(6.0 / (shape[0] + c["units"]))
            k = rng.uniform(-limit, limit, (shape[0], c["units"])).astype(np.float32)
            b = rng.uniform(-0.1, 0.1, c["units"]).astype(np.float32)
            weights[c["name"]] = (k, b)
            shape = [c["units"]]
    return weights


def string_list(names):
    # Keras stores name lists as fixed-length byte strings (numpy 'S' arrays); an empty list as an empty array.
    return np.array([n.encode("utf8") for n in names]) if names else np.array([], dtype=np.float64)


def write_weights(group, layer_names, weights):
    """Keras 2's save_weights_to_hdf5_group: one group per layer, weights at "<layer>/<kind>:0" inside it."""
    group.attrs["layer_names"] = string_list(layer_names)
    group.attrs["backend"] = BACKEND
    group.attrs["keras_version"] = KERAS_VERSION
    for name in sorted(layer_names):
        g = group.create_group(name)
        values = weights.get(name, ())
        names = ([name + "/gamma:0", name + "/beta:0", name + "/moving_mean:0", name + "/moving_variance:0"]
                 if len(values) == 4 else [name + "/kernel:0", name + "/bias:0"][:len(values)])
        g.attrs["weight_names"] = string_list(names)
        for weight_name, value in zip(names, values):
            g.create_dataset(weight_name, data=value, track_times=False)


def save_model(path, model_config, layer_names, weights):
    with h5py.File(path, "w") as f:
        f.attrs["keras_version"] = KERAS_VERSION
        f.attrs["backend"] = BACKEND
        f.attrs["model_config"] = json.dumps(model_config).encode("utf8")
        write_weights(f.create_group("model_weights"), layer_names, weights)


def save_expected(path, x, outputs, names):
    expected = {"input": {"shape": list(x.shape), "values": x.reshape(-1).tolist()},
                "layers": {n: {"shape": list(outputs[n].shape),
                               "values": [round(float(v), 7) for v in outputs[n].reshape(-1)]} for n in names}}
    with open(path, "w") as f:
        json.dump(expected, f, separators=(",", ":"))
        f.write("\n")


def mnist_sequential(out_dir, rng):
    """conv2d_1..conv2d_4 with max pooling, dropout, flatten and two dense layers, like the Kaggle MNIST CNN."""
    shape = (28, 28, 1)
    layers = [
        conv_config("conv2d_1", 4, (3, 3), input_shape=shape),
        conv_config("conv2d_2", 4, (3, 3)),
        pool_config("MaxPooling2D", "max_pooling2d_1"),
        dropout_config("dropout_1", 0.25),
        conv_config("conv2d_3", 6, (3, 3)),
        conv_config("conv2d_4", 6, (3, 3), padding="same"),
        pool_config("MaxPooling2D", "max_pooling2d_2"),
        dropout_config("dropout_2", 0.25),
        flatten_config("flatten_1"),
        dense_config("dense_1", 16, "relu"),
        dropout_config("dropout_3", 0.5),
        dense_config("dense_2", 10, "softmax"),
    ]
    weights = random_weights(layers, shape, rng)
    config = {"class_name": "Sequential", "config": {"name": "sequential_1", "layers": layers}}
    # Keras 2.2's Sequential.layers omits the implicit InputLayer, so model_weights does too.
    save_model(os.path.join(out_dir, "mnist-seq.h5"), config, [l["config"]["name"] for l in layers], weights)
    # The same weights as model.save_weights() writes them: the weights group's layout at the file's root.
    with h5py.File(os.path.join(out_dir, "mnist-seq.weights.h5"), "w") as f:
        write_weights(f, [l["config"]["name"] for l in layers], weights)
    x = rng.uniform(0, 1, shape)
    outputs = run(layers, weights, x)
    save_expected(os.path.join(out_dir, "mnist-seq.expected.json"), x, outputs,
                  ["conv2d_1", "conv2d_2", "max_pooling2d_1", "conv2d_3", "conv2d_4", "max_pooling2d_2",
                   "dense_1", "dense_2"])


def tf_keras_sequential(out_dir, rng):
    """A Sequential model as TensorFlow's tf.keras 2.x saves it: text attributes as (variable-length) str,
    an explicit InputLayer first in the Sequential's layer list (but not in model_weights), tf.keras'
    layer names (conv2d, conv2d_1, ...) and its initializer names."""
    shape = (20, 20, 1)
    layers = [
        conv_config("conv2d", 4, (3, 3)),
        conv_config("conv2d_1", 5, (3, 3), strides=(2, 2), padding="same"),
        pool_config("MaxPooling2D", "max_pooling2d"),
        dropout_config("dropout", 0.2),
        flatten_config("flatten"),
        dense_config("dense", 10, "softmax"),
    ]
    for layer in layers:
        layer["config"]["dtype"] = "float32"
        if "kernel_initializer" in layer["config"]:
            layer["config"]["kernel_initializer"] = {"class_name": "GlorotUniform", "config": {"seed": None}}
        if layer["class_name"] == "Conv2D":
            layer["config"]["groups"] = 1
    weights = random_weights(layers, shape, rng)
    input_layer = {"class_name": "InputLayer", "config": {"batch_input_shape": [None] + list(shape), "dtype": "float32",
                                                          "sparse": False, "ragged": False, "name": "conv2d_input"}}
    config = {"class_name": "Sequential", "config": {"name": "sequential", "layers": [input_layer] + layers}}
    path = os.path.join(out_dir, "tfkeras-seq.h5")
    save_model(path, config, [l["config"]["name"] for l in layers], weights)
    with h5py.File(path, "a") as f:
        for group in (f, f["model_weights"]):
            group.attrs["keras_version"] = "2.9.0"
            group.attrs["backend"] = "tensorflow"
    x = rng.uniform(0, 1, shape)
    outputs = run(layers, weights, x)
    save_expected(os.path.join(out_dir, "tfkeras-seq.expected.json"), x, outputs,
                  ["conv2d", "conv2d_1", "max_pooling2d", "dense"])


def batch_norm_config(name):
    return {"class_name": "BatchNormalization", "config": {
        "name": name, "trainable": True, "axis": -1, "momentum": 0.99, "epsilon": 0.001, "center": True,
        "scale": True, "beta_initializer": zeros(), "gamma_initializer": {"class_name": "Ones", "config": {}},
        "moving_mean_initializer": zeros(), "moving_variance_initializer": {"class_name": "Ones", "config": {}},
        "beta_regularizer": None, "gamma_regularizer": None, "beta_constraint": None, "gamma_constraint": None}}


def mnist_batch_norm(out_dir, rng):
    """Kaggle-style MNIST CNN with batch normalization after convolutions and after a dense layer."""
    shape = (28, 28, 1)
    layers = [
        conv_config("conv2d_1", 4, (3, 3), input_shape=shape),
        batch_norm_config("batch_normalization_1"),
        conv_config("conv2d_2", 4, (3, 3)),
        batch_norm_config("batch_normalization_2"),
        pool_config("MaxPooling2D", "max_pooling2d_1"),
        dropout_config("dropout_1", 0.25),
        flatten_config("flatten_1"),
        dense_config("dense_1", 16, "relu"),
        batch_norm_config("batch_normalization_3"),
        dropout_config("dropout_2", 0.5),
        dense_config("dense_2", 10, "softmax"),
    ]
    weights = random_weights(layers, shape, rng)
    config = {"class_name": "Sequential", "config": {"name": "sequential_1", "layers": layers}}
    save_model(os.path.join(out_dir, "mnist-bn.h5"), config, [l["config"]["name"] for l in layers], weights)
    x = rng.uniform(0, 1, shape)
    save_expected(os.path.join(out_dir, "mnist-bn.expected.json"), x, run(layers, weights, x),
                  ["conv2d_1", "batch_normalization_1", "conv2d_2", "batch_normalization_2", "max_pooling2d_1",
                   "dense_1", "batch_normalization_3", "dense_2"])


def any_size(out_dir, rng):
    """Fully convolutional models whose input is (None, None, 3), as Keras applications save include_top=False
    models: functional (any-size.h5, with expected activations for a 16x16 input) and Sequential
    (any-size-seq.h5, which DL4J's import refuses)."""
    chain = [conv_config("block1_conv1", 4, (3, 3), padding="same"),
             pool_config("MaxPooling2D", "block1_pool"),
             conv_config("block2_conv1", 6, (3, 3), padding="same")]
    weights = random_weights(chain, (16, 16, 3), rng)
    input_layer = {"name": "input_1", "class_name": "InputLayer",
                   "config": {"batch_input_shape": [None, None, None, 3], "dtype": "float32", "sparse": False,
                              "name": "input_1"}, "inbound_nodes": []}
    layers = [input_layer] + [{"name": l["config"]["name"], "class_name": l["class_name"], "config": l["config"],
                               "inbound_nodes": [[[p, 0, 0, {}]]]}
                              for p, l in zip(["input_1"] + [c["config"]["name"] for c in chain], chain)]
    config = {"class_name": "Model", "config": {"name": "model_1", "layers": layers, "input_layers": [["input_1", 0, 0]],
                                                "output_layers": [["block2_conv1", 0, 0]]}}
    save_model(os.path.join(out_dir, "any-size.h5"), config, [l["name"] for l in layers], weights)
    x = rng.uniform(0, 1, (16, 16, 3))
    save_expected(os.path.join(out_dir, "any-size.expected.json"), x, run(chain, weights, x),
                  ["block1_conv1", "block1_pool", "block2_conv1"])
    sequential = json.loads(json.dumps(chain))
    sequential[0]["config"]["batch_input_shape"] = [None, None, None, 3]
    save_model(os.path.join(out_dir, "any-size-seq.h5"),
               {"class_name": "Sequential", "config": {"name": "sequential_1", "layers": sequential}},
               [l["config"]["name"] for l in chain], weights)


def rgb_functional(out_dir, rng):
    """A functional Model (a chain, no merges): same-padded and strided convolutions, a non-square kernel,
    a LeakyReLU layer, average pooling, an Activation layer, dropout, flatten and dense layers, RGB input."""
    shape = (16, 16, 3)
    chain = [
        conv_config("conv2d_1", 8, (3, 3), padding="same", activation="linear"),
        {"class_name": "LeakyReLU", "config": {"name": "leaky_re_lu_1", "trainable": True, "alpha": 0.2}},
        conv_config("conv2d_2", 8, (3, 3), strides=(2, 2), padding="same"),
        conv_config("conv2d_3", 6, (3, 2), activation="linear"),
        {"class_name": "Activation", "config": {"name": "activation_1", "trainable": True, "activation": "relu"}},
        pool_config("AveragePooling2D", "average_pooling2d_1"),
        dropout_config("dropout_1", 0.5),
        flatten_config("flatten_1"),
        dense_config("dense_1", 12, "relu"),
        dense_config("dense_2", 5, "softmax"),
    ]
    weights = random_weights(chain, shape, rng)
    input_layer = {"name": "input_1", "class_name": "InputLayer",
                   "config": {"batch_input_shape": [None] + list(shape), "dtype": "float32", "sparse": False,
                              "name": "input_1"}, "inbound_nodes": []}
    layers = [input_layer]
    previous = "input_1"
    for layer in chain:
        name = layer["config"]["name"]
        layers.append({"name": name, "class_name": layer["class_name"], "config": layer["config"],
                       "inbound_nodes": [[[previous, 0, 0, {}]]]})
        previous = name
    config = {"class_name": "Model", "config": {"name": "model_1", "layers": layers,
                                                "input_layers": [["input_1", 0, 0]],
                                                "output_layers": [[previous, 0, 0]]}}
    save_model(os.path.join(out_dir, "rgb-functional.h5"), config, [l["name"] for l in layers], weights)
    x = rng.uniform(0, 1, shape)
    outputs = run(chain, weights, x)
    save_expected(os.path.join(out_dir, "rgb-functional.expected.json"), x, outputs,
                  ["conv2d_1", "leaky_re_lu_1", "conv2d_2", "conv2d_3", "activation_1", "average_pooling2d_1",
                   "dense_1", "dense_2"])


VGG16_BLOCKS = [[64, 64], [128, 128], [256, 256, 256], [512, 512, 512], [512, 512, 512]]


def vgg16_notop(path, rng):
    """The layout of Keras' vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5 (saved by Keras 1 with the
    TensorFlow backend): root attribute layer_names (input_1, block1_conv1 .. block5_pool), one group per
    layer whose weight_names are "<layer>_W_1:0" (kernel, [3, 3, in, out]) and "<layer>_b_1:0" (bias),
    stored directly in the layer's group."""
    names = ["input_1"]
    weights = {}
    channels = 3
    for b, block in enumerate(VGG16_BLOCKS, start=1):
        for c, out in enumerate(block, start=1):
            name = "block%d_conv%d" % (b, c)
            names.append(name)
            weights[name] = (rng.standard_normal((3, 3, channels, out), dtype=np.float32) * np.float32(0.05),
                             rng.standard_normal(out, dtype=np.float32) * np.float32(0.05))
            channels = out
        names.append("block%d_pool" % b)
    with h5py.File(path, "w") as f:
        f.attrs["layer_names"] = string_list(names)
        for name in names:
            g = f.create_group(name)
            values = weights.get(name, ())
            weight_names = [name + "_W_1:0", name + "_b_1:0"][:len(values)]
            g.attrs["weight_names"] = string_list(weight_names)
            for weight_name, value in zip(weight_names, values):
                g.create_dataset(weight_name, data=value, track_times=False)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default=os.path.join(here, "..", "resources", "keras"))
    parser.add_argument("--vgg16", metavar="PATH", help="write a random VGG16 notop weights file there instead")
    args = parser.parse_args()
    rng = np.random.default_rng(20240611)
    if args.vgg16:
        vgg16_notop(args.vgg16, rng)
        return
    os.makedirs(args.out, exist_ok=True)
    mnist_sequential(args.out, rng)
    rgb_functional(args.out, rng)
    tf_keras_sequential(args.out, rng)
    any_size(args.out, rng)
    mnist_batch_norm(args.out, rng)


if __name__ == "__main__":
    main()
