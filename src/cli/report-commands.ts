import { resolve } from 'node:path';
import { readConfigFile } from '../config/index.ts';
import { RUNTIMES } from '../deploy/bench/runtimes.ts';
import type { CommandSpec } from './spec.ts';
import { dirname } from 'node:path';
import { positiveInt } from './options.ts';

/**
 * `distillery report STUDY_OR_MODEL --out report.html [--runtime onnx,tfjs-wasm] [--no-latency]
 * [--teacher DIR] [--test-limit N]`: the deployment report (HTML and a Markdown twin beside it).
 *
 * @example
 * // distillery report runs/quickstart --out runs/quickstart/report.html
 * // distillery report study.db --teacher runs/teacher --runtime onnx --out study-report.html
 * // lead: import { reportCommands } from './report-commands.ts' and append them to `commands`
 */
export const reportCommands: CommandSpec[] = [
  {
    name: 'report',
    description: 'deployment report: teacher against students (accuracy, size, latency), the Pareto front and bars, as one HTML file and a Markdown twin',
    args: [{ name: 'input', description: 'study store (.db), model folder, or run folder (e.g. the quickstart output: teacher/ student/ distilled/)', required: true }],
    options: [
      { flags: '-o, --out <file>', description: 'the HTML file (default report.html); the Markdown twin goes beside it (.md)' },
      { flags: '--input <path>', description: 'another study store, model or run folder to include (repeatable)', repeatable: true },
      { flags: '--runtime <list>', description: `runtimes to time on, comma-separated: ${RUNTIMES.join(', ')} (default onnx,tfjs-wasm; browser: TF.js wasm in headless Chromium)` },
      { flags: '--no-latency', description: 'skip the latency measurements' },
      { flags: '--teacher <dir>', description: 'teacher model (or run) folder to compare the students with' },
      { flags: '--test-limit <n>', description: 're-evaluate every model on the first N test samples (default: the runs\' logged test scores, else the whole test split)' },
      { flags: '--data <config>', description: 'config whose data: section names the test data of models whose data is not known' },
      { flags: '--study <name>', description: 'the study to report from a store holding several (default the latest)' },
      { flags: '--threads <n>', description: 'runtime threads while timing (default 1)' },
      { flags: '--warmup <n>', description: 'untimed runs per model and runtime (default 20)' },
      { flags: '--iterations <n>', description: 'timed runs per model and runtime (default 100)' },
    ],
    async run(args, opts, flags) {
      const runtimes = typeof opts['runtime'] === 'string' ? opts['runtime'].split(',').map((s) => s.trim()).filter((s) => s !== '') : undefined;
      const testLimit = positiveInt('test-limit', opts['testLimit']);
      const threads = positiveInt('threads', opts['threads']);
      const warmup = positiveInt('warmup', opts['warmup']);
      const iterations = positiveInt('iterations', opts['iterations']);
      const out = resolve(typeof opts['out'] === 'string' ? opts['out'] : 'report.html');
      let data: { data: Record<string, unknown>; baseDir: string } | undefined;
      if (typeof opts['data'] === 'string') {
        const raw = await readConfigFile(opts['data']);
        data = { data: (raw.value['data'] ?? raw.value) as Record<string, unknown>, baseDir: dirname(resolve(opts['data'])) };
      }
      const inputs = [args[0]!, ...((opts['input'] as string[] | undefined) ?? [])];
      // imported here: the report job loads TF.js, onnxruntime and SQLite, --help and flag errors none
      const { collectReport, formatPercent, formatMs, writeReport } = await import('../deploy/report/index.ts');
      flags.reporter({ event: 'start', command: 'report', inputs, out });
      const report = await collectReport(inputs, {
        latency: opts['latency'] !== false,
        reporter: flags.reporter,
        ...(runtimes ? { runtimes } : {}),
        ...(typeof opts['teacher'] === 'string' ? { teacher: opts['teacher'] } : {}),
        ...(typeof opts['study'] === 'string' ? { study: opts['study'] } : {}),
        ...(testLimit ? { testLimit } : {}),
        ...(threads ? { threads } : {}),
        ...(warmup ? { warmup } : {}),
        ...(iterations ? { iterations } : {}),
        ...(data ? { data } : {}),
        ...(flags.seed !== undefined ? { seed: flags.seed } : {}),
      });
      const files = writeReport(report, out);
      flags.reporter({ event: 'done', command: 'report', ...files, models: report.models, summary: report.summary ?? null, study: report.study ? { name: report.study.name, points: report.study.points.length } : null });
      if (!flags.json) {
        for (const m of report.models) {
          const lat = Object.entries(m.latency).map(([r, l]) => `${r} p50 ${formatMs(l.p50Ms)} ms`).join(', ');
          process.stdout.write(`${m.role === 'teacher' ? 'teacher' : 'student'} ${m.label}: accuracy ${formatPercent(m.accuracy?.value)}${lat ? `, ${lat}` : ''}\n`);
        }
        process.stdout.write(`wrote ${files.html} and ${files.markdown}\n`);
      }
    },
  },
];
