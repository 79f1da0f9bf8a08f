// Writes src/test/resources/tfjs/: small models built, saved and run by TensorFlow.js itself, so that the
// import tests read files another tool wrote and compare against outputs another tool computed.
//
//     npm install --no-save @tensorflow/tfjs@4.22.0     # pure JavaScript, no native download
//     node src/test/node/tfjs_fixtures.js               # rewrites src/test/resources/tfjs/NAME/
//     /usr/bin/python3 src/test/python/tfjs_to_h5.py    # and NAME.h5 from each
//
// For each model NAME: NAME/model.json and NAME/weights.bin exactly as tf.LayersModel.save() writes them
// (the "layers-model" format: the Keras model config as TF.js serializes it, and a weights manifest), and
// NAME.expected.json: a fixed input (NHWC, as TF.js takes it) and the output of every layer but Flatten for
// it, from TF.js's own predict(). Weights come from TF.js's own seeded initializers.
const tf = require('@tensorflow/tfjs');
const fs = require('fs');
const path = require('path');

const OUT = path.join(__dirname, '..', 'resources', 'tfjs');

/** A Sequential conv net with TF.js's default layer names, channels last, as tf.js users build them. */
function rgbConvNet() {
  const init = (seed) => tf.initializers.glorotUniform({ seed });
  const bias = (seed) => tf.initializers.randomUniform({ minval: -0.1, maxval: 0.1, seed });
  const model = tf.sequential();
  model.add(tf.layers.conv2d({ inputShape: [14, 14, 3], filters: 4, kernelSize: 3, activation: 'relu',
    kernelInitializer: init(1), biasInitializer: bias(2) }));
  model.add(tf.layers.maxPooling2d({ poolSize: 2, strides: 2 }));
  model.add(tf.layers.conv2d({ filters: 6, kernelSize: 3, padding: 'same', activation: 'relu',
    kernelInitializer: init(3), biasInitializer: bias(4) }));
  model.add(tf.layers.conv2d({ filters: 5, kernelSize: [2, 3], strides: 2,
    kernelInitializer: init(5), biasInitializer: bias(6) }));
  model.add(tf.layers.leakyReLU({ alpha: 0.1 }));
  model.add(tf.layers.flatten());
  model.add(tf.layers.dense({ units: 8, activation: 'relu', kernelInitializer: init(7), biasInitializer: bias(8) }));
  model.add(tf.layers.dense({ units: 3, kernelInitializer: init(9), biasInitializer: bias(10) }));
  return model;
}

async function write(name, model) {
  const dir = path.join(OUT, name);
  fs.mkdirSync(dir, { recursive: true });
  await model.save(tf.io.withSaveHandler(async (artifacts) => {
    const json = {
      format: artifacts.format, generatedBy: artifacts.generatedBy, convertedBy: artifacts.convertedBy,
      modelTopology: artifacts.modelTopology,
      weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs }],
    };
    fs.writeFileSync(path.join(dir, 'model.json'), JSON.stringify(json) + '\n');
    fs.writeFileSync(path.join(dir, 'weights.bin'), Buffer.from(artifacts.weightData));
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
  }));
  const shape = model.inputs[0].shape.slice(1);
  const x = tf.randomUniform([1, ...shape], 0, 1, 'float32', 11);
  const everyLayer = tf.model({ inputs: model.inputs, outputs: model.layers.map((l) => l.output) });
  const outputs = everyLayer.predict(x);
  const layers = {};
  model.layers.forEach((l, i) => {
    if (l.getClassName() === 'Flatten') return; // a reshape of the layer before, with no output of its own to compare
    const y = outputs[i];
    layers[l.name] = { shape: y.shape.slice(1), values: Array.from(y.dataSync()).map((v) => Number(v.toPrecision(8))) };
  });
  const expected = { input: { shape, values: Array.from(x.dataSync()) }, layers };
  fs.writeFileSync(path.join(OUT, name + '.expected.json'), JSON.stringify(expected) + '\n');
  console.log(`wrote ${dir}/model.json, weights.bin and ${name}.expected.json (TF.js ${tf.version.tfjs})`);
}

write('rgb-convnet', rgbConvNet());
