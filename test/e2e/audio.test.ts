import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sine, wavBytes, writeWav } from '../../src/data/audio/fixtures.test-util.ts';
import { parseEvents, runCli, tempDir, writeConfig } from '../helpers/cli.ts';

const RATE = 8000;

/** Two tones as two "words", five speakers each, 0.25 s clips at 8 kHz, and a noise file. */
function folder(dir: string): string {
  const root = join(dir, 'kws');
  for (const [w, hz] of [['low', 300], ['high', 1500], ['other', 800]] as const) {
    for (let s = 0; s < 6; s++) writeWav(join(root, w, `spk${s}_nohash_0.wav`), { rate: RATE, channels: [sine(1600 + 50 * s, hz, RATE, 0.3 + 0.05 * s)] });
  }
  writeWav(join(root, '_background_noise_', 'hum.wav'), { rate: RATE, channels: [sine(RATE * 3, 50, RATE, 0.1)] });
  writeFileSync(join(root, 'testing_list.txt'), 'low/spk5_nohash_0.wav\nhigh/spk5_nohash_0.wav\nother/spk5_nohash_0.wav\n');
  return root;
}

const config = (root: string, overrides: Record<string, unknown> = {}) => ({
  name: 'tiny-audio',
  seed: 1,
  data: {
    source: { type: 'audio', folder: root, sampleRate: RATE, clipSeconds: 0.25, words: ['low', 'high'], silencePercent: 50, unknownPercent: 50 },
    augment: { timeShift: 0.02, noise: { probability: 0.5, snr: [10, 20] } },
  },
  model: { blocks: [{ type: 'dense', units: 8, activation: 'relu' }, { type: 'dense', units: 4 }] },
  train: { epochs: 1, batchSize: 4, optimizer: { type: 'adam', lr: 0.003 } },
  ...overrides,
});

test('train on a folder of WAV clips: waveforms in, Speech Commands classes out', () => {
  const dir = tempDir();
  const root = folder(dir);
  const out = join(dir, 'out');
  const r = runCli(['train', '--config', writeConfig(dir, 'audio.json', config(root)), '--out', out, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const events = parseEvents(r.stdout);
  const done = events.find((e) => e['event'] === 'done') as Record<string, unknown> | undefined;
  assert.ok(done, r.stdout);
  assert.ok(existsSync(join(out, 'model')), 'the model is saved');
  // 2000 samples in, 4 classes out: 2000 * 8 + 8 + 8 * 4 + 4 parameters.
  assert.ok(r.stdout.includes('16044'), `parameter count of a [2000] input: ${r.stdout.slice(0, 400)}`);
});

test('audio bad input: one line with a code, exit 2, no output folder', () => {
  const dir = tempDir();
  const root = folder(dir);
  const hollow = join(dir, 'hollow');
  mkdirSync(join(hollow, 'yes'), { recursive: true });
  mkdirSync(join(hollow, 'no'), { recursive: true });
  writeWav(join(hollow, 'yes', 'a.wav'), { rate: RATE, channels: [[0.1]] });
  const cut = join(dir, 'cut');
  const good = wavBytes({ rate: RATE, channels: [sine(800, 440, RATE)] });
  mkdirSync(join(cut, 'yes'), { recursive: true });
  writeFileSync(join(cut, 'yes', 'a.wav'), good.subarray(0, 500));
  const src = (folder: string, extra: Record<string, unknown> = {}) => ({ data: { source: { type: 'audio', folder, sampleRate: RATE, clipSeconds: 0.25, ...extra } } });
  // Every code is unit-tested in src/data/audio; here three of them go through the real CLI.
  const cases: [Record<string, unknown>, string, RegExp][] = [
    [config(root, src(hollow)), 'DATA_AUDIO_NO_CLIPS', /hollow\/no: label folder holds no \.wav clips/],
    [config(root, src(cut)), 'DATA_TRUNCATED', /a\.wav: truncated/],
    [config(root, src(root, { acceptRates: [16000] })), 'DATA_WAV_RATE', /8000 Hz is not in data\.source\.acceptRates \[16000\]/],
  ];
  for (const [i, [cfg, code, message]] of cases.entries()) {
    const out = join(dir, `out${i}`);
    const r = runCli(['train', '--config', writeConfig(dir, `bad${i}.json`, cfg), '--out', out]);
    assert.equal(r.code, 2, `case ${i}: ${r.stderr}`);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, `case ${i}: ${r.stderr}`);
    assert.match(lines[0]!, new RegExp(`^error ${code}: `), `case ${i}: ${lines[0]}`);
    assert.match(lines[0]!, message, `case ${i}: ${lines[0]}`);
    assert.match(lines[0]!, /\(hint: .+\)$/, `case ${i} says what to do`);
    assert.equal(existsSync(out), false, `case ${i} left ${out}`);
  }
});
