import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isDistilleryError } from '../../src/core/errors.ts';
import { onnxChecker } from '../../src/onnx/testing.ts';
import { showStudy } from '../../src/study/index.ts';
import { extractFromSupernet, loadSupernetConfig, readManifest, searchSupernet, trainSupernet } from '../../src/supernet/index.ts';
import { parseEvents, runCli, startCli, tempDir, writeConfig } from '../helpers/cli.ts';

// One real run of the whole once-for-all path on an MNIST subset with a tiny space: train
// through the CLI, kill -9 after the first epoch's checkpoint, resume, and get the weights of an
// unbroken run; search the subnets under a MACs limit into a study store that `search show`
// reads; extract a front member as a model whose logits equal the supernet's and export it to
// ONNX with parity and the checker; fine-tune it, kill -9 mid-way, resume, and get the weights
// of an unbroken fine-tuning.

const CONFIG = {
  name: 'tiny-ofa',
  seed: 4,
  data: { source: 'mnist', limit: 704, validation: 192, testLimit: 200, normalize: 'scale' },
  supernet: {
    stem: { filters: 4 },
    stages: [{ filters: 8, stride: 2, depth: [1, 2], expansion: [2, 3], kernel: [3, 5] }],
  },
  train: { epochs: 3, batchSize: 64, optimizer: { type: 'adam', lr: 0.01 } },
  sandwich: { random: 1 },
  calibration: { samples: 128 },
};
// MACs of this space's subnets range 20,072 (smallest) .. 84,164 (largest) on 28x28x1
const LIMIT = 60_000;

/** Runs the CLI in the background and SIGKILLs it once `when` matches an event; resolves to the events seen. */
function runAndKill(args: string[], when: (e: Record<string, unknown>) => boolean): Promise<{ events: Record<string, unknown>[]; signal: string | null }> {
  return new Promise((resolve, reject) => {
    const child = startCli(args);
    const events: Record<string, unknown>[] = [];
    let buf = '';
    child.stdout.on('data', (c: Buffer) => {
      buf += c.toString();
      const lines = buf.split('\n');
      buf = lines.pop() ?? '';
      for (const e of parseEvents(lines.join('\n'))) {
        events.push(e);
        if (when(e)) child.kill('SIGKILL');
      }
    });
    child.on('error', reject);
    child.on('close', (_code, signal) => resolve({ events, signal }));
  });
}

test('supernet: kill -9 + resume = unbroken run; search into the store; extract with parity and ONNX', { timeout: 300_000 }, async (t) => {
  const dir = tempDir('distillery-supernet-');
  const file = writeConfig(dir, 'ofa.json', CONFIG);
  const out = join(dir, 'supernet');

  const killed = await runAndKill(['supernet', 'train', '--config', file, '--out', out, '--json'], (e) => e['event'] === 'epoch' && e['epoch'] === 1);
  assert.equal(killed.signal, 'SIGKILL', 'killed mid-run');
  assert.ok(!existsSync(join(out, 'supernet.json')), 'no finished supernet after the kill');
  const resumed = runCli(['supernet', 'train', '--config', file, '--out', out, '--resume', '--json']);
  assert.equal(resumed.code, 0, resumed.stderr);
  const epochs = resumed.events.filter((e) => e['event'] === 'epoch').map((e) => e['epoch']);
  assert.ok(epochs.length >= 1 && epochs.length < 3 && epochs.at(-1) === 3, `resumed from the checkpoint, not from scratch: epochs ${epochs.join(', ')}`);

  // the same run unbroken, in this process (same engine: auto)
  const { config, baseDir } = await loadSupernetConfig(file);
  const whole = await trainSupernet(config, { out: join(dir, 'unbroken'), baseDir });
  assert.deepEqual(readFileSync(join(out, 'weights.bin')), readFileSync(join(dir, 'unbroken', 'weights.bin')), 'the same final weights, bit for bit');
  const m = readManifest(out);
  assert.equal(m.trainingMacs, whole.trainingMacs, 'training compute is counted across the resume too');
  const last = m.history.at(-1)!;
  assert.ok(last['valAccuracyLargest']! > 0.3, `the largest subnet learnt something in 33 steps: ${last['valAccuracyLargest']}`);

  // a search over the subnets, spec limits first
  const store = join(dir, 'ofa.db');
  const s = runCli(['supernet', 'search', '--supernet', out, '--store', store, '--limits', `macs<=${LIMIT}`, '--trials', '5', '--strategy', 'random', '--json']);
  assert.equal(s.code, 0, s.stderr);
  const done = s.events.at(-1)!;
  assert.equal(done['event'], 'done');
  const shown = await showStudy(store);
  assert.equal(shown.counts.complete, 5);
  for (const tr of shown.trials) {
    const macs = tr.values['macs']!;
    if (tr.state === 'infeasible') assert.ok(macs > LIMIT, `infeasible at ${macs}`);
    else assert.ok(tr.state === 'complete' && macs <= LIMIT && tr.values['accuracy']! > 0.1 && tr.values['recalibrateSeconds']! >= 0, JSON.stringify(tr));
  }
  assert.ok(shown.pareto.length >= 1 && shown.hypervolume > 0);
  // every scored subnet is saved as a model folder, as a trained trial is
  assert.ok(shown.pareto.every((p) => p.model !== null && existsSync(join(p.model, 'model.json'))), JSON.stringify(shown.pareto));

  // extract a member of the front, then ONNX with parity and the checker
  const best = shown.pareto[0]!;
  const picked = join(dir, 'picked');
  const x = runCli(['supernet', 'extract', '--supernet', out, '--trial', String(best.number), '--out', picked, '--onnx', '--json']);
  assert.equal(x.code, 0, x.stderr);
  const xd = x.events.at(-1)!;
  assert.ok((xd['maxAbsDiff'] as number) <= 1e-5, `max |extracted - supernet| = ${String(xd['maxAbsDiff'])}`);
  assert.equal(xd['accuracy'], best.objectives!['accuracy'], 'the extracted model scores what the search recorded');
  const parity = (xd['onnx'] as { parity: { ok: boolean; maxAbsDiff: number; classDiffers: number } }).parity;
  assert.ok(parity.ok && parity.classDiffers === 0, JSON.stringify(parity));
  const check = onnxChecker(readFileSync(join(picked, 'model.onnx')), 'subnet.onnx');
  if ('skip' in check) t.diagnostic(check.skip);
  else assert.ok(check.ok, 'error' in check ? check.error : '');

  // fine-tuning by distillation from the largest subnet, killed in its third epoch and resumed
  // (an epoch's event comes before its checkpoint: the second's event follows the first's checkpoint)
  const tuned = join(dir, 'tuned');
  const ftArgs = ['supernet', 'extract', '--supernet', out, '--trial', String(best.number), '--out', tuned, '--finetune-epochs', '4', '--json'];
  const cut = await runAndKill(ftArgs, (e) => e['event'] === 'epoch' && e['epoch'] === 2);
  assert.equal(cut.signal, 'SIGKILL', 'killed mid-fine-tuning');
  assert.ok(!existsSync(join(tuned, 'model.json')), 'no model written before the fine-tuning ends');
  const again = runCli([...ftArgs, '--resume']);
  assert.equal(again.code, 0, again.stderr);
  const ftEpochs = again.events.filter((e) => e['event'] === 'epoch').map((e) => e['epoch']);
  assert.ok(ftEpochs.length >= 1 && (ftEpochs[0] as number) > 1 && ftEpochs.at(-1) === 4, `fine-tuning resumed from its checkpoint: epochs ${ftEpochs.join(', ')}`);
  const ft = again.events.at(-1)!['finetune'] as { epochs: number; before: { validation: number }; after: { validation: number } };
  assert.equal(ft.epochs, 4);
  assert.equal(ft.before.validation, best.objectives!['accuracy'], 'before fine-tuning it scores what the search recorded');
  assert.ok(!existsSync(join(tuned, 'checkpoint')), 'the checkpoint is removed once the model is written');
  const unbroken = await extractFromSupernet({ supernet: out, trial: best.number, out: join(dir, 'tuned-unbroken'), finetune: { epochs: 4 } });
  assert.equal(unbroken.finetune!.after.validation, ft.after.validation);
  assert.deepEqual(readFileSync(join(tuned, 'weights.bin')), readFileSync(join(dir, 'tuned-unbroken', 'weights.bin')), 'the same fine-tuned weights, bit for bit');
  assert.notDeepEqual(readFileSync(join(tuned, 'weights.bin')), readFileSync(join(picked, 'weights.bin')), 'fine-tuning moved the weights');

  // bad input: a config without a validation split fails clearly, leaving no folder
  const { validation: _dropped, ...noValidation } = config.data;
  const bad = { ...config, data: noValidation } as unknown as typeof config;
  await assert.rejects(trainSupernet(bad, { out: join(dir, 'bad'), baseDir }), (e) => isDistilleryError(e) && e.code === 'CONFIG_INVALID' && e.where === 'data.validation');
  assert.ok(!existsSync(join(dir, 'bad')));
  const code = (c: string) => (e: unknown) => isDistilleryError(e) && e.code === c && e.hint !== '';
  await assert.rejects(trainSupernet(config, { out, baseDir }), code('SUPERNET_OUT_EXISTS'), 'a finished run is not overwritten without --resume');
  await assert.rejects(trainSupernet(config, { out: join(dir, 'fresh'), baseDir, resume: true }), code('SUPERNET_NO_CHECKPOINT'));
  assert.throws(() => readManifest(dir), code('SUPERNET_NOT_FOUND'));
  await assert.rejects(searchSupernet({ supernet: out, store: join(dir, 'x.db'), limits: ['latencyMs<=1'] }), code('SEARCH_LIMIT'), 'a measured limit needs a runtime');
  assert.ok(!existsSync(join(dir, 'x.db')), 'nothing stored for a refused search');
});
