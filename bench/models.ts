/**
 * The three models of the PyTorch-peer benchmark (issue 8), as distillery specs. The PyTorch
 * peer (bench/peers/torch_peer.py) builds its models from the resolved form of these same
 * specs, so both sides train one architecture.
 */
import type { Dataset } from '../src/data/dataset.ts';
import { resolveSpec } from '../src/models/index.ts';
import type { ModelSpec, ResolvedModelSpec } from '../src/models/index.ts';
import { Rng } from '../src/core/rng.ts';

/** Names of the bench models, in the order the bench runs them. */
export type BenchModelName = 'mlp' | 'cnn' | 'mobilenet';

/** One bench model: its spec, batch size and a line saying what it is. */
export interface BenchModel {
  name: BenchModelName;
  title: string;
  spec: ModelSpec;
  input: number[];
  batch: number;
  numClasses: number;
}

/**
 * MLP 784-1200-1200-10 (Hinton et al.'s teacher), the Keras-style MNIST conv net (valid
 * padding: 28 -> 26 -> 13 -> 11 -> 5), and a MobileNetV2-style stack on 32x32x3 (stem conv
 * 3x3 stride 2 + BN + relu6, six inverted residual blocks with expansion 6, global average
 * pool, dense 10). All at batch 128 with Adam, as the issue's targets are stated.
 *
 * @example
 * const mlp = BENCH_MODELS.find((m) => m.name === 'mlp')!;
 * buildModel(mlp.spec, { inputShape: mlp.input, numClasses: mlp.numClasses });
 */
export const BENCH_MODELS: readonly BenchModel[] = [
  {
    name: 'mlp',
    title: 'MLP 784-1200-1200-10',
    input: [784],
    batch: 128,
    numClasses: 10,
    spec: { blocks: [{ type: 'dense', units: 1200, activation: 'relu' }, { type: 'dense', units: 1200, activation: 'relu' }, { type: 'dense', units: 10 }] },
  },
  {
    name: 'cnn',
    title: 'conv 32 - pool - conv 64 - pool - dense 128 - 10, 28x28x1',
    input: [28, 28, 1],
    batch: 128,
    numClasses: 10,
    spec: {
      blocks: [
        { type: 'conv2d', filters: 32, padding: 'valid' },
        { type: 'maxpool' },
        { type: 'conv2d', filters: 64, padding: 'valid' },
        { type: 'maxpool' },
        { type: 'flatten' },
        { type: 'dense', units: 128, activation: 'relu' },
        { type: 'dense', units: 10 },
      ],
    },
  },
  {
    name: 'mobilenet',
    title: 'MobileNetV2-style, 6 inverted residual blocks, 32x32x3',
    input: [32, 32, 3],
    batch: 128,
    numClasses: 10,
    spec: {
      blocks: [
        { type: 'conv2d', filters: 16, stride: 2, batchNorm: true, activation: 'relu6' },
        { type: 'mbconv', filters: 16 },
        { type: 'mbconv', filters: 24, stride: 2 },
        { type: 'mbconv', filters: 24 },
        { type: 'mbconv', filters: 32, stride: 2 },
        { type: 'mbconv', filters: 32 },
        { type: 'mbconv', filters: 64 },
        { type: 'globalavgpool' },
        { type: 'dense', units: 10 },
      ],
    },
  },
];

/**
 * The spec with every default filled and the head settled: what the PyTorch peer builds.
 *
 * @example
 * resolvedSpec(BENCH_MODELS[0]!).blocks[2]; // { type: 'dense', units: 10, activation: 'linear', bias: true }
 */
export function resolvedSpec(m: BenchModel): ResolvedModelSpec {
  return resolveSpec(m.spec, { inputShape: m.input, numClasses: m.numClasses });
}

/**
 * `n` random samples of the model's input shape, values in [0, 1), uniform labels: the bench
 * measures speed, not accuracy, so the data only has to have the right shapes.
 *
 * @example
 * const ds = syntheticData(BENCH_MODELS[0]!, 1024, 1); // ds.x.length === 1024 * 784
 */
export function syntheticData(m: BenchModel, n: number, seed: number): Dataset {
  const rng = new Rng(seed);
  const d = m.input.reduce((a, b) => a * b, 1);
  const x = new Float32Array(n * d);
  for (let i = 0; i < x.length; i++) x[i] = rng.next();
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) y[i] = rng.int(0, m.numClasses - 1);
  return { x, y, shape: m.input, numClasses: m.numClasses, classNames: Array.from({ length: m.numClasses }, (_, i) => String(i)) };
}
