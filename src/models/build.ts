import * as tfl from '@tensorflow/tfjs-layers';
import { blocks } from './blocks/all.ts';
import { costOfResolved } from './cost.ts';
import { Inits, type Sym } from './layers.ts';
import { audioInputOf, resolveSpec, type ModelSpec, type ResolvedModelSpec } from './spec.ts';

/** Options of {@link buildModel}. */
export interface BuildOptions {
  /** The data's sample shape, used when `spec.input` is absent (must agree when both are set). */
  inputShape?: readonly number[];
  /** Class count: appends a linear dense head when the spec does not end with a dense block. */
  numClasses?: number;
  /** Seed of the weight initialisers (default 0): the same seed gives the same weights. */
  seed?: number;
  /** Vocabulary size of the data's tokenizer: fills a text model's `embedding.vocabSize` when the spec leaves it out. */
  vocabSize?: number;
  /** Sample rate of the data's audio: fills a front-end block's `sampleRate` when the spec leaves it out, and must match it otherwise. */
  sampleRate?: number;
}

/**
 * The model name used when the spec has none (and dropped again by `specFromLayers`).
 *
 * @example
 * buildModel(spec).name; // 'distillery_model' when spec.name is absent
 */
export const DEFAULT_MODEL_NAME = 'distillery_model';

/**
 * Key of distillery's entry in a model's user-defined metadata.
 *
 * @example
 * (model.getUserDefinedMetadata() as any)[METADATA_KEY].spec;
 */
export const METADATA_KEY = 'distillery';

/**
 * Builds a spec into a `tf.LayersModel` made only of stock tfjs-layers layers, so that a saved
 * model loads in stock TF.js anywhere. The output is logits. Layer names start with the block
 * index (`b3_dw`, `b3_bn`, ...); the resolved spec is stored in the user-defined metadata
 * under `distillery.spec` so that {@link specFromModel} gives it back, also after save/load.
 *
 * Shapes are checked from the spec first (see `modelCost` for the `MODEL_SHAPE` rules).
 *
 * @example
 * const model = buildModel({ blocks: [{ type: 'conv2d', filters: 8 }, { type: 'globalavgpool' }] },
 *   { inputShape: [28, 28, 1], numClasses: 10, seed: 1 });
 */
export function buildModel(spec: ModelSpec, opts: BuildOptions = {}): tfl.LayersModel {
  const ropts: { inputShape?: readonly number[]; numClasses?: number; vocabSize?: number; sampleRate?: number } = {};
  if (opts.vocabSize !== undefined) ropts.vocabSize = opts.vocabSize;
  if (opts.sampleRate !== undefined) ropts.sampleRate = opts.sampleRate;
  if (opts.inputShape !== undefined) ropts.inputShape = opts.inputShape;
  if (opts.numClasses !== undefined) ropts.numClasses = opts.numClasses;
  const resolved = resolveSpec(spec, ropts);
  return buildResolved(resolved, opts.seed ?? 0);
}

/**
 * {@link buildModel} of an already resolved spec.
 *
 * @example
 * buildResolved(specFromModel(model), 2); // same architecture, new weights
 */
export function buildResolved(spec: ResolvedModelSpec, seed = 0): tfl.LayersModel {
  costOfResolved(spec); // throws MODEL_SHAPE naming the block before TF.js sees a bad shape
  const inits = new Inits(seed);
  // A text model (first block reads tokens) takes int32 ids; everything else float32.
  const tokens = spec.blocks.length > 0 && blocks.get(spec.blocks[0]!.type).takesTokens === true;
  const input = tfl.input({ shape: spec.input, name: 'input', ...(tokens ? { dtype: 'int32' as const } : {}) });
  let x: Sym = input;
  spec.blocks.forEach((b, i) => {
    x = blocks.get(b.type).build(x, b as never, { prefix: `b${i}`, inits, modelInput: input });
  });
  const model = tfl.model({ inputs: input, outputs: x, name: spec.name ?? DEFAULT_MODEL_NAME });
  const audio = audioInputOf(spec);
  model.setUserDefinedMetadata({ [METADATA_KEY]: { version: 1, spec, ...(audio ? { audio } : {}) } });
  return model;
}
