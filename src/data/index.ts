/**
 * The data stage: sources (IDX, CSV, NPY, built-in MNIST, audio clips), Dataset operations, batching,
 * augmentation, normalisation, fingerprints and the `data:` config.
 *
 * @example
 * import { loadData, batches } from './data/index.ts';
 * const data = await loadData({ source: 'mnist', normalize: 'scale' }, { baseDir: '.', seed: 1 });
 */
export type { Dataset } from './dataset.ts';
export { size, sampleSize } from './dataset.ts';
export type { Batch } from './batch.ts';
export { gatherBatch } from './batch.ts';
export { ByteSource, checkFinite, readAllBytes, readText } from './files.ts';
export type { RawLabels, RawPart } from './labels.ts';
export { labelParts } from './labels.ts';
export type { IdxArray } from './idx.ts';
export { readIdx, readIdxPart } from './idx.ts';
export type { CsvOptions } from './csv.ts';
export { readCsvPart, splitFields } from './csv.ts';
export type { NpyArray, NpyHeader } from './npy.ts';
export { parseNpyHeader, readNpy, readNpyPart } from './npy.ts';
export type { MnistFiles } from './mnist.ts';
export { loadMnist, mnistFiles } from './mnist.ts';
export type { SplitOptions } from './ops.ts';
export { shuffle, split, subset, take, validationCount, withData } from './ops.ts';
export type { Normalization, StandardizeOver } from './normalize.ts';
export { applyStats, explicitStats, noNormalization, normalize, scaleStats, standardizeStats } from './normalize.ts';
export { fingerprint } from './fingerprint.ts';
export type { Augment } from './augment.ts';
export { augmentFrom, shiftAugment } from './augment.ts';
export type { BatchOptions } from './iterate.ts';
export { batchCount, batches } from './iterate.ts';
export type { DataConfig, DataConfigInput, DataSource, NormalizeConfig, SpecAugmentConfig } from './config.ts';
export { absoluteDataPaths, dataConfigSchema, dataSourceSchema, normalizeSchema, parseDataConfig, specAugmentSchema } from './config.ts';
export type { LoadedData, LoadOptions } from './load.ts';
export { fitNormalization, loadData, reshape } from './load.ts';
export type { Samples } from './samples.ts';
export { readPgm, readSamples } from './samples.ts';
export type { TextInfo } from './dataset.ts';
export type { TextConfig } from './config.ts';
export { textConfigSchema } from './config.ts';
export type { CleanStep } from './text/clean.ts';
export { cleanText } from './text/clean.ts';
export type { DecodedText, TextEncodingMode } from './text/decode.ts';
export { decodeText } from './text/decode.ts';
export type { RawText, TableColumns } from './text/raw.ts';
export { readTextFolder, readTextTable } from './text/raw.ts';
export { SPAM_SPLIT_SEED, SPAM_TEST_FRACTION, spamCorpus } from './text/spam.ts';
export type { LoadedText } from './text/load.ts';
export { isTextSource, loadTextData } from './text/load.ts';
export type { ModelInputs } from './text/artifacts.ts';
export { readModelInputs, saveModelInputs } from './text/artifacts.ts';
export { textAtLength, textWithTokenizer } from './text/length.ts';
export * from './audio/index.ts';
