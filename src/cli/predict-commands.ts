import { DistilleryError } from '../core/errors.ts';
import type { PredictStreamOptions } from '../jobs/predict-audio.ts';
import type { CommandSpec } from './spec.ts';
import { positiveInt } from './options.ts';
import { table } from './reporters.ts';

/** A number flag for --stream, or undefined when absent (STREAM_OPTION when it is not a number). */
function num(flag: string, v: unknown): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (typeof v !== 'string' || v.trim() === '' || !Number.isFinite(n)) {
    throw new DistilleryError('STREAM_OPTION', `--${flag} ${String(v)}: expected a number`, `for example --${flag} ${flag === 'threshold' ? '0.7' : '0.1'}`, `--${flag}`);
  }
  return n;
}

/** `distillery predict MODEL INPUT...`: classify texts, a file of lines, image/sample files or WAV clips; `--stream` spots keywords in long recordings. */
export const predictCommands: CommandSpec[] = [
  {
    name: 'predict',
    description: 'classify inputs with a saved model: texts (or --file, one per line) for a text model; .wav clips for an audio model (--stream: keywords in long recordings); .pgm images, .npy/IDX stacks or .csv rows otherwise',
    args: [
      { name: 'model', description: 'model folder written by train or distill (model.json, labels.json, tokenizer.json for text)', required: true },
      { name: 'inputs...', description: 'texts, or input files' },
    ],
    options: [
      { flags: '-f, --file <path>', description: 'read the texts from a file, one per line (added after any INPUT)' },
      { flags: '--backend <name>', description: 'engine: auto | native | wasm | cpu | node (default auto)' },
      { flags: '--stream', description: 'audio: scan each recording with a sliding window and print the keywords found, with times' },
      { flags: '--stride <seconds>', description: '--stream: seconds between windows (default 0.1)' },
      { flags: '--smoothing <n>', description: '--stream: windows in the moving average of the probabilities (default 3)' },
      { flags: '--threshold <p>', description: '--stream: smoothed probability a keyword needs (default 0.7)' },
      { flags: '--suppression <seconds>', description: '--stream: quiet time after a detection (default: the clip length)' },
      { flags: '--threads <n>', description: 'engine threads (default: every core)' },
    ],
    async run(args, opts, flags) {
      const [model, ...inputs] = args;
      const { predict, readLines } = await import('../jobs/predict.ts'); // TF.js: only when it runs
      const all = typeof opts['file'] === 'string' ? [...inputs, ...readLines(opts['file'])] : inputs;
      const backend = typeof opts['backend'] === 'string' ? (opts['backend'] as 'auto') : undefined;
      const threads = positiveInt('threads', opts['threads']);
      if (opts['stream']) {
        if (all.length === 0) throw new DistilleryError('PREDICT_NO_INPUT', 'nothing to scan', 'pass one or more .wav recordings after the model', 'INPUT');
        const { predictStream } = await import('../jobs/predict-audio.ts'); // TF.js: only when it runs
        const o: PredictStreamOptions = {
          ...(backend ? { backend } : {}),
          ...(threads !== undefined ? { threads } : {}),
          ...defined({ strideSeconds: num('stride', opts['stride']), smoothing: num('smoothing', opts['smoothing']), threshold: num('threshold', opts['threshold']), suppressionSeconds: num('suppression', opts['suppression']) }),
        };
        for (const file of all) {
          const r = await predictStream(model!, file, o);
          if (flags.json) {
            for (const d of r.detections) process.stdout.write(JSON.stringify({ event: 'detection', file, label: d.label, start: round(d.start), end: round(d.end), score: d.score }) + '\n');
            process.stdout.write(
              JSON.stringify({ event: 'done', file, detections: r.detections.length, windows: r.windows, audioSeconds: r.audioSeconds, computeSeconds: r.computeSeconds, realTimeFactor: r.realTimeFactor, ...r.settings }) + '\n',
            );
            continue;
          }
          if (all.length > 1) process.stdout.write(`${file}\n`);
          process.stdout.write(table([['label', 'start', 'end', 'score'], ...r.detections.map((d) => [d.label, d.start.toFixed(2), d.end.toFixed(2), d.score.toFixed(3)])]));
          process.stdout.write(
            `${r.detections.length} detection(s) in ${r.audioSeconds.toFixed(1)} s of audio (${r.windows} windows every ${r.settings.strideSeconds} s), ` +
              `computed in ${r.computeSeconds.toFixed(2)} s: ${r.realTimeFactor.toFixed(0)}x real time\n`,
          );
        }
        return;
      }
      const out = await predict(model!, all, { ...(backend ? { backend } : {}), ...(threads !== undefined ? { threads } : {}) });
      if (flags.json) {
        // One line per input, nothing else: easy to pipe.
        for (const p of out) process.stdout.write(JSON.stringify({ input: p.input, label: p.label, probabilities: p.probabilities }) + '\n');
        return;
      }
      const short = (s: string) => (s.length > 60 ? `${s.slice(0, 57).replace(/\s+/g, ' ')}...` : s.replace(/\s+/g, ' '));
      process.stdout.write(table([['input', 'label', 'probability'], ...out.map((p) => [short(p.input), p.label, p.probabilities[p.label]!.toFixed(4)])]));
    },
  },
];

/** Times to the sample's microsecond, so JSON lines stay short. */
const round = (t: number) => Math.round(t * 1e6) / 1e6;

function defined<T extends Record<string, number | undefined>>(o: T): { [K in keyof T]?: number } {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as { [K in keyof T]?: number };
}
