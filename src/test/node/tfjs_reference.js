// Activations of a TF.js layers model computed by TF.js itself (pure-JS CPU backend): the independent
// reference the Java tests compare FilterScope's readers against.
//
//   node tfjs_reference.js MODEL_DIR INPUT.f32 N,H,W,C LAYER[,LAYER...] OUT_DIR
//
// INPUT.f32 holds N*H*W*C little-endian float32 values (NHWC, as TF.js takes images). For each layer, OUT_DIR
// gets LAYER.f32 (its output, TF.js layout) and index.json lists every layer's shape and whether it ends in a
// softmax (a Dense layer with softmax gives probabilities; FilterScope exposes logits, which the tests put
// through a softmax before comparing).
const fs = require("fs");
const path = require("path");
const tf = require("@tensorflow/tfjs");

function fileHandler(dir) {
  return {
    load: async () => {
      const json = JSON.parse(fs.readFileSync(path.join(dir, "model.json"), "utf8"));
      const specs = [];
      const buffers = [];
      for (const group of json.weightsManifest) {
        specs.push(...group.weights);
        for (const p of group.paths) buffers.push(fs.readFileSync(path.join(dir, p)));
      }
      const all = Buffer.concat(buffers);
      return {
        modelTopology: json.modelTopology,
        weightSpecs: specs,
        weightData: all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength),
        format: json.format,
      };
    },
  };
}

async function main() {
  const [dir, inputFile, shapeText, layerText, outDir] = process.argv.slice(2);
  require("./custom_layers.js").register(tf);
  const model = await tf.loadLayersModel(fileHandler(dir));
  const shape = shapeText.split(",").map(Number);
  const raw = fs.readFileSync(inputFile);
  const x = tf.tensor(new Float32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4), shape);
  const names = layerText.split(",");
  const outputs = names.map((n) => model.getLayer(n).output);
  const sub = tf.model({ inputs: model.inputs, outputs });
  const started = Date.now();
  let ys = sub.predict(x);
  if (!Array.isArray(ys)) ys = [ys];
  fs.mkdirSync(outDir, { recursive: true });
  const index = {};
  for (let i = 0; i < names.length; i++) {
    const data = await ys[i].data();
    fs.writeFileSync(path.join(outDir, names[i].replace(/[^A-Za-z0-9._-]/g, "_") + ".f32"), Buffer.from(data.buffer));
    index[names[i]] = { shape: ys[i].shape, softmax: (model.getLayer(names[i]).getConfig().activation || "") === "softmax" };
  }
  fs.writeFileSync(path.join(outDir, "index.json"), JSON.stringify({ layers: index, millis: Date.now() - started }));
}

main().catch((e) => {
  console.error(e.stack || String(e));
  process.exit(1);
});
