/**
 * Audio clips as data: WAV decoding, the Speech Commands folder layout and its speaker-safe
 * split, path,label manifests, and waveform augmentation (time shift, background noise,
 * SpecAugment masks for feature maps).
 *
 * @example
 * import { loadData } from '../index.ts';
 * const data = await loadData({ source: { type: 'audio', folder: 'kws', words: ['yes', 'no'] } }, { baseDir: '.', seed: 1 });
 * // data.train.x: [n, 16000] float32 waveforms; classNames _silence_, _unknown_, yes, no
 */
export type { DecodedWav } from './wav.ts';
export { decodeWav, encodeWav, fitLength, mixdown, readWav, resample } from './wav.ts';
export type { ClipRef, FolderIndex, FolderOptions } from './folder.ts';
export { BACKGROUND_FOLDER, indexFolder, SILENCE_LABEL, speakerPercent, SPEECH_COMMANDS_SEED, UNKNOWN_LABEL, whichSet } from './folder.ts';
export type { AudioData, ClipFormat } from './source.ts';
export { loadAudio, readClip, readMono } from './source.ts';
export type { ComposeOptions, LabelledSpan, LongRecording, TestRecordingOptions } from './longform.ts';
export { buildTestRecording, composeRecording, speechExtent } from './longform.ts';
export type { AudioSource } from './config.ts';
export { audioSourceSchema } from './config.ts';
export type { NoiseOptions, SpecAugmentOptions } from './augment.ts';
export { mixNoise, specAugment, timeShift } from './augment.ts';
