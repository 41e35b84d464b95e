import { z } from 'zod';
import { DistilleryError } from '../../core/errors.ts';
import { frameCount, resolveFrontEnd, type FrontEnd } from '../../features/spec.ts';
import { DistilleryFrontEnd, frontEndOfConfig } from '../audio-layers.ts';
import { call } from '../layers.ts';
import { cfg, pos } from './shared.ts';
import { defineBlock, type BlockStep, type ResolveContext } from './types.ts';

// The front-end's options as a block writes them (all optional; defaults as src/features/spec.ts
// documents them: MLPerf Tiny's 30 ms windows every 20 ms, 40 mel bins).
const feOptions = {
  sampleRate: pos.optional(),
  windowLength: pos.optional(),
  hopLength: pos.optional(),
  fftSize: pos.optional(),
  melBins: pos.optional(),
  fmin: z.number().min(0).optional(),
  fmax: z.number().positive().optional(),
  logOffset: z.number().positive().optional(),
  melScale: z.enum(['slaney', 'htk']).optional(),
  melNorm: z.enum(['slaney', 'none']).optional(),
};

/** A resolved `logmel` block: the front-end settings with every default filled. */
export type LogmelBlock = { type: 'logmel' } & Omit<FrontEnd, 'mfcc'>;
/** A resolved `mfcc` block: the front-end settings and the number of coefficients kept. */
export type MfccBlock = { type: 'mfcc'; coefficients: number } & Omit<FrontEnd, 'mfcc'>;

function resolveFe(b: Record<string, unknown>, ctx: ResolveContext, mfcc?: number): Omit<FrontEnd, 'mfcc'> {
  const { type: _t, coefficients: _c, ...opts } = b;
  const where = ctx.where;
  // The data's rate fills a block that leaves it out; a block that names another rate would
  // compute its mel filters for the wrong frequencies and save that rate for predict to resample to.
  if (ctx.sampleRate !== undefined) {
    if (opts['sampleRate'] === undefined) opts['sampleRate'] = ctx.sampleRate;
    else if (opts['sampleRate'] !== ctx.sampleRate) {
      throw new DistilleryError('MODEL_SPEC', `${where}.sampleRate is ${String(opts['sampleRate'])} Hz but the data's audio is at ${ctx.sampleRate} Hz`, `remove ${where}.sampleRate (it then follows data.source.sampleRate), or set data.source.sampleRate to ${String(opts['sampleRate'])}`, `${where}.sampleRate`);
    }
  }
  try {
    const { mfcc: _m, ...fe } = resolveFrontEnd({ ...opts, ...(mfcc !== undefined ? { mfcc } : {}) });
    return fe;
  } catch (e) {
    throw new DistilleryError('MODEL_SPEC', `${where}: ${(e as Error).message}`, 'see the front-end settings in docs/speech.md', where);
  }
}

/** The front-end settings of a resolved front-end block (the layer's config). */
export function frontEndOf(b: LogmelBlock | MfccBlock): FrontEnd {
  const { type: _t, ...rest } = b;
  if (b.type === 'logmel') return rest as FrontEnd;
  const { coefficients, ...fe } = rest as Omit<MfccBlock, 'type'>;
  return { ...fe, mfcc: coefficients };
}

function cost(b: LogmelBlock | MfccBlock, s: number[], path: string): BlockStep {
  if (s.length !== 1) {
    throw new DistilleryError('MODEL_SHAPE', `${path} (${b.type}) needs raw audio [samples] but gets [${s.join(', ')}]`, `make ${path} the first block of a model whose data is audio clips`, path);
  }
  const fe = frontEndOf(b);
  const frames = frameCount(s[0]!, fe);
  if (frames < 1) {
    throw new DistilleryError('MODEL_SHAPE', `${path} (${b.type}): clips of ${s[0]} samples are shorter than one window (${fe.windowLength})`, 'use longer clips (data.source.clipSeconds) or a shorter windowLength', path);
  }
  const bins = fe.fftSize / 2 + 1;
  const out = fe.mfcc ?? fe.melBins;
  // the DFT (real and imaginary), the mel filters and the DCT, per frame
  const macs = frames * (fe.windowLength * 2 * bins + bins * fe.melBins + (fe.mfcc !== undefined ? fe.melBins * fe.mfcc : 0));
  return { out: [frames, out, 1], params: 0, macs, kernel: 0 };
}

function build(x: Parameters<typeof call>[1], b: LogmelBlock | MfccBlock, prefix: string) {
  const { mfcc, ...fe } = frontEndOf(b);
  return call(new DistilleryFrontEnd({ name: `${prefix}_frontend`, ...fe, ...(mfcc !== undefined ? { mfcc } : {}) }), x);
}

function describe(b: LogmelBlock | MfccBlock): string {
  const fe = frontEndOf(b);
  const head = b.type === 'mfcc' ? `mfcc ${b.coefficients} of ${fe.melBins} mel` : `logmel ${fe.melBins}`;
  return `${head} win ${fe.windowLength} hop ${fe.hopLength} @ ${fe.sampleRate} Hz`;
}

/**
 * `logmel`: raw audio [samples] → log-mel spectrogram [frames, melBins, 1], the first block of
 * a speech model (so the exported model takes raw audio). Options: the front-end settings of
 * src/features/spec.ts (sampleRate 16000, windowLength 480, hopLength 320, fftSize, melBins 40,
 * fmin 20, fmax, logOffset 1e-6, melScale, melNorm). Params: 0. MACs: the DFT, mel and DCT
 * matrix products. Layer: `frontend` (DistilleryFrontEnd, models/audio-layers.ts).
 */
export const logmel = defineBlock({
  type: 'logmel',
  schema: z.strictObject({ type: z.literal('logmel'), ...feOptions }),
  resolve: (b, ctx): LogmelBlock => ({ type: 'logmel', ...resolveFe(b, ctx) }),
  cost: (b, s, path) => cost(b, s, path),
  build: (x, b, { prefix }) => build(x, b, prefix),
  describe,
  readback(g): LogmelBlock | undefined {
    if (!g.has('frontend')) return undefined;
    const fe = frontEndOfConfig(cfg(g.get('frontend')));
    if (fe.mfcc !== undefined) return undefined;
    return { type: 'logmel', ...fe };
  },
});

/**
 * `mfcc`: raw audio [samples] → MFCC [frames, coefficients, 1] (`coefficients`, default 10,
 * of the orthonormal DCT-II of the log-mel bins), otherwise as {@link logmel}.
 */
export const mfcc = defineBlock({
  type: 'mfcc',
  schema: z.strictObject({ type: z.literal('mfcc'), coefficients: pos.optional(), ...feOptions }),
  resolve: (b, ctx): MfccBlock => {
    const coefficients = b.coefficients ?? 10;
    return { type: 'mfcc', coefficients, ...resolveFe(b, ctx, coefficients) };
  },
  cost: (b, s, path) => cost(b, s, path),
  build: (x, b, { prefix }) => build(x, b, prefix),
  describe,
  readback(g): MfccBlock | undefined {
    if (!g.has('frontend')) return undefined;
    const { mfcc: coefficients, ...fe } = frontEndOfConfig(cfg(g.get('frontend')));
    if (coefficients === undefined) return undefined;
    return { type: 'mfcc', coefficients, ...fe };
  },
});
