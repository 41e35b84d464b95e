import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, tempDir, tinyMnistConfig, writeConfig } from '../helpers/cli.ts';

// --resume over a damaged run folder: one line naming the file at fault and what to do, exit 2
// (these were INTERNAL errors: a JSON.parse throw, and a short slice that TF.js refused later).

let cfg: string;
let run: string;

before(() => {
  const dir = tempDir('distillery-resume-');
  cfg = writeConfig(dir, 'tiny.json', tinyMnistConfig({ data: { source: 'mnist', limit: 600, testLimit: 200, validation: 100, normalize: 'scale' }, train: { epochs: 1, batchSize: 64, optimizer: { type: 'adam', lr: 0.003 } } }));
  run = join(dir, 'run');
  const r = runCli(['train', '--config', cfg, '--out', run]);
  assert.equal(r.code, 0, r.stderr);
});

function resumeFails(code: string, want: RegExp): void {
  const r = runCli(['train', '--config', cfg, '--out', run, '--resume']);
  assert.equal(r.code, 2, r.stderr);
  // the progress line before it is fine; the error is one line, with no stack
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.filter((l) => l.startsWith('error ')).length, 1, r.stderr);
  assert.doesNotMatch(r.stderr, /^\s+at /m, 'no stack trace without --debug');
  assert.match(lines.at(-1)!, new RegExp(`^error ${code}: `));
  assert.match(lines.at(-1)!, want);
}

test('--resume with a metrics.jsonl line that is not JSON: TRAIN_METRICS_CORRUPT naming the file and line', () => {
  const file = join(run, 'metrics.jsonl');
  const good = readFileSync(file, 'utf8');
  const n = good.trim().split('\n').length;
  appendFileSync(file, '{"event":"epoch","epo\n');
  try {
    resumeFails('TRAIN_METRICS_CORRUPT', new RegExp(`run/metrics\\.jsonl: line ${n + 1} is not valid JSON: .*\\("\\{\\\\"event\\\\":\\\\"epoch\\\\",\\\\"epo"\\) \\(hint: .*delete that line and --resume again`));
  } finally {
    writeFileSync(file, good);
  }
});

test('--resume with a checkpoint whose segments run past its data file: TRAIN_CHECKPOINT_CORRUPT', () => {
  const file = join(run, 'checkpoint', 'manifest.json');
  const good = readFileSync(file, 'utf8');
  const m = JSON.parse(good) as { segments: { offset: number; length: number }[] };
  m.segments.at(-1)!.length += 10;
  writeFileSync(file, JSON.stringify(m));
  try {
    resumeFails('TRAIN_CHECKPOINT_CORRUPT', /checkpoint\/manifest\.json: segment \d+ \(.*\) spans values \d+\.\.\d+, but ckpt-e0001\.bin holds \d+ \(hint: delete the checkpoint folder to start afresh\)/);
  } finally {
    writeFileSync(file, good);
  }
});
