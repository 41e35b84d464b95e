/**
 * Keyword spotting over a long recording, as pure functions: where the windows start, the
 * posterior smoothing, the decision (threshold and suppression), and the scoring of detections
 * against known keyword positions. `predictStream` (predict-audio.ts) runs the model between them.
 *
 * The decision follows the posterior handling of Chen et al. 2014 ("Small-footprint keyword
 * spotting using deep neural networks"), also used by Hello Edge (Zhang et al. 2017) and
 * TensorFlow's `RecognizeCommands`: classify a clip-long window every stride, average each
 * class's probability over the last few windows, fire when a keyword's average crosses a
 * threshold, and then stay quiet for a suppression period so one spoken word fires once.
 */
import { DistilleryError } from '../core/errors.ts';

/** How a long recording is scanned and when a keyword fires. */
export interface StreamOptions {
  /**
   * Seconds between window starts (default 0.1). TensorFlow's Android demo classifies every
   * ≥ 30 ms; 100 ms still puts a window within 50 ms of any word's best position, is a
   * multiple of the usual 10/20 ms hop, and costs 10 forward passes per second of audio.
   */
  readonly strideSeconds?: number;
  /** Windows in the causal moving average of the probabilities (default 3: 0.3 s at the default stride). */
  readonly smoothing?: number;
  /** Smoothed probability a keyword needs to fire (default 0.7, TensorFlow's streaming default). */
  readonly threshold?: number;
  /** Seconds after a detection during which nothing else fires (default: the clip length). */
  readonly suppressionSeconds?: number;
  /** Classes that never fire (default: names that start with `_`, i.e. `_silence_` and `_unknown_`). */
  readonly ignore?: readonly string[];
}

/** One keyword found in a recording: the triggering window's span, in seconds. */
export interface Detection {
  readonly label: string;
  readonly start: number;
  readonly end: number;
  /** The smoothed probability of `label` when it fired. */
  readonly score: number;
}

/** A labelled span of a recording (seconds), e.g. where a keyword was inserted. */
export interface Segment {
  readonly label: string;
  readonly start: number;
  readonly end: number;
}

/** The settings a stream runs with once defaults are filled in. */
export interface StreamSettings {
  readonly strideSeconds: number;
  readonly smoothing: number;
  readonly threshold: number;
  readonly suppressionSeconds: number;
}

/**
 * The defaults filled in and checked (STREAM_OPTION on a bad value, naming the option).
 *
 * @example
 * streamSettings({}, 1); // { strideSeconds: 0.1, smoothing: 3, threshold: 0.7, suppressionSeconds: 1 }
 */
export function streamSettings(opts: StreamOptions, clipSeconds: number): StreamSettings {
  const s = {
    strideSeconds: opts.strideSeconds ?? 0.1,
    smoothing: opts.smoothing ?? 3,
    threshold: opts.threshold ?? 0.7,
    suppressionSeconds: opts.suppressionSeconds ?? clipSeconds,
  };
  const bad = (key: string, v: number, want: string) =>
    new DistilleryError('STREAM_OPTION', `--${key} ${v}: must be ${want}`, 'see `distillery predict --help` for the streaming options', `--${key}`);
  if (!(s.strideSeconds > 0) || !Number.isFinite(s.strideSeconds)) throw bad('stride', s.strideSeconds, 'a positive number of seconds');
  if (!Number.isInteger(s.smoothing) || s.smoothing < 1) throw bad('smoothing', s.smoothing, 'a whole number of windows ≥ 1');
  if (!(s.threshold >= 0 && s.threshold <= 1)) throw bad('threshold', s.threshold, 'a probability in [0, 1]');
  if (!(s.suppressionSeconds >= 0) || !Number.isFinite(s.suppressionSeconds)) throw bad('suppression', s.suppressionSeconds, 'a number of seconds ≥ 0');
  return s;
}

/**
 * Start sample of every window of `clip` samples, `stride` samples apart, that fits in `total`
 * samples; a recording shorter than one clip gets one window at 0 (zero-padded, as training
 * pads short clips). The tail after the last whole window is not scanned.
 *
 * @example
 * windowStarts(16000 * 3, 16000, 1600); // [0, 1600, …, 32000]: 21 windows
 */
export function windowStarts(total: number, clip: number, stride: number): number[] {
  if (total <= clip) return [0];
  const out: number[] = [];
  for (let s = 0; s + clip <= total; s += stride) out.push(s);
  return out;
}

/**
 * Causal moving average of `n` rows of `k` probabilities over the last `w` rows (fewer at the
 * start: the first row is its own average).
 *
 * @example
 * smoothPosteriors(Float32Array.of(1, 0, 0, 1), 2, 2, 2); // [1, 0, 0.5, 0.5]
 */
export function smoothPosteriors(probs: Float32Array, n: number, k: number, w: number): Float32Array {
  const out = new Float32Array(n * k);
  const sum = new Float64Array(k);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < k; c++) sum[c] += probs[i * k + c];
    if (i >= w) for (let c = 0; c < k; c++) sum[c] -= probs[(i - w) * k + c];
    const m = Math.min(i + 1, w);
    for (let c = 0; c < k; c++) out[i * k + c] = sum[c] / m;
  }
  return out;
}

/**
 * The detections in smoothed probabilities (`n` windows × the classes of `classNames`): at
 * each window the most probable class that may fire; it fires when its smoothed probability is
 * at least `threshold` and no detection fired in the last `suppressionSeconds`. A detection
 * spans its triggering window, `[starts[i], starts[i] + clipSeconds]`.
 *
 * @example
 * decide(smoothed, n, ['_silence_', '_unknown_', 'yes'], startsInSeconds, 1, settings);
 * // [{ label: 'yes', start: 2.3, end: 3.3, score: 0.91 }]
 */
export function decide(
  smoothed: Float32Array,
  n: number,
  classNames: readonly string[],
  startSeconds: readonly number[],
  clipSeconds: number,
  settings: StreamSettings,
  ignore?: readonly string[],
): Detection[] {
  const k = classNames.length;
  const quiet = new Set(ignore ?? classNames.filter((c) => c.startsWith('_')));
  const live = classNames.map((c, i) => (quiet.has(c) ? -1 : i)).filter((i) => i >= 0);
  const out: Detection[] = [];
  let last = -Infinity;
  for (let i = 0; i < n; i++) {
    let best = -1;
    for (const c of live) if (best < 0 || smoothed[i * k + c] > smoothed[i * k + best]) best = c;
    if (best < 0) break;
    const score = smoothed[i * k + best];
    const t = startSeconds[i];
    // The small slack keeps a suppression of exactly k strides from failing on float rounding.
    if (score >= settings.threshold && t - last >= settings.suppressionSeconds - 1e-9) {
      out.push({ label: classNames[best], start: t, end: t + clipSeconds, score });
      last = t;
    }
  }
  return out;
}

/** Precision and recall of detections against known keyword positions. */
export interface StreamScore {
  /** Detections matched to an inserted keyword of the same label. */
  readonly truePositives: number;
  readonly falsePositives: number;
  /** Inserted keywords no detection matched. */
  readonly misses: number;
  /** truePositives / detections (1 when nothing was detected). */
  readonly precision: number;
  /** truePositives / keywords (1 when there were none). */
  readonly recall: number;
}

/**
 * Match detections to the keywords known to be in a recording, one to one: a detection matches
 * an unmatched keyword of the same label whose span overlaps its own (the one it overlaps
 * most). Unmatched detections are false positives (a second detection of one word, a wrong
 * label, or a detection in noise or on a non-keyword); unmatched keywords are misses.
 *
 * @example
 * scoreDetections([{ label: 'yes', start: 1, end: 2, score: 0.9 }], [{ label: 'yes', start: 1.4, end: 1.8 }]);
 * // { truePositives: 1, falsePositives: 0, misses: 0, precision: 1, recall: 1 }
 */
export function scoreDetections(detections: readonly Detection[], keywords: readonly Segment[]): StreamScore {
  const used = new Array<boolean>(keywords.length).fill(false);
  let tp = 0;
  for (const d of detections) {
    let best = -1;
    let bestOverlap = 0;
    for (let j = 0; j < keywords.length; j++) {
      const kw = keywords[j];
      if (used[j] || kw.label !== d.label) continue;
      const overlap = Math.min(d.end, kw.end) - Math.max(d.start, kw.start);
      if (overlap > bestOverlap) {
        best = j;
        bestOverlap = overlap;
      }
    }
    if (best >= 0) {
      used[best] = true;
      tp++;
    }
  }
  const fp = detections.length - tp;
  const misses = keywords.length - tp;
  return {
    truePositives: tp,
    falsePositives: fp,
    misses,
    precision: detections.length === 0 ? 1 : tp / detections.length,
    recall: keywords.length === 0 ? 1 : tp / keywords.length,
  };
}
