// Keras applications' own layers, written here in TF.js so TF.js can build and compute the family fixtures
// (families.js) and be their reference: LayerScale (ConvNeXt), CustomScaleLayer (InceptionResNetV2),
// Normalization (EfficientNet's input statistics) and the hard swish activation (MobileNetV3).
function register(tf) {
  if (register.done) return;
  register.done = true;

  class LayerScale extends tf.layers.Layer {
    constructor(config) {
      super(config);
      this.initValues = config.init_values ?? 1e-6;
      this.projectionDim = config.projection_dim;
    }
    build(inputShape) {
      this.gamma = this.addWeight("gamma", [this.projectionDim], "float32", tf.initializers.constant({ value: this.initValues }));
      this.built = true;
    }
    call(inputs) {
      const x = Array.isArray(inputs) ? inputs[0] : inputs;
      return tf.mul(x, this.gamma.read());
    }
    getConfig() {
      return { ...super.getConfig(), init_values: this.initValues, projection_dim: this.projectionDim };
    }
    static get className() {
      return "LayerScale";
    }
  }

  class CustomScaleLayer extends tf.layers.Layer {
    constructor(config) {
      super(config);
      this.scale = config.scale;
    }
    call(inputs) {
      return tf.add(inputs[0], tf.mul(inputs[1], this.scale));
    }
    computeOutputShape(shapes) {
      return shapes[0];
    }
    getConfig() {
      return { ...super.getConfig(), scale: this.scale };
    }
    static get className() {
      return "CustomScaleLayer";
    }
  }

  // Keras' Normalization: (x - mean) / max(sqrt(variance), 1e-7) over the last axis; adapted statistics are weights.
  class Normalization extends tf.layers.Layer {
    constructor(config) {
      super(config);
      this.axis = config.axis ?? -1;
      this.channels = config.channels;
    }
    build(inputShape) {
      const c = inputShape[inputShape.length - 1];
      this.mean = this.addWeight("mean", [c], "float32", tf.initializers.zeros(), undefined, false);
      this.variance = this.addWeight("variance", [c], "float32", tf.initializers.ones(), undefined, false);
      this.count = this.addWeight("count", [], "int32", tf.initializers.zeros(), undefined, false);
      this.built = true;
    }
    call(inputs) {
      const x = Array.isArray(inputs) ? inputs[0] : inputs;
      return tf.div(tf.sub(x, this.mean.read()), tf.maximum(tf.sqrt(this.variance.read()), 1e-7));
    }
    getConfig() {
      return { ...super.getConfig(), axis: this.axis, invert: false };
    }
    static get className() {
      return "Normalization";
    }
  }

  class HardSwish extends tf.layers.Layer {
    call(inputs) {
      const x = Array.isArray(inputs) ? inputs[0] : inputs;
      return tf.mul(x, tf.div(tf.relu6(tf.add(x, 3)), 6));
    }
    static get className() {
      return "HardSwishActivation";
    }
  }

  for (const c of [LayerScale, CustomScaleLayer, Normalization, HardSwish]) tf.serialization.registerClass(c);
  register.classes = { LayerScale, CustomScaleLayer, Normalization, HardSwish };
}

module.exports = { register };
