// Writes the two TF.js layers models the npm package nsfwjs@4.4.0 (MIT) bundles as JavaScript modules,
// MobileNetV2 and InceptionV3, as plain model.json + weight shards in OUT_DIR/mobilenet_v2 and
// OUT_DIR/inception_v3:   NODE_PATH=.../node_modules node extract_nsfwjs.js OUT_DIR
// Real pretrained networks for FilterScope's reader tests only: never bundled, offered or shown.
const fs = require("fs"), path = require("path");
const out = process.argv[2];
for (const name of ["mobilenet_v2", "inception_v3"]) {
  const dir = path.resolve(require.resolve("nsfwjs").split("/dist/")[0], "dist/models", name);
  const m = require(dir + "/model.min.js");
  fs.mkdirSync(path.join(out, name), { recursive: true });
  for (const g of m.weightsManifest) {
    for (const p of g.paths) {
      const s = require(dir + "/" + p + ".min.js");
      fs.writeFileSync(path.join(out, name, p), Buffer.from(s, "base64"));
    }
  }
  fs.writeFileSync(path.join(out, name, "model.json"), JSON.stringify(m));
}
