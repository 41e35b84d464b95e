/**
 * Architecture specs (plain JSON) → `tf.LayersModel` and back, with costs from the spec alone.
 *
 * @example
 * import { buildModel, modelCost, specFromModel } from './models/index.ts';
 * const spec = { blocks: [{ type: 'conv2d', filters: 16 }, { type: 'globalavgpool' }] } as const;
 * const model = buildModel(spec, { inputShape: [28, 28, 1], numClasses: 10, seed: 1 });
 * modelCost(spec, [28, 28, 1], 10).params === model.countParams(); // true
 */
export {
  activationNames,
  audioInputOf,
  blockSpecSchema,
  modelSpecSchema,
  parseModelSpec,
  resolveBlock,
  resolveSpec,
  specInputShape,
  tokenInputSchema,
} from './spec.ts';
export type { ActivationName, AudioInput, BlockSpec, BlockType, ModelSpec, ResolveOptions, ResolvedBlockSpec, ResolvedModelSpec, TokenInput } from './spec.ts';
export { blocks, blockDefs } from './blocks/all.ts';
export type { BlockDef, BlockStep, BuildContext, LayerGroup } from './blocks/types.ts';
export { costOfResolved, modelCost, seUnits } from './cost.ts';
export type { BlockCost, ModelCost } from './cost.ts';
export { buildModel, buildResolved, DEFAULT_MODEL_NAME, METADATA_KEY } from './build.ts';
export type { BuildOptions } from './build.ts';
export { blockOutputNames, specFromLayers, specFromModel } from './readback.ts';
export { loadModel, saveModel, MODEL_JSON, WEIGHTS_BIN } from './io.ts';
export { blockSummary, describeModel, formatDescription } from './describe.ts';
export type { BlockRow } from './describe.ts';
export { ATTENTION_SUFFIX, attentionMaps, attentionSources, transformerBlocks } from './attention-probes.ts';
export type { AttentionSource } from './attention-probes.ts';
export { tokenMask } from './text-layers.ts';
export { armSpecAugment, SPEC_AUGMENT_DEFAULTS, specAugmentStep } from './spec-augment.ts';
export type { SpecAugmentArm } from './spec-augment.ts';
