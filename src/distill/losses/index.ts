/**
 * Distillation loss terms and their weighted sum.
 *
 * @example
 * import { createLoss } from './distill/losses/index.ts';
 * const loss = createLoss([{ term: 'ce', weight: 0.1 }, { term: 'kd', weight: 0.9, T: 20 }]);
 */
export { createLoss, lossConfigSchema } from './combine.ts';
export type { Loss, LossConfig, WeightedTerm } from './combine.ts';
export { lossTerms } from './registry.ts';
export { ceTerm, ceOptionsSchema } from './ce.ts';
export type { CeOptions } from './ce.ts';
export { kdTerm, kdLoss, kdOptionsSchema } from './kd.ts';
export type { KdOptions } from './kd.ts';
export { dkdTerm, dkdLoss, dkdOptionsSchema } from './dkd.ts';
export type { DkdOptions } from './dkd.ts';
export { HintTerm, hintTerm, hintOptionsSchema } from './hint.ts';
export type { HintOptions } from './hint.ts';
export { atTerm, atLoss, attentionMap, atOptionsSchema } from './at.ts';
export type { AtOptions } from './at.ts';
export { rkdTerm, rkdLoss, normalizedDistances, tripletCosines, rkdOptionsSchema } from './rkd.ts';
export type { RkdOptions } from './rkd.ts';
export { HiddenTerm, hiddenOptionsSchema } from './hidden.ts';
export type { HiddenOptions } from './hidden.ts';
export { attentionTerm, attentionLoss, attentionOptionsSchema } from './attention.ts';
export type { AttentionOptions } from './attention.ts';
export { expandLayerTerms, uniformLayerMap } from './layer-map.ts';
export type { TransformerLayers } from './layer-map.ts';
