/**
 * Once-for-all search: an elastic MobileNet-style space as data, a weight-sharing supernet
 * trained once with the sandwich rule and in-place distillation, batch-norm recalibration of
 * any subnet, a search over its subnets that scores candidates without training (through the
 * `study/` loop and store), and extraction of a subnet as a plain student model.
 *
 * @example
 * import { loadSupernetConfig, trainSupernet, searchSupernet, extractFromSupernet } from './supernet/index.ts';
 * const { config, baseDir } = await loadSupernetConfig('examples/mnist-supernet.yaml');
 * await trainSupernet(config, { out: 'runs/supernet', baseDir });
 * await searchSupernet({ supernet: 'runs/supernet', store: 'runs/ofa.db', limits: ['macs<=60000'] });
 * await extractFromSupernet({ supernet: 'runs/supernet', trial: 3, out: 'runs/picked', onnx: true });
 */
export { elasticSpaceSchema, elasticStageSchema, templateSpace, largestArch, smallestArch, randomArch, subnetSpec, archName, searchSpaceDefinition, archFromCandidate, blockGeometry, checkArch } from './space.ts';
export type { ElasticSpace, ElasticSpaceInput, SubnetArch, BlockGeometry } from './space.ts';
export { Supernet, BN_EPSILON } from './net.ts';
export type { BnMode, BnStats, SharedWeight } from './net.ts';
export { recalibrate, subnetAccuracy, subnetLogits, imageBatch, CALIBRATION_SAMPLES } from './score.ts';
export type { RecalibrateOptions } from './score.ts';
export { supernetConfigSchema, supernetSearchSchema, loadSupernetConfig } from './config.ts';
export type { SupernetConfig } from './config.ts';
export { trainSupernet, sandwichStep, stepSubnets, plannedTrainingMacs, subnetMacs, TRAIN_MACS_FACTOR } from './train.ts';
export type { TrainSupernetOptions, TrainSupernetResult } from './train.ts';
export { loadSupernet, readManifest, saveSupernet, SUPERNET_JSON, SUPERNET_WEIGHTS } from './folder.ts';
export type { SupernetManifest } from './folder.ts';
export { loadSupernetData } from './data.ts';
export type { SupernetData } from './data.ts';
export { extractSubnet } from './extract.ts';
export { extractFromSupernet, EXTRACT_TOLERANCE } from './extract-job.ts';
export { finetuneSubnet, defaultFinetuneLr } from './finetune.ts';
export type { FinetuneOptions, FinetuneResult } from './finetune.ts';
export type { ExtractOptions, ExtractResult } from './extract-job.ts';
export { SubnetEvaluator } from './evaluator.ts';
export type { SubnetEvaluatorConfig } from './evaluator.ts';
export { searchSupernet, lastSearch, LAST_SEARCH } from './search.ts';
export type { SupernetSearchOptions } from './search.ts';
