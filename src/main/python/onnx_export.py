"""Small CNNs as FilterScope ships them in ONNX: built from conv + batch norm + ReLU blocks, exported with batch
norm folded into the convolutions and readable names, and checked against an independent numpy evaluation.

Used by train_emoji_cnn.py and train_checkers.py (Debian's /usr/bin/python3 with python3-torch and
python3-onnx). The exported graphs use only Conv, Relu, MaxPool, GlobalAveragePool, Flatten and Gemm.
"""
import collections
import io

import numpy as np
import onnx
import onnx.numpy_helper
import torch
import torch.nn as nn

OPSET = 13


def conv_bn(cin, cout, kernel=3, stride=1, groups=1):
    """A convolution ("same" padding), batch norm and ReLU, folded into one Conv at export."""
    return nn.Sequential(collections.OrderedDict([
        ("conv", nn.Conv2d(cin, cout, kernel, stride, kernel // 2, groups=groups, bias=False)),
        ("bn", nn.BatchNorm2d(cout)),
        ("relu", nn.ReLU())]))


def fold_batch_norm(model):
    """Replaces, in place, every conv_bn block's convolution and batch norm by one convolution with a bias
    that computes the same in eval mode; returns the model."""
    for child in model.children():
        if isinstance(child, nn.Sequential) and isinstance(getattr(child, "bn", None), nn.BatchNorm2d):
            conv, bn = child.conv, child.bn
            scale = bn.weight / torch.sqrt(bn.running_var + bn.eps)
            fused = nn.Conv2d(conv.in_channels, conv.out_channels, conv.kernel_size, conv.stride, conv.padding,
                              groups=conv.groups, bias=True)
            fused.weight.data = conv.weight.data * scale.reshape(-1, 1, 1, 1)
            fused.bias.data = bn.bias.data - bn.running_mean * scale
            child.conv, child.bn = fused, nn.Identity()
        else:
            fold_batch_norm(child)
    return model


def export_onnx(model, path, input_shape, producer):
    """Writes the model (eval mode, batch norm already folded) to path and returns the graph. Input "image"
    [batch, C, H, W] (normalized as the metadata's "input" says), output "logits"; nodes and the tensors they
    produce are named in graph order: convK (a Conv), reluK (the ReLU after convK), poolK, avgpool, flatten,
    fc; a convolution's weights are "convK.weight" and "convK.bias"."""
    buf = io.BytesIO()
    torch.onnx.export(model.eval(), torch.zeros(1, *input_shape), buf, opset_version=OPSET,
                      input_names=["image"], output_names=["logits"],
                      dynamic_axes={"image": {0: "batch"}, "logits": {0: "batch"}}, do_constant_folding=True)
    graph = onnx.load_from_string(buf.getvalue())
    convs = pools = 0
    renamed = {}
    for node in graph.graph.node:
        if node.op_type == "Conv":
            convs += 1
            node.name = f"conv{convs}"
        elif node.op_type == "Relu":
            node.name = f"relu{convs}"
        elif node.op_type == "MaxPool":
            pools += 1
            node.name = f"pool{pools}"
        else:
            node.name = {"GlobalAveragePool": "avgpool", "Flatten": "flatten", "Gemm": "fc"}[node.op_type]
        for i, name in enumerate(node.input):
            node.input[i] = renamed.get(name, name)
        if node.op_type in ("Conv", "Gemm"):
            for i, kind in ((1, "weight"), (2, "bias")):
                renamed[node.input[i]] = f"{node.name}.{kind}"
                node.input[i] = renamed[node.input[i]]
        if node.output[0] != "logits":
            renamed[node.output[0]] = node.name
            node.output[0] = node.name
    for init in graph.graph.initializer:
        init.name = renamed[init.name]
    graph.producer_name = producer
    onnx.checker.check_model(graph, full_check=True)
    onnx.save(graph, path)
    return graph


def run_onnx_in_numpy(graph, x):
    """The graph's output for x [N, C, H, W], evaluated op by op in float64 numpy: an independent check of
    what the exported file computes (only the ops export_onnx produces)."""
    values = {i.name: onnx.numpy_helper.to_array(i).astype(np.float64) for i in graph.graph.initializer}
    values[graph.graph.input[0].name] = x
    for node in graph.graph.node:
        a = {at.name: onnx.helper.get_attribute_value(at) for at in node.attribute}
        inputs = [values[i] for i in node.input]
        if node.op_type == "Conv":
            w, b = inputs[1], inputs[2]
            (pt, pl, pb, pr), (sh, sw), groups = a.get("pads", [0] * 4), a.get("strides", [1, 1]), a.get("group", 1)
            xp = np.pad(inputs[0], ((0, 0), (0, 0), (pt, pb), (pl, pr)))
            kh, kw = w.shape[2:]
            oh, ow = (xp.shape[2] - kh) // sh + 1, (xp.shape[3] - kw) // sw + 1
            cin, cout = xp.shape[1] // groups, w.shape[0] // groups
            y = np.zeros((xp.shape[0], w.shape[0], oh, ow))
            for g in range(groups):
                xs, ws = xp[:, g * cin:(g + 1) * cin], w[g * cout:(g + 1) * cout]
                for i in range(kh):
                    for j in range(kw):
                        patch = xs[:, :, i:i + sh * (oh - 1) + 1:sh, j:j + sw * (ow - 1) + 1:sw]
                        y[:, g * cout:(g + 1) * cout] += np.einsum("nchw,oc->nohw", patch, ws[:, :, i, j])
            y += b.reshape(1, -1, 1, 1)
        elif node.op_type == "Relu":
            y = np.maximum(inputs[0], 0)
        elif node.op_type == "MaxPool":
            assert a["kernel_shape"] == a["strides"] and not any(a.get("pads", [0])), "only tiling max pools"
            kh, kw = a["kernel_shape"]
            n, c, h, w = inputs[0].shape
            y = inputs[0][:, :, :h // kh * kh, :w // kw * kw].reshape(n, c, h // kh, kh, w // kw, kw).max((3, 5))
        elif node.op_type == "GlobalAveragePool":
            y = inputs[0].mean((2, 3), keepdims=True)
        elif node.op_type == "Flatten":
            y = inputs[0].reshape(inputs[0].shape[0], -1)
        elif node.op_type == "Gemm":
            w = inputs[1].T if a.get("transB", 0) else inputs[1]
            y = a.get("alpha", 1.0) * inputs[0] @ w + a.get("beta", 1.0) * inputs[2]
        else:
            raise ValueError("no numpy evaluation of ONNX op " + node.op_type)
        values[node.output[0]] = y
    return values[graph.graph.output[0].name]


def check_export(trained, folded, graph, x):
    """Compares the folded network and the ONNX graph (in numpy) with the trained network on the batch x
    (normalized NCHW tensor); prints and returns the graph's op types. Fails unless the graph gives the same
    class for every picture and logits within 1e-3 of the logits' span."""
    with torch.no_grad():
        reference = trained.eval()(x).numpy()
        after_fold = folded.eval()(x).numpy()
    in_numpy = run_onnx_in_numpy(graph, x.numpy().astype(np.float64))
    span = float(np.ptp(reference))
    fold_error = float(np.abs(after_fold - reference).max())
    onnx_error = float(np.abs(in_numpy - reference).max())
    same_class = float(np.mean(in_numpy.argmax(1) == reference.argmax(1)))
    ops = sorted({n.op_type for n in graph.graph.node})
    print(f"  export check on {len(x)} pictures: folding batch norm changes logits by <= {fold_error:.1e}, the ONNX "
          f"graph run in numpy by <= {onnx_error:.1e} (logits span {span:.1f}); same class {same_class:.3f}; ops {ops}")
    assert onnx_error < 1e-3 * max(1.0, span) and same_class == 1.0, "the exported graph disagrees with PyTorch"
    return ops
