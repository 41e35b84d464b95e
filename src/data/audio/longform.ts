import { Rng } from '../../core/rng.ts';
import { DistilleryError } from '../../core/errors.ts';
import { indexFolder, SPEECH_COMMANDS_SEED, UNKNOWN_LABEL } from './folder.ts';
import { readClip, readMono } from './source.ts';

/** A labelled span of a recording, in seconds. */
export interface LabelledSpan {
  readonly label: string;
  readonly start: number;
  readonly end: number;
}

/** A long recording with the spans of the words put into it. */
export interface LongRecording {
  readonly samples: Float32Array;
  readonly sampleRate: number;
  /** Every inserted clip's spoken part, in time order; `_unknown_` for non-keywords. */
  readonly words: readonly LabelledSpan[];
}

/** How {@link composeRecording} lays clips over noise. */
export interface ComposeOptions {
  readonly sampleRate: number;
  /** Length of the recording (default 60). */
  readonly seconds?: number;
  /** Seconds of background between one clip's end and the next clip's start, drawn uniformly (default [0.5, 2]). */
  readonly gapSeconds?: readonly [number, number];
  /** RMS of the background noise under everything (default 0.01, about 20 dB under a word of the synthetic set). */
  readonly noiseRms?: number;
  readonly seed?: number;
}

/**
 * The spoken part of a clip: from the first to the last 10 ms frame whose RMS is within 20 dB
 * of the loudest frame's, as `[first sample, end sample)`; null for a silent clip.
 *
 * @example
 * speechExtent(clip, 16000); // [4320, 11200]: the word is 0.27–0.70 s into the clip
 */
export function speechExtent(samples: Float32Array, sampleRate: number): [number, number] | null {
  const f = Math.max(1, Math.round(sampleRate / 100));
  const n = Math.ceil(samples.length / f);
  const rms = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    const e = Math.min(samples.length, (i + 1) * f);
    for (let j = i * f; j < e; j++) s += samples[j] * samples[j];
    rms[i] = Math.sqrt(s / (e - i * f));
  }
  const peak = rms.reduce((m, v) => Math.max(m, v), 0);
  if (peak === 0) return null;
  const floor = peak / 10;
  let a = 0;
  while (rms[a] < floor) a++;
  let b = n - 1;
  while (rms[b] < floor) b--;
  return [a * f, Math.min(samples.length, (b + 1) * f)];
}

/**
 * Lay clips end to end over background noise, in the order given, with a random gap before
 * each, until the next clip would not fit. The noise is a random stretch of a random recording
 * for each second, scaled to `noiseRms`; the clips are added on top. Returns the recording and
 * the spoken part ({@link speechExtent}) of each clip placed. Seeded: the same inputs and seed
 * give the same samples.
 *
 * @example
 * const rec = composeRecording(clips, noise, { sampleRate: 16000, seconds: 60, seed: 1 });
 * rec.words; // [{ label: 'yes', start: 1.31, end: 1.74 }, …]
 */
export function composeRecording(clips: readonly { label: string; samples: Float32Array }[], noise: readonly Float32Array[], opts: ComposeOptions): LongRecording {
  const rate = opts.sampleRate;
  const total = Math.round(rate * (opts.seconds ?? 60));
  const [gmin, gmax] = opts.gapSeconds ?? [0.5, 2];
  const rng = new Rng(opts.seed ?? 1);
  const out = new Float32Array(total);
  const usable = noise.filter((n) => n.length > 0);
  if (usable.length > 0) {
    const target = opts.noiseRms ?? 0.01;
    for (let at = 0; at < total; at += rate) {
      const src = usable[rng.int(0, usable.length - 1)];
      const len = Math.min(rate, total - at, src.length);
      const from = rng.int(0, src.length - len);
      let e = 0;
      for (let i = 0; i < len; i++) e += src[from + i] * src[from + i];
      const gain = e > 0 ? target / Math.sqrt(e / len) : 0;
      for (let i = 0; i < len; i++) out[at + i] = src[from + i] * gain;
    }
  }
  const words: LabelledSpan[] = [];
  let at = 0;
  for (const clip of clips) {
    const start = at + Math.round(rate * (gmin + rng.next() * (gmax - gmin)));
    if (start + clip.samples.length > total) break;
    for (let i = 0; i < clip.samples.length; i++) out[start + i] += clip.samples[i];
    const ext = speechExtent(clip.samples, rate);
    if (ext) words.push({ label: clip.label, start: (start + ext[0]) / rate, end: (start + ext[1]) / rate });
    at = start + clip.samples.length;
  }
  return { samples: out, sampleRate: rate, words };
}

/** What {@link buildTestRecording} reads and how it mixes. */
export interface TestRecordingOptions extends Omit<ComposeOptions, 'sampleRate'> {
  /** A folder in the Speech Commands layout. */
  readonly folder: string;
  /** The model's keywords; clips of other folders are non-keywords (`_unknown_`). */
  readonly words: readonly string[];
  readonly sampleRate?: number;
  readonly clipSeconds?: number;
  /** Share of the clips that are non-keywords (default 0.25): a detector must stay quiet on them. */
  readonly unknownShare?: number;
}

/**
 * A long recording for checking streaming detection: clips of the folder's **test** split
 * (its `testing_list.txt`, or Speech Commands' speaker hash at 10%), keywords and a share of
 * non-keywords in a seeded random order, over the folder's `_background_noise_` recordings
 * ({@link composeRecording}). No test clip is used twice.
 *
 * @example
 * const rec = buildTestRecording({ folder: 'data/kws', words: ['yes', 'no'], seconds: 60, seed: 1 });
 * rec.words.filter((w) => w.label !== '_unknown_'); // the keywords a detector should find
 */
export function buildTestRecording(opts: TestRecordingOptions): LongRecording {
  const rate = opts.sampleRate ?? 16000;
  const format = { sampleRate: rate, samples: Math.round(rate * (opts.clipSeconds ?? 1)) };
  const idx = indexFolder(opts.folder, { words: opts.words, validationPercent: 10, testPercent: 10, silencePercent: 0, unknownPercent: 100, seed: SPEECH_COMMANDS_SEED });
  const rng = new Rng((opts.seed ?? 1) ^ 0x10f6);
  const kws = rng.shuffle(idx.test.filter((r) => r.path !== null && r.label !== UNKNOWN_LABEL));
  const unk = rng.shuffle(idx.test.filter((r) => r.path !== null && r.label === UNKNOWN_LABEL));
  if (kws.length === 0) {
    throw new DistilleryError('DATA_AUDIO_EMPTY', `${opts.folder}: the test split holds no keyword clips`, 'give a folder with a testing_list.txt or enough speakers for a 10% test split', opts.folder);
  }
  const share = opts.unknownShare ?? 0.25;
  // Enough clips for the longest recording the gaps allow; both lists are used without repeats.
  const need = Math.ceil((opts.seconds ?? 60) / (format.samples / rate + (opts.gapSeconds?.[0] ?? 0.5))) + 1;
  const picked: { label: string; samples: Float32Array }[] = [];
  for (let i = 0; i < need; i++) {
    const ref = (rng.next() < share && unk.length > 0) || kws.length === 0 ? unk.pop() : kws.pop();
    if (!ref) break;
    picked.push({ label: ref.label, samples: readClip(ref.path as string, format) });
  }
  const noise = idx.noise.map((p) => readMono(p, format));
  return composeRecording(picked, noise, { ...opts, sampleRate: rate });
}
