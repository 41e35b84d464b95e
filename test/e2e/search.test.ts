import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, parseEvents, ROOT, runCli, tempDir, tinySearchConfig, writeConfig } from '../helpers/cli.ts';

const env = { ...process.env, FORCE_COLOR: '0' };

function cli(args: string[]) {
  const r = runCli(args);
  return { ...r, events: args.includes('--json') && !args.includes('show') ? parseEvents(r.stdout) : [] };
}

const tinySearch = tinySearchConfig;

type Done = { counts: Record<string, number>; pareto: { trial: number; objectives: Record<string, number>; model: string }[]; hypervolume: number };

test('a small distilled search on MNIST under a MACs limit: front within the limit, counts add up, `search show --json`', () => {
  const dir = tempDir();
  const cfg = writeConfig(dir, 'search.json', tinySearch());
  const store = join(dir, 'study.db');
  const r = cli(['search', '--config', cfg, '--store', store, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const done = r.events.at(-1) as unknown as Done & { event: string };
  assert.equal(done.event, 'done');
  const c = done.counts;
  assert.equal(c['complete']! + c['pruned']! + c['failed']!, 4);
  assert.equal(c['total'], 4 + c['infeasible']!);
  assert.equal(c['running'], 0);
  assert.equal(r.events.filter((e) => e['event'] === 'trial_done').length, c['total']);
  assert.equal(r.events.filter((e) => e['event'] === 'trial_start').length, 4, 'infeasible candidates never start training');
  assert.ok(done.pareto.length >= 1);
  for (const p of done.pareto) {
    assert.ok(p.objectives['macs']! <= 30000, `front point within the limit: ${p.objectives['macs']}`);
    assert.ok(p.objectives['accuracy']! > 0.3, `distilled for one epoch: ${p.objectives['accuracy']}`);
    assert.ok(existsSync(join(p.model, 'model.json')), p.model);
  }
  assert.ok(done.hypervolume > 0);

  const show = cli(['search', 'show', '--store', store, '--json']);
  assert.equal(show.code, 0, show.stderr);
  const s = JSON.parse(show.stdout) as { trials: { id: number; state: string; objectives: Record<string, number> | null; params: object }[]; pareto: { id: number }[] };
  assert.equal(s.trials.length, c['total']);
  for (const t of s.trials) assert.ok('id' in t && 'state' in t && 'objectives' in t && 'params' in t);
  assert.deepEqual(s.pareto.map((t) => t.id), done.pareto.map((p) => p.trial));
  const human = cli(['search', 'show', '--store', store]);
  assert.match(human.stdout, /^study tiny: \d+ trials \(\d+ complete/);
  assert.match(human.stdout, /Pareto front \(\d+\)/);

  // the same study again without --resume: refused, and the store is left as it was
  const stored = readFileSync(store);
  const again = cli(['search', '--config', cfg, '--store', store]);
  assert.equal(again.code, 2);
  assert.match(again.stderr, /^error STORE_STUDY_EXISTS: .*already holds a study named 'tiny' \(hint: pass --resume/);
  assert.deepEqual(readFileSync(store), stored);
});

test('kill -9 during a search, then --resume: it finishes, no complete trial runs twice, the counts add up', async () => {
  const dir = tempDir();
  const cfg = writeConfig(dir, 'search.json', tinySearch({ budget: { trials: 3, epochs: 2 }, train: { epochs: 2, batchSize: 50, optimizer: { type: 'adam' } } }));
  const store = join(dir, 'study.db');
  const child = spawn(process.execPath, [BIN, 'search', '--config', cfg, '--store', store, '--json'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let seen = '';
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      // once the second trial has started training (the first is complete), kill it hard
      if (seen.split('\n').filter((l) => l.includes('"trial_start"')).length >= 2) child.kill('SIGKILL');
    });
    child.on('exit', () => resolve());
    child.on('error', reject);
  });
  const before = parseEvents(seen.split('\n').filter((l) => l.endsWith('}')).join('\n'));
  assert.ok(!before.some((e) => e['event'] === 'done'), 'killed before the end');
  const completeBefore = before.filter((e) => e['event'] === 'trial_done' && e['state'] !== 'infeasible').map((e) => e['trial']);
  const killed = before.filter((e) => e['event'] === 'trial_start').at(-1)!['trial'];
  assert.ok(completeBefore.length >= 1);

  const r = cli(['search', '--config', cfg, '--store', store, '--json', '--resume']);
  assert.equal(r.code, 0, r.stderr);
  const started = r.events.filter((e) => e['event'] === 'trial_start').map((e) => e['trial']);
  assert.equal(started[0], killed, 'the interrupted trial runs again first, under its id');
  for (const id of completeBefore) assert.ok(!started.includes(id), `complete trial ${id} did not run again`);
  const done = r.events.at(-1) as unknown as Done;
  const c = done.counts;
  assert.equal(c['complete']! + c['pruned']! + c['failed']!, 3);
  assert.equal(c['running'], 0);
  const trainingRuns = before.filter((e) => e['event'] === 'trial_start').length + started.length;
  assert.equal(trainingRuns, 3 + 1, 'three trials, one of them run twice');
  const s = JSON.parse(cli(['search', 'show', '--store', store, '--json']).stdout) as { trials: { id: number; attempts: number; params: object }[] };
  assert.deepEqual(s.trials.filter((t) => t.attempts > 1).map((t) => t.id), [killed]);
});

test('bad input: one line each, exit 2, a file that is not a study left as it was', () => {
  // (every case is also checked in-process in src/study/study.test.ts; here: the CLI's one line)
  const dir = tempDir();
  const notAStudy = join(dir, 'notes.db');
  writeFileSync(notAStudy, 'my notes, not a database\n');
  const mlp = { template: { model: { blocks: [{ type: 'flatten' }, { type: 'dense', units: { choice: [8, 16] }, activation: 'relu' }, { type: 'dense', units: 10 }] } } };
  const plain = (o: Record<string, unknown>) => tinySearch({ teacher: undefined, cache: undefined, space: mlp, ...o });
  const cases: [string[], string][] = [
    [['--config', writeConfig(dir, 'good.json', plain({})), '--store', notAStudy], 'STORE_FORMAT'],
    [['show', '--store', notAStudy], 'STORE_FORMAT'],
    [['--config', writeConfig(dir, 'strat.json', plain({ strategy: { name: 'annealing' } })), '--store', join(dir, 'x.db')], 'UNKNOWN_STRATEGY'],
    [['--config', writeConfig(dir, 'lim.json', plain({ limits: ['macs<=1000'] })), '--store', join(dir, 'x.db')], 'SEARCH_LIMITS_UNREACHABLE'],
  ];
  for (const [args, code] of cases) {
    const r = cli(['search', ...args]);
    assert.equal(r.code, 2, `${code}: ${r.stderr}`);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0]!, new RegExp(`^error ${code}: `));
  }
  assert.equal(readFileSync(notAStudy, 'utf8'), 'my notes, not a database\n');
  assert.equal(existsSync(join(dir, 'x.db')), false, 'no store is created for a config that fails its checks');
});

test('a tabular benchmark through the CLI: --table and --objectives', () => {
  const dir = tempDir();
  const cfg = join(dir, 'nb201.yaml');
  writeFileSync(cfg, readFileSync(join(ROOT, 'examples/spaces/nb201.yaml'), 'utf8') + 'strategy: { name: tpe }\nbudget: { trials: 25 }\n');
  const r = cli(['search', '--config', cfg, '--store', join(dir, 'nb.db'), '--table', join(ROOT, 'bench/data/nb201-cifar10.csv'), '--objectives', 'c10_valid_12ep:max,lat_ms_pixel3:min', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const done = r.events.at(-1) as unknown as Done;
  assert.equal(done.counts['complete'], 25);
  assert.ok(done.pareto.length >= 2 && done.pareto.every((p) => p.objectives['c10_valid_12ep']! > 0 && p.model === null));
});
