import { z } from 'zod';
import { SPEECH_COMMANDS_SEED } from './folder.ts';

const file = z.string().min(1);
const percent = z.number().min(0).max(100);
const rate = z.number().int().positive();

/**
 * `data.source` for audio: a folder in the Speech Commands layout (`folder`) or CSV manifests
 * of `path,label` rows (`manifest`, optional `test`). Every clip is decoded, mixed down to
 * mono, resampled to `sampleRate` and padded or cut to `clipSeconds`; samples are raw
 * waveforms of shape [sampleRate * clipSeconds].
 *
 * @example
 * // data: { source: { type: audio, folder: data/kws, words: [yes, no, up, down] } }
 */
export const audioSourceSchema = z
  .object({
    type: z.literal('audio'),
    /** A folder in the Speech Commands layout (LABEL/*.wav, _background_noise_/, lists). */
    folder: file.optional(),
    /** Instead of `folder`: a CSV with a header and `path,label` columns (paths relative to it). */
    manifest: file.optional(),
    /** With `manifest`: the test split's manifest. */
    test: file.optional(),
    /** With `manifest`: a folder of long noise recordings for silence clips and noise mixing. */
    noise: file.optional(),
    /** Every clip is resampled to this rate (Hz). */
    sampleRate: rate.default(16000),
    /** Clip length in seconds: shorter clips are zero-padded at the end, longer ones cut. */
    clipSeconds: z.number().positive().max(60).default(1),
    /** Rates a file may have; a file at any other rate is an error. Absent: any rate, resampled. */
    acceptRates: z.array(rate).min(1).optional(),
    /** Keywords; clips of every other folder become `_unknown_`. Absent: every folder is a class. */
    words: z.array(z.string().min(1)).min(1).optional(),
    /** Speech Commands' split for folders without lists (percent of speakers). */
    validationPercent: percent.default(10),
    testPercent: percent.default(10),
    /** Silence / unknown clips per split, in percent of its keyword clips. Default 10 with `words`, else 0. */
    silencePercent: percent.optional(),
    unknownPercent: percent.optional(),
    /** Seeds which unknowns are picked, the silence clips and the order of each split: not the run's seed, so every run sees the same test set. */
    seed: z.number().int().min(0).default(SPEECH_COMMANDS_SEED),
  })
  .strict();

/** A parsed audio `data.source`. */
export type AudioSource = z.infer<typeof audioSourceSchema>;
