// Writes small models with the topology of each Keras applications family as TF.js layers models, with
// random weights, and TF.js's own activations for a fixed input at several layers (the reference):
//
//   NODE_PATH=.../node_modules node src/test/node/families.js src/test/resources/keras/families [NAME,...]
//
// (the kinds_* models, layer kinds the families do not use, go to src/test/resources/keras/kinds)
// Each family gets DIR/NAME/model.json + weights.bin (TF.js's own save format), input.f32 (NHWC float32),
// and expected/LAYER.f32 + expected/index.json. src/test/python/tfjs_to_keras.py then writes the same model
// as Keras 2 .h5 and Keras 3 .keras. Fewer blocks and channels than the real networks, and small inputs, but
// the same layer kinds and wiring (Keras applications' layer names where it helps reading).
const fs = require("fs");
const path = require("path");
const tf = require("@tensorflow/tfjs");
const { register } = require("./custom_layers.js");
register(tf);
const { LayerScale, CustomScaleLayer, Normalization } = register.classes;
const L = tf.layers;

let seed = 1;
function rand() {
  // mulberry32: the same weights on every run
  seed |= 0; seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
function uniform(shape, lo, hi) {
  const n = shape.reduce((a, b) => a * b, 1);
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) v[i] = lo + (hi - lo) * rand();
  return tf.tensor(v, shape);
}

// Keras-style building blocks
const conv = (x, filters, k, o = {}) => L.conv2d({ filters, kernelSize: k, strides: o.s || 1, padding: o.p || "same",
  useBias: o.bias ?? true, activation: o.act || "linear", dilationRate: o.d || 1, name: o.name }).apply(x);
const bn = (x, name, o = {}) => L.batchNormalization({ axis: -1, epsilon: 1.001e-5, scale: o.scale ?? true, center: o.center ?? true, name }).apply(x);
const act = (x, a, name) => L.activation({ activation: a, name }).apply(x);
const relu6 = (x, name) => L.reLU({ maxValue: 6, name }).apply(x);
const pad = (x, p, name) => L.zeroPadding2d({ padding: p, name }).apply(x);
const add = (xs, name) => L.add({ name }).apply(xs);
const gap = (x, name) => L.globalAveragePooling2d({ name }).apply(x);
const dense = (x, units, a, name) => L.dense({ units, activation: a, name }).apply(x);
const dw = (x, k, o = {}) => L.depthwiseConv2d({ kernelSize: k, strides: o.s || 1, padding: o.p || "same", useBias: o.bias ?? false,
  depthMultiplier: o.m || 1, dilationRate: o.d || 1, name: o.name }).apply(x);
// MobileNetV3's hard sigmoid relu6(x + 3) / 6 and hard swish x * hard_sigmoid(x), from built-in layers.
const hardSigmoid = (x, name) => L.rescaling({ scale: 1 / 6, offset: 0, name: name + "_div" }).apply(
  relu6(L.rescaling({ scale: 1, offset: 3, name: name + "_add" }).apply(x), name + "_relu6"));
const hardSwish = (x, name) => L.multiply({ name: name + "_mul" }).apply([x, hardSigmoid(x, name)]);

const FAMILIES = {
  vgg16: { size: 32, layers: ["block1_conv1", "block2_pool", "fc1", "predictions"], build(x) {
    x = conv(x, 8, 3, { act: "relu", name: "block1_conv1" }); x = conv(x, 8, 3, { act: "relu", name: "block1_conv2" });
    x = L.maxPooling2d({ poolSize: 2, strides: 2, name: "block1_pool" }).apply(x);
    x = conv(x, 16, 3, { act: "relu", name: "block2_conv1" }); x = conv(x, 16, 3, { act: "relu", name: "block2_conv2" });
    x = L.maxPooling2d({ poolSize: 2, strides: 2, name: "block2_pool" }).apply(x);
    x = L.flatten({ name: "flatten" }).apply(x);
    x = dense(x, 32, "relu", "fc1"); return dense(x, 10, "softmax", "predictions");
  } },
  resnet50: { size: 48, layers: ["conv1_conv", "conv2_block1_out", "conv3_block1_out", "predictions"], build(x) {
    x = pad(x, 3, "conv1_pad"); x = conv(x, 8, 7, { s: 2, p: "valid", name: "conv1_conv" });
    x = bn(x, "conv1_bn"); x = act(x, "relu", "conv1_relu");
    x = pad(x, 1, "pool1_pad"); x = L.maxPooling2d({ poolSize: 3, strides: 2, name: "pool1_pool" }).apply(x);
    const block = (x, f, s, shortcut, name) => {
      let sc = x;
      if (shortcut) { sc = conv(x, 4 * f, 1, { s, p: "valid", name: name + "_0_conv" }); sc = bn(sc, name + "_0_bn"); }
      let y = conv(x, f, 1, { s, p: "valid", name: name + "_1_conv" }); y = bn(y, name + "_1_bn"); y = act(y, "relu", name + "_1_relu");
      y = conv(y, f, 3, { name: name + "_2_conv" }); y = bn(y, name + "_2_bn"); y = act(y, "relu", name + "_2_relu");
      y = conv(y, 4 * f, 1, { p: "valid", name: name + "_3_conv" }); y = bn(y, name + "_3_bn");
      return act(add([sc, y], name + "_add"), "relu", name + "_out");
    };
    x = block(x, 4, 1, true, "conv2_block1"); x = block(x, 4, 1, false, "conv2_block2");
    x = block(x, 8, 2, true, "conv3_block1");
    x = gap(x, "avg_pool"); return dense(x, 10, "softmax", "predictions");
  } },
  resnet50v2: { size: 48, layers: ["conv1_conv", "conv2_block1_out", "conv2_block2_out", "post_relu", "predictions"], build(x) {
    x = pad(x, 3, "conv1_pad"); x = conv(x, 8, 7, { s: 2, p: "valid", name: "conv1_conv" });
    x = pad(x, 1, "pool1_pad"); x = L.maxPooling2d({ poolSize: 3, strides: 2, name: "pool1_pool" }).apply(x);
    const block = (x, f, s, shortcut, name) => {
      const pre = act(bn(x, name + "_preact_bn"), "relu", name + "_preact_relu");
      let sc = shortcut ? conv(pre, 4 * f, 1, { s, p: "valid", name: name + "_0_conv" })
        : s > 1 ? L.maxPooling2d({ poolSize: 1, strides: s, name: name + "_0_max" }).apply(x) : x;
      let y = conv(pre, f, 1, { p: "valid", bias: false, name: name + "_1_conv" }); y = act(bn(y, name + "_1_bn"), "relu", name + "_1_relu");
      y = pad(y, 1, name + "_2_pad"); y = conv(y, f, 3, { s, p: "valid", bias: false, name: name + "_2_conv" });
      y = act(bn(y, name + "_2_bn"), "relu", name + "_2_relu");
      y = conv(y, 4 * f, 1, { p: "valid", name: name + "_3_conv" });
      return add([sc, y], name + "_out");
    };
    x = block(x, 4, 1, true, "conv2_block1"); x = block(x, 4, 2, false, "conv2_block2");
    x = act(bn(x, "post_bn"), "relu", "post_relu");
    x = gap(x, "avg_pool"); return dense(x, 10, "softmax", "predictions");
  } },
  inception_v3: { size: 75, layers: ["conv2d_1", "mixed0", "mixed1", "mixed2", "predictions"], build(x) {
    let n = 0;
    const cb = (x, f, kh, kw, s = 1, p = "same") => {
      n++; x = L.conv2d({ filters: f, kernelSize: [kh, kw], strides: s, padding: p, useBias: false, name: "conv2d_" + n }).apply(x);
      x = bn(x, "batch_normalization_" + n, { scale: false }); return act(x, "relu", "activation_" + n);
    };
    x = cb(x, 8, 3, 3, 2, "valid"); x = cb(x, 8, 3, 3, 1, "valid"); x = cb(x, 16, 3, 3);
    x = L.maxPooling2d({ poolSize: 3, strides: 2, name: "max_pooling2d_1" }).apply(x);
    x = cb(x, 16, 1, 1, 1, "valid"); x = cb(x, 24, 3, 3, 1, "valid");
    x = L.maxPooling2d({ poolSize: 3, strides: 2, name: "max_pooling2d_2" }).apply(x);
    // mixed 0: 35 x 35 block
    let b1 = cb(x, 8, 1, 1); let b5 = cb(cb(x, 6, 1, 1), 8, 5, 5); let b3 = cb(cb(cb(x, 8, 1, 1), 12, 3, 3), 12, 3, 3);
    let bp = cb(L.averagePooling2d({ poolSize: 3, strides: 1, padding: "same", name: "average_pooling2d_1" }).apply(x), 4, 1, 1);
    x = L.concatenate({ axis: -1, name: "mixed0" }).apply([b1, b5, b3, bp]);
    // mixed 1: reduction
    let r3 = cb(x, 16, 3, 3, 2, "valid"); let rd = cb(cb(cb(x, 8, 1, 1), 12, 3, 3), 12, 3, 3, 2, "valid");
    let rp = L.maxPooling2d({ poolSize: 3, strides: 2, name: "max_pooling2d_3" }).apply(x);
    x = L.concatenate({ axis: 3, name: "mixed1" }).apply([r3, rd, rp]);
    // mixed 2: 1x7 / 7x1 factorized block
    b1 = cb(x, 8, 1, 1); let b7 = cb(cb(cb(x, 6, 1, 1), 6, 1, 7), 8, 7, 1);
    let b7d = cb(cb(cb(x, 6, 1, 1), 6, 7, 1), 8, 1, 7);
    bp = cb(L.averagePooling2d({ poolSize: 3, strides: 1, padding: "same", name: "average_pooling2d_2" }).apply(x), 8, 1, 1);
    x = L.concatenate({ axis: -1, name: "mixed2" }).apply([b1, b7, b7d, bp]);
    x = gap(x, "avg_pool"); return dense(x, 10, "softmax", "predictions");
  } },
  inception_resnet_v2: { size: 75, layers: ["conv2d_1", "mixed_5b", "block35_1_ac", "mixed_6a", "block17_1_ac", "predictions"], build(x) {
    let n = 0;
    const cb = (x, f, k, s = 1, p = "same", a = "relu", name) => {
      n++; const cn = name || "conv2d_" + n;
      x = L.conv2d({ filters: f, kernelSize: k, strides: s, padding: p, useBias: !!name, name: cn }).apply(x);
      if (name) return x; // the residual's linear 1x1 convolution has a bias and no batch norm
      x = bn(x, "batch_normalization_" + n, { scale: false }); return act(x, a, "activation_" + n);
    };
    x = cb(x, 8, 3, 2, "valid"); x = cb(x, 8, 3, 1, "valid"); x = cb(x, 16, 3);
    x = L.maxPooling2d({ poolSize: 3, strides: 2, name: "max_pooling2d_1" }).apply(x);
    x = cb(x, 16, 1, 1, "valid"); x = cb(x, 24, 3, 1, "valid");
    x = L.maxPooling2d({ poolSize: 3, strides: 2, name: "max_pooling2d_2" }).apply(x);
    let b0 = cb(x, 8, 1); let b1 = cb(cb(x, 6, 1), 8, 5); let b2 = cb(cb(cb(x, 8, 1), 12, 3), 12, 3);
    let bp = cb(L.averagePooling2d({ poolSize: 3, strides: 1, padding: "same", name: "average_pooling2d_1" }).apply(x), 8, 1);
    x = L.concatenate({ axis: -1, name: "mixed_5b" }).apply([b0, b1, b2, bp]);
    const block = (x, scale, branches, name) => {
      const mixed = L.concatenate({ axis: -1, name: name + "_mixed" }).apply(branches(x));
      const up = cb(mixed, x.shape[3], 1, 1, "same", null, name + "_conv");
      x = new CustomScaleLayer({ scale, name }).apply([x, up]);
      return act(x, "relu", name + "_ac");
    };
    x = block(x, 0.17, (x) => [cb(x, 8, 1), cb(cb(x, 8, 1), 8, 3), cb(cb(cb(x, 8, 1), 12, 3), 16, 3)], "block35_1");
    let r0 = cb(x, 16, 3, 2, "valid"); let r1 = cb(cb(cb(x, 8, 1), 8, 3), 16, 3, 2, "valid");
    let rp = L.maxPooling2d({ poolSize: 3, strides: 2, name: "max_pooling2d_3" }).apply(x);
    x = L.concatenate({ axis: -1, name: "mixed_6a" }).apply([r0, r1, rp]);
    x = block(x, 0.1, (x) => [cb(x, 16, 1), cb(cb(cb(x, 8, 1), 10, [1, 7]), 12, [7, 1])], "block17_1");
    x = cb(x, 32, 1, 1, "same"); // conv_7b
    x = gap(x, "avg_pool"); return dense(x, 10, "softmax", "predictions");
  } },
  xception: { size: 48, layers: ["block1_conv1", "add", "block4_sepconv2_bn", "block14_sepconv2_act", "predictions"], build(x) {
    x = conv(x, 8, 3, { s: 2, p: "valid", bias: false, name: "block1_conv1" }); x = act(bn(x, "block1_conv1_bn"), "relu", "block1_conv1_act");
    x = conv(x, 16, 3, { p: "valid", bias: false, name: "block1_conv2" }); x = act(bn(x, "block1_conv2_bn"), "relu", "block1_conv2_act");
    const sep = (x, f, name) => L.separableConv2d({ filters: f, kernelSize: 3, padding: "same", useBias: false, name }).apply(x);
    let res = bn(conv(x, 32, 1, { s: 2, bias: false, name: "conv2d" }), "batch_normalization");
    x = bn(sep(x, 32, "block2_sepconv1"), "block2_sepconv1_bn"); x = act(x, "relu", "block2_sepconv2_act");
    x = bn(sep(x, 32, "block2_sepconv2"), "block2_sepconv2_bn");
    x = L.maxPooling2d({ poolSize: 3, strides: 2, padding: "same", name: "block2_pool" }).apply(x);
    x = add([x, res], "add");
    // a middle-flow block: three relu + separable + bn, residual
    res = x;
    for (let i = 1; i <= 3; i++) { x = act(x, "relu", "block4_sepconv" + i + "_act"); x = bn(sep(x, 32, "block4_sepconv" + i), "block4_sepconv" + i + "_bn"); }
    x = add([x, res], "add_1");
    x = act(bn(sep(x, 48, "block14_sepconv1"), "block14_sepconv1_bn"), "relu", "block14_sepconv1_act");
    x = act(bn(sep(x, 64, "block14_sepconv2"), "block14_sepconv2_bn"), "relu", "block14_sepconv2_act");
    x = gap(x, "avg_pool"); return dense(x, 10, "softmax", "predictions");
  } },
  mobilenet: { size: 32, layers: ["conv1", "conv_pw_1_relu", "conv_pw_2_relu", "conv_preds"], build(x) {
    x = pad(x, [[0, 1], [0, 1]], "conv1_pad"); x = conv(x, 8, 3, { s: 2, p: "valid", bias: false, name: "conv1" });
    x = relu6(bn(x, "conv1_bn"), "conv1_relu");
    const block = (x, f, s, id) => {
      if (s > 1) x = pad(x, [[0, 1], [0, 1]], "conv_pad_" + id);
      x = dw(x, 3, { s, p: s > 1 ? "valid" : "same", name: "conv_dw_" + id }); x = relu6(bn(x, "conv_dw_" + id + "_bn"), "conv_dw_" + id + "_relu");
      x = conv(x, f, 1, { bias: false, name: "conv_pw_" + id }); return relu6(bn(x, "conv_pw_" + id + "_bn"), "conv_pw_" + id + "_relu");
    };
    x = block(x, 16, 1, 1); x = block(x, 24, 2, 2);
    x = gap(x, "global_average_pooling2d"); x = L.reshape({ targetShape: [1, 1, 24], name: "reshape_1" }).apply(x);
    x = L.dropout({ rate: 1e-3, name: "dropout" }).apply(x);
    x = conv(x, 10, 1, { name: "conv_preds" }); x = L.reshape({ targetShape: [10], name: "reshape_2" }).apply(x);
    return act(x, "softmax", "predictions");
  } },
  mobilenet_v2: { size: 32, layers: ["Conv1", "block_1_expand_relu", "block_2_add", "out_relu", "predictions"], build(x) {
    x = conv(x, 8, 3, { s: 2, bias: false, name: "Conv1" }); x = relu6(bn(x, "bn_Conv1"), "Conv1_relu");
    const block = (x, f, s, e, id) => {
      const p = id ? "block_" + id + "_" : "expanded_conv_";
      let y = x;
      if (id) { y = conv(y, x.shape[3] * e, 1, { bias: false, name: p + "expand" }); y = relu6(bn(y, p + "expand_BN"), p + "expand_relu"); }
      if (s === 2) y = pad(y, [[0, 1], [0, 1]], p + "pad");
      y = dw(y, 3, { s, p: s === 2 ? "valid" : "same", name: p + "depthwise" }); y = relu6(bn(y, p + "depthwise_BN"), p + "depthwise_relu");
      y = conv(y, f, 1, { bias: false, name: p + "project" }); y = bn(y, p + "project_BN");
      return s === 1 && x.shape[3] === f ? add([x, y], p + "add") : y;
    };
    x = block(x, 8, 1, 1, 0); x = block(x, 12, 2, 6, 1); x = block(x, 12, 1, 6, 2);
    x = conv(x, 32, 1, { bias: false, name: "Conv_1" }); x = relu6(bn(x, "Conv_1_bn"), "out_relu");
    x = gap(x, "global_average_pooling2d"); return dense(x, 10, "softmax", "predictions");
  } },
  mobilenet_v3_small: { size: 32, layers: ["conv", "expanded_conv_squeeze_excite_mul", "expanded_conv_1_add", "conv_1_mul", "predictions"], build(x) {
    x = L.rescaling({ scale: 1 / 127.5, offset: -1, name: "rescaling" }).apply(x);
    x = conv(x, 8, 3, { s: 2, bias: false, name: "conv" }); x = hardSwish(bn(x, "conv_bn"), "conv");
    const se = (x, name) => {
      const c = x.shape[3];
      let s = gap(x, name + "_avg_pool"); s = L.reshape({ targetShape: [1, 1, c], name: name + "_reshape" }).apply(s);
      s = conv(s, Math.max(4, c / 4), 1, { name: name + "_conv" }); s = act(s, "relu", name + "_relu");
      s = conv(s, c, 1, { name: name + "_conv_1" }); s = hardSigmoid(s, name + "_hsig");
      return L.multiply({ name: name + "_mul" }).apply([x, s]);
    };
    // expanded_conv: depthwise s2, squeeze-excite, project (ReLU)
    let y = pad(x, [[0, 1], [0, 1]], "expanded_conv_depthwise_pad");
    y = dw(y, 3, { s: 2, p: "valid", name: "expanded_conv_depthwise" }); y = act(bn(y, "expanded_conv_depthwise_bn"), "relu", "expanded_conv_relu");
    y = se(y, "expanded_conv_squeeze_excite");
    x = bn(conv(y, 8, 1, { bias: false, name: "expanded_conv_project" }), "expanded_conv_project_bn");
    // expanded_conv_1: expand, depthwise 5x5 s1, hard swish, squeeze-excite, project, residual
    y = hardSwish(bn(conv(x, 24, 1, { bias: false, name: "expanded_conv_1_expand" }), "expanded_conv_1_expand_bn"), "expanded_conv_1_expand");
    y = hardSwish(bn(dw(y, 5, { name: "expanded_conv_1_depthwise" }), "expanded_conv_1_depthwise_bn"), "expanded_conv_1_depthwise");
    y = se(y, "expanded_conv_1_squeeze_excite");
    y = bn(conv(y, 8, 1, { bias: false, name: "expanded_conv_1_project" }), "expanded_conv_1_project_bn");
    x = add([x, y], "expanded_conv_1_add");
    x = hardSwish(bn(conv(x, 32, 1, { bias: false, name: "conv_1" }), "conv_1_bn"), "conv_1");
    x = gap(x, "global_average_pooling2d"); return dense(x, 10, "softmax", "predictions");
  } },
  efficientnetb0: { size: 32, layers: ["normalization", "stem_activation", "block1a_se_excite", "block2a_project_bn", "top_activation", "predictions"], build(x) {
    x = L.rescaling({ scale: 1 / 255, offset: 0, name: "rescaling" }).apply(x);
    x = new Normalization({ axis: -1, name: "normalization" }).apply(x);
    x = pad(x, [[0, 1], [0, 1]], "stem_conv_pad"); x = conv(x, 8, 3, { s: 2, p: "valid", bias: false, name: "stem_conv" });
    x = act(bn(x, "stem_bn"), "swish", "stem_activation");
    const se = (x, filters, name) => {
      let s = gap(x, name + "_se_squeeze"); s = L.reshape({ targetShape: [1, 1, x.shape[3]], name: name + "_se_reshape" }).apply(s);
      s = conv(s, Math.max(1, filters / 4), 1, { act: "swish", name: name + "_se_reduce" });
      s = conv(s, x.shape[3], 1, { act: "sigmoid", name: name + "_se_expand" });
      return L.multiply({ name: name + "_se_excite" }).apply([x, s]);
    };
    // block1a: depthwise, SE, project
    let y = act(bn(dw(x, 3, { name: "block1a_dwconv" }), "block1a_bn"), "swish", "block1a_activation");
    y = se(y, 8, "block1a");
    x = bn(conv(y, 8, 1, { bias: false, name: "block1a_project_conv" }), "block1a_project_bn");
    // block2a: expand, padded depthwise s2, SE, project
    y = act(bn(conv(x, 48, 1, { bias: false, name: "block2a_expand_conv" }), "block2a_expand_bn"), "swish", "block2a_expand_activation");
    y = pad(y, [[0, 1], [0, 1]], "block2a_dwconv_pad");
    y = act(bn(dw(y, 3, { s: 2, p: "valid", name: "block2a_dwconv" }), "block2a_bn"), "swish", "block2a_activation");
    y = se(y, 8, "block2a");
    x = bn(conv(y, 12, 1, { bias: false, name: "block2a_project_conv" }), "block2a_project_bn");
    // block2b: the same at stride 1, with dropout and the residual
    y = act(bn(conv(x, 72, 1, { bias: false, name: "block2b_expand_conv" }), "block2b_expand_bn"), "swish", "block2b_expand_activation");
    y = act(bn(dw(y, 5, { name: "block2b_dwconv" }), "block2b_bn"), "swish", "block2b_activation");
    y = se(y, 12, "block2b");
    y = bn(conv(y, 12, 1, { bias: false, name: "block2b_project_conv" }), "block2b_project_bn");
    y = L.dropout({ rate: 0.025, noiseShape: [null, 1, 1, 1], name: "block2b_drop" }).apply(y);
    x = add([y, x], "block2b_add");
    x = act(bn(conv(x, 32, 1, { bias: false, name: "top_conv" }), "top_bn"), "swish", "top_activation");
    x = gap(x, "avg_pool"); x = L.dropout({ rate: 0.2, name: "top_dropout" }).apply(x);
    return dense(x, 10, "softmax", "predictions");
  } },
  efficientnetv2_b0: { size: 32, layers: ["stem_activation", "block1a_project_activation", "block2a_project_bn", "block3a_se_excite", "predictions"], build(x) {
    x = L.rescaling({ scale: 1 / 255, offset: 0, name: "rescaling" }).apply(x);
    x = conv(x, 8, 3, { s: 2, bias: false, name: "stem_conv" }); x = act(bn(x, "stem_bn"), "swish", "stem_activation");
    // FusedMBConv without expansion: 3x3 conv, residual
    let y = act(bn(conv(x, 8, 3, { bias: false, name: "block1a_project_conv" }), "block1a_project_bn"), "swish", "block1a_project_activation");
    x = add([y, x], "block1a_add");
    // FusedMBConv with expansion, stride 2
    y = act(bn(conv(x, 32, 3, { s: 2, bias: false, name: "block2a_expand_conv" }), "block2a_expand_bn"), "swish", "block2a_expand_activation");
    x = bn(conv(y, 16, 1, { bias: false, name: "block2a_project_conv" }), "block2a_project_bn");
    // MBConv with squeeze-excite, stride 2
    y = act(bn(conv(x, 64, 1, { bias: false, name: "block3a_expand_conv" }), "block3a_expand_bn"), "swish", "block3a_expand_activation");
    y = act(bn(dw(y, 3, { s: 2, name: "block3a_dwconv2" }), "block3a_bn"), "swish", "block3a_activation");
    let s = gap(y, "block3a_se_squeeze"); s = L.reshape({ targetShape: [1, 1, 64], name: "block3a_se_reshape" }).apply(s);
    s = conv(s, 4, 1, { act: "swish", name: "block3a_se_reduce" }); s = conv(s, 64, 1, { act: "sigmoid", name: "block3a_se_expand" });
    y = L.multiply({ name: "block3a_se_excite" }).apply([y, s]);
    x = bn(conv(y, 24, 1, { bias: false, name: "block3a_project_conv" }), "block3a_project_bn");
    x = act(bn(conv(x, 48, 1, { bias: false, name: "top_conv" }), "top_bn"), "swish", "top_activation");
    x = gap(x, "avg_pool"); return dense(x, 10, "softmax", "predictions");
  } },
  densenet121: { size: 48, layers: ["conv1/relu", "conv2_block2_concat", "pool2_pool", "conv3_block1_concat", "predictions"], build(x) {
    x = pad(x, 3, "zero_padding2d"); x = conv(x, 8, 7, { s: 2, p: "valid", bias: false, name: "conv1/conv" });
    x = act(bn(x, "conv1/bn"), "relu", "conv1/relu");
    x = pad(x, 1, "zero_padding2d_1"); x = L.maxPooling2d({ poolSize: 3, strides: 2, name: "pool1" }).apply(x);
    const convBlock = (x, name) => {
      let y = act(bn(x, name + "_0_bn"), "relu", name + "_0_relu");
      y = conv(y, 16, 1, { bias: false, name: name + "_1_conv" }); y = act(bn(y, name + "_1_bn"), "relu", name + "_1_relu");
      y = conv(y, 4, 3, { bias: false, name: name + "_2_conv" });
      return L.concatenate({ axis: 3, name: name + "_concat" }).apply([x, y]);
    };
    x = convBlock(x, "conv2_block1"); x = convBlock(x, "conv2_block2");
    x = act(bn(x, "pool2_bn"), "relu", "pool2_relu"); x = conv(x, 8, 1, { bias: false, name: "pool2_conv" });
    x = L.averagePooling2d({ poolSize: 2, strides: 2, name: "pool2_pool" }).apply(x);
    x = convBlock(x, "conv3_block1");
    x = act(bn(x, "bn"), "relu", "relu");
    x = gap(x, "avg_pool"); return dense(x, 10, "softmax", "predictions");
  } },
  // Layer kinds the families above do not use, a few per model (TF.js has no Subtract, no grouped Conv2D,
  // no ReLU threshold or slope: keras_kinds.py writes those as Keras files itself).
  // (TF.js's DepthwiseConv2D ignores dilation_rate, tfjs-layers 4.22: dilated depthwise layers are checked
  // against PyTorch in op_references.py instead.)
  kinds_convolutions: { size: 20, layers: ["dilated", "dilated_same_s1", "depthwise_x2", "depthwise_same", "separable_x2", "prelu",
    "prelu_shared"], build(x) {
    x = conv(x, 6, 3, { d: 2, p: "valid", act: "elu", name: "dilated" });
    x = conv(x, 6, 3, { d: [2, 3], act: "selu", name: "dilated_same_s1" });
    x = dw(x, 3, { m: 2, s: 2, bias: true, name: "depthwise_x2" });
    x = dw(x, 5, { bias: true, name: "depthwise_same" });
    x = L.separableConv2d({ filters: 5, kernelSize: 3, strides: 1, padding: "same", depthMultiplier: 2, activation: "tanh", name: "separable_x2" }).apply(x);
    x = L.prelu({ name: "prelu" }).apply(x);
    return L.prelu({ sharedAxes: [1, 2], name: "prelu_shared" }).apply(conv(x, 4, 1, { name: "before_shared" }));
  } },
  kinds_activations: { size: 12, layers: ["hard_sigmoid", "softplus", "softsign", "leaky", "thresholded", "elu_layer", "relu_max",
    "gelu", "gelu_new", "sigmoid", "softmax_mid", "swish"], build(x) {
    x = conv(x, 6, 3, { name: "c0" });
    for (const [a, name] of [["hardSigmoid", "hard_sigmoid"], ["softplus", "softplus"], ["softsign", "softsign"]]) {
      x = act(conv(x, 6, 1, { name: name + "_conv" }), a, name);
    }
    x = L.leakyReLU({ alpha: 0.2, name: "leaky" }).apply(conv(x, 6, 1, { name: "leaky_conv" }));
    x = L.thresholdedReLU({ theta: 0.1, name: "thresholded" }).apply(conv(x, 6, 1, { name: "thresholded_conv" }));
    x = L.elu({ alpha: 1, name: "elu_layer" }).apply(conv(x, 6, 1, { name: "elu_conv" }));
    x = L.reLU({ maxValue: 0.5, name: "relu_max" }).apply(conv(x, 6, 1, { name: "relu_max_conv" }));
    x = act(conv(x, 6, 1, { name: "gelu_conv" }), "gelu", "gelu");
    x = act(conv(x, 6, 1, { name: "gelu_new_conv" }), "gelu_new", "gelu_new");
    x = act(conv(x, 6, 1, { name: "sigmoid_conv" }), "sigmoid", "sigmoid");
    x = L.softmax({ axis: -1, name: "softmax_mid" }).apply(conv(x, 6, 1, { name: "softmax_conv" }));
    return act(conv(x, 6, 1, { name: "swish_conv" }), "swish", "swish");
  } },
  kinds_shapes: { size: 16, layers: ["crop", "up_nearest", "pad_uneven", "after_permute", "concat_rows", "concat_cols", "maximum", "minimum",
    "average", "global_max", "dense_rows"], build(x) {
    x = conv(x, 4, 3, { act: "relu", name: "c0" });
    x = L.cropping2D({ cropping: [[1, 2], [0, 3]], name: "crop" }).apply(x);
    x = L.upSampling2d({ size: [2, 3], name: "up_nearest" }).apply(x);
    x = pad(x, [[2, 0], [1, 3]], "pad_uneven");
    const p = L.permute({ dims: [2, 1, 3], name: "permute" }).apply(x);
    const c = conv(p, 4, 3, { name: "after_permute" });
    const rows = L.concatenate({ axis: 1, name: "concat_rows" }).apply([c, conv(c, 4, 1, { name: "c1" })]);
    const cols = L.concatenate({ axis: 2, name: "concat_cols" }).apply([rows, conv(rows, 4, 1, { name: "c2" })]);
    const a = conv(cols, 4, 1, { name: "a" }); const b = conv(cols, 4, 1, { name: "b" });
    const mx = L.maximum({ name: "maximum" }).apply([a, b, cols]); const mn = L.minimum({ name: "minimum" }).apply([a, b]);
    x = L.average({ name: "average" }).apply([mx, mn]);
    x = L.maxPooling2d({ poolSize: 3, strides: 2, padding: "same", name: "pool_same" }).apply(x);
    x = L.globalMaxPooling2d({ name: "global_max" }).apply(x);
    return L.dense({ units: 3, name: "dense_rows" }).apply(x);
  } },
  // TF.js resizes bilinearly without half-pixel centres (Keras with them), so this one has no Keras forms.
  kinds_bilinear: { size: 10, layers: ["up_bilinear", "up_bilinear_2x3", "out"], build(x) {
    x = L.upSampling2d({ size: [2, 2], interpolation: "bilinear", name: "up_bilinear" }).apply(conv(x, 4, 3, { name: "c0" }));
    x = L.upSampling2d({ size: [2, 3], interpolation: "bilinear", name: "up_bilinear_2x3" }).apply(x);
    return conv(x, 3, 3, { name: "out" });
  } },
  kinds_normalization: { size: 12, layers: ["bn_no_center", "bn_no_scale_center", "ln_plain", "ln_no_center", "bn_rows", "out"], build(x) {
    x = conv(x, 5, 3, { name: "c0" });
    x = bn(x, "bn_no_center", { center: false });
    x = bn(conv(x, 5, 3, { name: "c1" }), "bn_no_scale_center", { center: false, scale: false });
    x = L.layerNormalization({ center: false, scale: false, name: "ln_plain" }).apply(x);
    x = L.layerNormalization({ center: false, name: "ln_no_center" }).apply(x);
    x = L.flatten({ name: "flat" }).apply(x);
    x = L.batchNormalization({ name: "bn_rows" }).apply(dense(x, 7, "linear", "d0"));
    return dense(x, 3, "linear", "out");
  } },
  convnext_tiny: { size: 32, layers: ["convnext_tiny_stem", "convnext_tiny_stage_0_block_0_depthwise_conv", "convnext_tiny_stage_0_block_0_layer_scale",
    "convnext_tiny_downsampling_block_0", "convnext_tiny_head_layernorm", "predictions"], build(x) {
    const p = "convnext_tiny";
    x = new Normalization({ axis: -1, name: p + "_prestem_normalization" }).apply(x);
    x = conv(x, 8, 4, { s: 4, p: "valid", name: p + "_stem" });
    x = L.layerNormalization({ epsilon: 1e-6, name: p + "_stem_layernorm" }).apply(x);
    const block = (x, dim, name) => {
      let y = dw(x, 7, { bias: true, name: name + "_depthwise_conv" });
      y = L.layerNormalization({ epsilon: 1e-6, name: name + "_layernorm" }).apply(y);
      y = dense(y, 4 * dim, "linear", name + "_pointwise_conv_1"); y = act(y, "gelu", name + "_gelu");
      y = dense(y, dim, "linear", name + "_pointwise_conv_2");
      y = new LayerScale({ init_values: 1e-6, projection_dim: dim, name: name + "_layer_scale" }).apply(y);
      return add([x, y], name + "_add");
    };
    x = block(x, 8, p + "_stage_0_block_0");
    x = L.layerNormalization({ epsilon: 1e-6, name: p + "_downsampling_layernorm_0" }).apply(x);
    x = conv(x, 16, 2, { s: 2, p: "valid", name: p + "_downsampling_block_0" });
    x = block(x, 16, p + "_stage_1_block_0");
    x = gap(x, p + "_head_gap"); x = L.layerNormalization({ epsilon: 1e-6, name: p + "_head_layernorm" }).apply(x);
    return dense(x, 10, "softmax", "predictions");
  } },
};

async function save(model, dir) {
  fs.mkdirSync(dir, { recursive: true });
  await model.save(tf.io.withSaveHandler(async (a) => {
    const json = { format: "layers-model", generatedBy: "TensorFlow.js tfjs-layers v" + tf.version.tfjs, convertedBy: null,
      modelTopology: a.modelTopology, weightsManifest: [{ paths: ["weights.bin"], weights: a.weightSpecs }] };
    fs.writeFileSync(path.join(dir, "model.json"), JSON.stringify(json));
    fs.writeFileSync(path.join(dir, "weights.bin"), Buffer.from(a.weightData));
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" } };
  }));
}

/** Random but well-scaled weights: kernels like He initialization, batch statistics and scales near their usual ranges. */
function randomize(model) {
  for (const layer of model.layers) {
    const ws = layer.getWeights();
    if (!ws.length) continue;
    layer.setWeights(layer.weights.map((w, i) => {
      const shape = ws[i].shape;
      const name = w.originalName || w.name;
      if (/moving_variance|variance$/.test(name)) return uniform(shape, 0.5, 1.5);
      if (/gamma$/.test(name)) return uniform(shape, 0.7, 1.3);
      if (/count$/.test(name)) return ws[i];
      if (/moving_mean|beta|bias|mean$/.test(name)) return uniform(shape, -0.2, 0.2);
      if (/alpha$/.test(name)) return uniform(shape, 0, 0.3);
      const fanIn = shape.length === 4 ? shape[0] * shape[1] * (/depthwise/.test(name) ? 1 : shape[2]) : shape[0];
      const r = Math.sqrt(6 / fanIn);
      return uniform(shape, -r, r);
    }));
  }
}

async function main() {
  const out = process.argv[2];
  const only = process.argv[3] ? process.argv[3].split(",") : Object.keys(FAMILIES);
  for (const name of only) {
    const f = FAMILIES[name];
    seed = [...name].reduce((h, ch) => (h * 31 + ch.charCodeAt(0)) | 0, 7);
    const input = tf.input({ shape: [f.size, f.size, 3], name: "input_1" });
    const model = tf.model({ inputs: input, outputs: f.build(input), name });
    randomize(model);
    const dir = path.join(out, name);
    await save(model, dir);
    // Families take 0-255 pixels (each scales them as its Keras application does); kinds take -1..1.
    const x = name.startsWith("kinds_") ? uniform([1, f.size, f.size, 3], -1, 1) : uniform([1, f.size, f.size, 3], 0, 255);
    fs.writeFileSync(path.join(dir, "input.f32"), Buffer.from((await x.data()).buffer));
    const sub = tf.model({ inputs: model.inputs, outputs: f.layers.map((l) => model.getLayer(l).output) });
    let ys = sub.predict(x);
    if (!Array.isArray(ys)) ys = [ys];
    fs.mkdirSync(path.join(dir, "expected"), { recursive: true });
    const index = {};
    for (let i = 0; i < f.layers.length; i++) {
      const layer = model.getLayer(f.layers[i]);
      fs.writeFileSync(path.join(dir, "expected", f.layers[i].replace(/\//g, "_") + ".f32"), Buffer.from((await ys[i].data()).buffer));
      index[f.layers[i]] = { shape: ys[i].shape, softmax: (layer.getConfig().activation || "") === "softmax" };
    }
    fs.writeFileSync(path.join(dir, "expected", "index.json"), JSON.stringify({ input: [1, f.size, f.size, 3], layers: index }, null, 1));
    const bytes = fs.statSync(path.join(dir, "weights.bin")).size;
    console.log(name + ": " + model.layers.length + " layers, " + model.countParams() + " weights, " + bytes + " bytes");
  }
}

main().catch((e) => { console.error(e.stack || String(e)); process.exit(1); });
