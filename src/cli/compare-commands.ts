import { DistilleryError } from '../core/errors.ts';
import type { CommandSpec, GlobalFlags } from './spec.ts';
import { positiveInt } from './options.ts';
import { table } from './reporters.ts';

const BACKENDS = ['auto', 'native', 'wasm', 'cpu', 'node'];

/**
 * `distillery compare --config FILE --out DIR [--resume]`: the four arms at equal training
 * compute, with a verdict, `report.html` and `report.md` in DIR. `--json` ends with
 * `{"event":"done","arms":{...},"verdict":"..."}`.
 */
export const compareCommands: CommandSpec[] = [
  {
    name: 'compare',
    description: 'hand student, distilled, search and search of distilled candidates at equal training compute, over seeds, with a verdict',
    options: [
      { flags: '-c, --config <file>', description: 'compare config: data, teacher, student, space, objectives, limits, budget, seeds' },
      { flags: '-o, --out <dir>', description: 'output folder (arms, stores, models, report)' },
      { flags: '--resume', description: 'continue the comparison in --out: finished arms, seeds and trials are not redone' },
      { flags: '--set <key=value>', description: 'override a config key, e.g. --set seeds=5 (repeatable)', repeatable: true },
      { flags: '--backend <name>', description: `engine: ${BACKENDS.join(' | ')} (default auto)` },
      { flags: '--threads <n>', description: 'threads for the wasm engine' },
    ],
    async run(_args, opts, flags: GlobalFlags) {
      const file = opts['config'];
      if (typeof file !== 'string') throw new DistilleryError('CLI_CONFIG_REQUIRED', 'compare needs a config file', 'pass --config FILE, e.g. --config examples/mnist-compare.yaml', '--config');
      const out = opts['out'];
      if (typeof out !== 'string') throw new DistilleryError('CLI_OPTION_REQUIRED', '--out is required', 'for example --out runs/compare', '--out');
      const backend = opts['backend'];
      if (backend !== undefined && !BACKENDS.includes(String(backend))) throw new DistilleryError('CLI_BACKEND', `--backend ${String(backend)}: unknown backend`, `use one of: ${BACKENDS.join(', ')}`, '--backend');
      const threads = positiveInt('threads', opts['threads']);
      const { ARMS, compare, loadCompareConfig } = await import('../compare/index.ts'); // the jobs: only when it runs
      const { config, baseDir } = await loadCompareConfig(file, (opts['set'] as string[] | undefined) ?? [], { ...(flags.seed !== undefined ? { seed: flags.seed } : {}), ...(backend ? { backend } : {}), ...(threads ? { threads } : {}) });
      const r = await compare(config, { out, baseDir, resume: opts['resume'] === true, reporter: flags.reporter });
      const arms = Object.fromEntries(ARMS.map((a) => [a, { trainingMacs: r.arms[a].trainingMacs, seeds: r.arms[a].seeds, best: r.arms[a].best, front: r.arms[a].front }]));
      flags.reporter({ event: 'info', message: `compare: report ${r.report.html} (Markdown ${r.report.markdown}); teacher ${(100 * r.teacher.testAccuracy).toFixed(2)}% on test; ${Math.round(r.seconds)} s`, report: r.report, teacher: r.teacher, budget: r.plan.budget, seconds: r.seconds });
      // The done event exactly as documented: every arm's spend, seeds, best and front, and the verdict.
      flags.reporter({ event: 'done', arms, verdict: r.verdict });
      if (!flags.json) {
        const rows = [['arm', 'test accuracy', r.plan.metric, 'training MACs/seed', 'seconds'], ...ARMS.map((a) => {
          const b = r.arms[a].best;
          return [a, `${(100 * b.accuracy.mean).toFixed(2)}% ± ${(100 * b.accuracy.std).toFixed(2)}`, Math.round(b.cost.mean).toLocaleString('en-US'), r.arms[a].trainingMacs.toExponential(3), String(Math.round(b.seconds))];
        })];
        process.stdout.write(table(rows) + `\n${r.verdict}\n\nreport: ${r.report.html} (Markdown: ${r.report.markdown})\n`);
      }
    },
  },
];
