import type { CommandSpec } from './spec.ts';
import { table } from './reporters.ts';

/** `distillery predict MODEL INPUT...`: classify texts, a file of lines, or image/sample files. */
export const predictCommands: CommandSpec[] = [
  {
    name: 'predict',
    description: 'classify inputs with a saved model: texts (or --file, one per line) for a text model; .pgm images, .npy/IDX stacks or .csv rows otherwise',
    args: [
      { name: 'model', description: 'model folder written by train or distill (model.json, labels.json, tokenizer.json for text)', required: true },
      { name: 'inputs...', description: 'texts, or input files' },
    ],
    options: [
      { flags: '-f, --file <path>', description: 'read the texts from a file, one per line (added after any INPUT)' },
      { flags: '--backend <name>', description: 'engine: auto | native | wasm | cpu | node (default auto)' },
    ],
    async run(args, opts, flags) {
      const [model, ...inputs] = args;
      const { predict, readLines } = await import('../jobs/predict.ts'); // TF.js: only when it runs
      const all = typeof opts['file'] === 'string' ? [...inputs, ...readLines(opts['file'])] : inputs;
      const backend = typeof opts['backend'] === 'string' ? (opts['backend'] as 'auto') : undefined;
      const out = await predict(model!, all, backend ? { backend } : {});
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
