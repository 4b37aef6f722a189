// Reference embeddings for internal/faceid's rebuild test: face-api 1.7.15's
// FaceRecognitionNet on tfjs's pure-JavaScript CPU backend, for each aligned 150×150
// chip in internal/faceid/testdata/chips, written to
// internal/faceid/testdata/reference.json. Run it with `make faceref`.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { PNG } from 'pngjs';

const require = createRequire(import.meta.url);
const tf = require('@tensorflow/tfjs');
// The wasm bundle of face-api only requires the wasm backend to be present; the CPU
// backend (plain JavaScript, float32) computes everything here.
const faceapi = require('@vladmandic/face-api/dist/face-api.node-wasm.js');

const here = path.dirname(fileURLToPath(import.meta.url));
const chips = path.resolve(here, '../../internal/faceid/testdata/chips');
const out = path.resolve(here, '../../internal/faceid/testdata/reference.json');
const modelDir = path.resolve(here, 'node_modules/@vladmandic/face-api/model');

await tf.setBackend('cpu');
await tf.ready();
await faceapi.nets.faceRecognitionNet.loadFromDisk(modelDir);

const result = {
  generator: 'test/faceref/reference.mjs',
  face_api: JSON.parse(fs.readFileSync(path.resolve(here, 'node_modules/@vladmandic/face-api/package.json'))).version,
  tfjs: tf.version.tfjs,
  backend: tf.getBackend(),
  embeddings: {},
};
for (const name of fs.readdirSync(chips).filter((f) => f.endsWith('.png')).sort()) {
  const png = PNG.sync.read(fs.readFileSync(path.join(chips, name)));
  if (png.width !== 150 || png.height !== 150) throw new Error(`${name}: ${png.width}x${png.height}, want 150x150`);
  const rgb = new Int32Array(150 * 150 * 3);
  for (let i = 0; i < 150 * 150; i++) {
    for (let c = 0; c < 3; c++) rgb[3 * i + c] = png.data[4 * i + c];
  }
  const input = tf.tensor3d(rgb, [150, 150, 3], 'int32');
  const desc = await faceapi.nets.faceRecognitionNet.computeFaceDescriptor(input);
  input.dispose();
  result.embeddings[name] = Array.from(desc);
}
fs.writeFileSync(out, `${JSON.stringify(result, null, 1)}\n`);
console.log(`wrote ${Object.keys(result.embeddings).length} embeddings to ${out} (face-api ${result.face_api}, tfjs ${result.tfjs}, backend ${result.backend})`);
