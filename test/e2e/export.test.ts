import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tfl from '@tensorflow/tfjs-layers';
import { initEngine } from '../../src/engine/index.ts';
import { saveModel } from '../../src/models/index.ts';
import { onnxChecker } from '../../src/onnx/testing.ts';
import { BIN, parseEvents, ROOT, runCli, tempDir, tinyMnistConfig, writeConfig, type CliRun } from '../helpers/cli.ts';

// `distillery export` end to end: a model trained by the CLI, exported, checked and measured;
// each kind of bad input gives one line, exit 2 and no output folder.

/** The CLI in a child process, asynchronously (so that independent cases overlap). */
function cli(args: string[]): Promise<CliRun> {
  const argv = [BIN, ...args];
  return new Promise((done) => {
    const p = spawn(process.execPath, argv, { cwd: ROOT, env: { ...process.env, FORCE_COLOR: '0' } });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    p.on('close', (code) => done({ code, stdout, stderr, events: args.includes('--json') ? parseEvents(stdout) : [] }));
  });
}

let dir: string;
let modelDir: string;

before(() => {
  dir = tempDir('distillery-export-');
  const cfg = writeConfig(dir, 'tiny.json', tinyMnistConfig());
  const r = runCli(['train', '--config', cfg, '--out', join(dir, 'run')]);
  assert.equal(r.code, 0, r.stderr);
  modelDir = join(dir, 'run', 'model');
});

test('export --quantize int8 --json: the file, onnx.checker, and size/accuracy/latency against fp32 on the MNIST test set', async (t) => {
  const out = join(dir, 'int8');
  const human = join(dir, 'fp32');
  const [r, h] = await Promise.all([
    cli(['export', modelDir, '--format', 'onnx', '--quantize', 'int8', '--out', out, '--json', '--batch', '1']),
    cli(['export', modelDir, '--out', human, '--batch', '1,8']),
  ]);
  assert.equal(r.code, 0, r.stderr);
  const done = r.events.at(-1)!;
  assert.equal(done['event'], 'done');
  assert.equal(done['file'], join(out, 'model.int8.onnx'));
  assert.equal(done['data'], 'mnist');
  const bytes = readFileSync(join(out, 'model.int8.onnx'));
  assert.equal(done['bytes'], bytes.length);
  const [fp32, int8] = done['variants'] as Record<string, number>[];
  assert.equal(fp32!['precision'], 'fp32');
  assert.equal(int8!['samples'], 10000);
  // 784-64-10: 50,890 weights, 4 bytes each in fp32, 1 in int8 (+ scales and names)
  assert.ok(int8!['sizeRatio']! > 3.5, `int8 ${int8!['sizeRatio']}x smaller`);
  assert.ok(int8!['accuracyDropPoints']! <= 0.5, `int8 lost ${int8!['accuracyDropPoints']} points`);
  assert.ok(fp32!['accuracy']! > 0.8);
  // the fp32 export against TF.js on every test image: the same logits and classes
  const parity = done['parity'] as Record<string, number | boolean>;
  assert.equal(parity['samples'], 10000);
  assert.ok((parity['maxAbsDiff'] as number) <= 1e-4, `max |onnx - tfjs| = ${parity['maxAbsDiff']}`);
  assert.equal(parity['classDiffers'], 0);
  const check = onnxChecker(bytes, 'model.int8.onnx');
  if ('skip' in check) t.diagnostic(check.skip);
  else assert.ok(check.ok, 'error' in check ? check.error : '');

  assert.equal(h.code, 0, h.stderr);
  assert.match(h.stdout, /^variant +size/m);
  assert.match(h.stdout, /^fp32 .*p50 b1|^variant .*p50 b1 +p50 b8/m);
  assert.match(h.stdout, /wrote .*model\.onnx .*accuracy on the MNIST test set/);
  assert.match(h.stdout, /^parity with TF\.js \(fp32\): max \|diff\| [0-9.e+-]+, 10000\/10000 same class$/m);
  assert.ok(existsSync(join(human, 'model.onnx')));
});

test('export of a model whose data is unknown: size and latency only; --data CONFIG brings accuracy and int8 calibration', async () => {
  const copy = join(dir, 'elsewhere', 'model');
  cpSync(modelDir, copy, { recursive: true });
  const dataCfg = writeConfig(dir, 'data.json', { data: { source: 'mnist', limit: 800, testLimit: 500 } });
  const [plain, withData, noCal] = await Promise.all([
    cli(['export', copy, '--out', join(dir, 'plain'), '--json', '--batch', '1']),
    cli(['export', copy, '--quantize', 'int8', '--data', dataCfg, '--out', join(dir, 'withdata'), '--json', '--batch', '1']),
    cli(['export', copy, '--quantize', 'int8', '--out', join(dir, 'nocal')]),
  ]);
  assert.equal(plain.code, 0, plain.stderr);
  const p = plain.events.at(-1)!;
  assert.equal(p['data'], 'none');
  assert.equal((p['variants'] as Record<string, unknown>[])[0]!['accuracy'], undefined);
  assert.equal(withData.code, 0, withData.stderr);
  const w = withData.events.at(-1)!;
  assert.equal(w['data'], 'config');
  assert.equal((w['variants'] as Record<string, unknown>[])[1]!['samples'], 500);
  assert.equal(noCal.code, 2);
  assert.match(noCal.stderr, /^error EXPORT_CALIBRATION: .*\(hint: pass --data CONFIG/);
  assert.equal(existsSync(join(dir, 'nocal')), false);
});

test('export --format tfjs --quantize fp16: the TF.js layers format with float16 weights', async () => {
  const out = join(dir, 'web');
  const r = await cli(['export', modelDir, '--format', 'tfjs', '--quantize', 'fp16', '--out', out, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const done = r.events.at(-1)!;
  assert.equal(done['quantize'], 'float16');
  assert.ok(existsSync(join(out, 'model.json')));
  assert.equal(done['weightBytes'], (done['fp32WeightBytes'] as number) / 2);
});

// (the other branches of loadModelFolder are covered in src/deploy/onnx/job.test.ts, in-process)
test('bad input: one line with a code, exit 2, nothing written', async () => {
  await initEngine({ backend: 'cpu' });
  const garbage = join(dir, 'garbage');
  mkdirSync(garbage, { recursive: true });
  writeFileSync(join(garbage, 'model.json'), '{"format": "layers-model", "modelTopology": 42}');
  // a TF.js model with a layer the ONNX export has no mapping for
  const unsupported = join(dir, 'upsample');
  const input = tfl.input({ shape: [4, 4, 1] });
  const up = tfl.layers.upSampling2d({ size: [2, 2], name: 'b0_upsample' }).apply(input) as tfl.SymbolicTensor;
  const model = tfl.model({ inputs: input, outputs: tfl.layers.dense({ units: 2 }).apply(tfl.layers.flatten().apply(up) as tfl.SymbolicTensor) as tfl.SymbolicTensor });
  await saveModel(model, unsupported);
  model.dispose();
  const cases: [string[], RegExp][] = [
    [['export', join(dir, 'missing')], /^error MODEL_NOT_FOUND: .*missing: no such model folder/],
    [['export', garbage], /^error MODEL_FORMAT: .*model\.json: not a TF\.js layers model/],
    [['export', unsupported], /^error EXPORT_UNSUPPORTED: layer 'b0_upsample' \(UpSampling2D\) cannot be exported to ONNX/],
    [['export', modelDir, '--format', 'tflite'], /^error EXPORT_FORMAT: --format tflite: unknown format; known: onnx, tfjs/],
    [['export', modelDir, '--quantize', 'int4'], /^error EXPORT_QUANTIZE: --quantize int4: unknown quantization; known: int8, fp16/],
  ];
  const runs = await Promise.all(cases.map(([args], i) => cli([...args, '--out', join(dir, `bad${i}`)])));
  runs.forEach((r, i) => {
    const [args, want] = cases[i]!;
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0]!, want);
    assert.equal(existsSync(join(dir, `bad${i}`)), false, `${args.join(' ')} left output`);
  });
});
