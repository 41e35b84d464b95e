import { z } from 'zod';

/**
 * The audio front-end's settings: frames of `windowLength` samples every `hopLength`, a
 * periodic Hann window, each frame zero-padded to `fftSize` (TensorFlow's `tf.signal.stft`
 * convention, no centring, so streaming needs no look-ahead), the power spectrum, `melBins`
 * triangular filters from `fmin` to `fmax`, `ln(mel + logOffset)`, and for MFCC the first
 * `mfcc` coefficients of the orthonormal DCT-II. Defaults follow MLPerf Tiny's keyword
 * spotting front-end (30 ms windows every 20 ms, 40 filters over 20-4000 Hz: 49 frames per
 * second of 16 kHz audio).
 *
 * @example
 * const spec = frontEndSchema.parse({ melBins: 40, mfcc: 10 });
 */
export const frontEndSchema = z
  .object({
    sampleRate: z.number().int().positive().default(16000),
    /** Samples per frame (the window's length). */
    windowLength: z.number().int().positive().default(480),
    /** Samples between frame starts. */
    hopLength: z.number().int().positive().default(320),
    /** DFT size, >= windowLength; frames are zero-padded at the end to it. Default: the next power of two. */
    fftSize: z.number().int().positive().optional(),
    melBins: z.number().int().positive().default(40),
    fmin: z.number().min(0).default(20),
    /** Default sampleRate / 2. */
    fmax: z.number().positive().optional(),
    logOffset: z.number().positive().default(1e-6),
    /** slaney (librosa's default: linear below 1 kHz, log above) or htk (2595 log10(1 + f/700)). */
    melScale: z.enum(['slaney', 'htk']).default('slaney'),
    /** slaney: each filter scaled to unit area (librosa's default); none: peak 1. */
    melNorm: z.enum(['slaney', 'none']).default('slaney'),
    /** Keep this many MFCCs (DCT-II, orthonormal) instead of the log-mel bins. */
    mfcc: z.number().int().positive().optional(),
  })
  .strict();

/** Front-end settings as written. */
export type FrontEndInput = z.input<typeof frontEndSchema>;

/** Front-end settings with every default filled in. */
export interface FrontEnd {
  readonly sampleRate: number;
  readonly windowLength: number;
  readonly hopLength: number;
  readonly fftSize: number;
  readonly melBins: number;
  readonly fmin: number;
  readonly fmax: number;
  readonly logOffset: number;
  readonly melScale: 'slaney' | 'htk';
  readonly melNorm: 'slaney' | 'none';
  readonly mfcc?: number;
}

/**
 * Parse front-end settings and fill in the derived defaults (fftSize, fmax). Throws zod's
 * error for bad values; callers at the config edge turn it into CONFIG_INVALID.
 *
 * @example
 * const fe = resolveFrontEnd({ windowLength: 400, hopLength: 160 }); // fe.fftSize 512
 */
export function resolveFrontEnd(input: FrontEndInput = {}): FrontEnd {
  const p = frontEndSchema.parse(input);
  const fftSize = p.fftSize ?? 2 ** Math.ceil(Math.log2(p.windowLength));
  const fmax = p.fmax ?? p.sampleRate / 2;
  const bad = (msg: string) => {
    throw new RangeError(`front-end: ${msg}`);
  };
  if (fftSize < p.windowLength) bad(`fftSize ${fftSize} is shorter than windowLength ${p.windowLength}`);
  if (fmax > p.sampleRate / 2) bad(`fmax ${fmax} is above the Nyquist frequency ${p.sampleRate / 2}`);
  if (p.fmin >= fmax) bad(`fmin ${p.fmin} must be below fmax ${fmax}`);
  if (p.mfcc !== undefined && p.mfcc > p.melBins) bad(`mfcc ${p.mfcc} is more than melBins ${p.melBins}`);
  const { fftSize: _f, fmax: _m, mfcc, ...rest } = p;
  return { ...rest, fftSize, fmax, ...(mfcc !== undefined ? { mfcc } : {}) };
}

/**
 * Frames a clip of `samples` gives: 1 + floor((samples - windowLength) / hopLength), 0 when
 * the clip is shorter than one window.
 *
 * @example
 * frameCount(16000, resolveFrontEnd()); // 49
 */
export function frameCount(samples: number, fe: FrontEnd): number {
  return samples < fe.windowLength ? 0 : 1 + Math.floor((samples - fe.windowLength) / fe.hopLength);
}

/**
 * The per-clip output shape: [frames, melBins] or [frames, mfcc].
 *
 * @example
 * featureShape(16000, resolveFrontEnd({ mfcc: 10 })); // [49, 10]
 */
export function featureShape(samples: number, fe: FrontEnd): [number, number] {
  return [frameCount(samples, fe), fe.mfcc ?? fe.melBins];
}
