import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeWav } from '../../src/data/audio/wav.ts';
import { loadData } from '../../src/data/load.ts';
import { ROOT, tempDir } from '../helpers/cli.ts';
import { missingTool } from '../helpers/tools.ts';

const skip = missingTool('espeak-ng', ['--version'], 'apt-get install espeak-ng') || missingTool('sox', ['--version'], 'apt-get install sox');
const TEST_VOICES = ['en-029', 'en-gb-x-gbcwmd', 'en-us-nyc'];

/** The synthetic set's script, with one variant per voice: 8 speakers × 20 words. */
function build(out: string, seed: number): void {
  const r = spawnSync('node', [join(ROOT, 'scripts/make-kws-data.mjs'), '--out', out, '--seed', String(seed), '--variants', '1', '--jobs', '2'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /wrote 160 clips \(60 in testing_list\.txt, 0 cut to 1 s\)/);
}

test('npm run data:kws: Speech Commands layout, held-out voices, 1 s 16 kHz clips, same bytes for the same seed', { skip }, async () => {
  const dir = tempDir();
  const a = join(dir, 'a');
  build(a, 7);
  const labels = readdirSync(a, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();
  assert.equal(labels.length, 21, labels.join(' '));
  assert.deepEqual(readdirSync(join(a, '_background_noise_')).sort(), ['babble.wav', 'brown_noise.wav', 'mains_hum.wav', 'pink_noise.wav', 'white_noise.wav']);
  const testing = readFileSync(join(a, 'testing_list.txt'), 'utf8').trim().split('\n');
  assert.equal(testing.length, 60);
  assert.ok(testing.every((p) => TEST_VOICES.some((v) => p.includes(`/${v}-m1_nohash_`))), 'only the held-out voices are in the test list');
  const clip = decodeWav(readFileSync(join(a, 'yes', 'en-gb-m1_nohash_0.wav')), 'yes');
  assert.deepEqual([clip.sampleRate, clip.channels.length, clip.channels[0].length, clip.encoding], [16000, 1, 16000, 'pcm16']);
  const peak = clip.channels[0].reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  assert.ok(peak > 0.2 && peak < 1, `a word is in the clip: peak ${peak}`);
  const data = await loadData({ source: { type: 'audio', folder: a, words: ['yes', 'no', 'up', 'down', 'left', 'right', 'on', 'off', 'stop', 'go'] } }, { baseDir: dir, seed: 1 });
  assert.equal(data.train.numClasses, 12);
  // test: 3 voices × 10 keywords, + 10% silence and 10% unknown.
  assert.equal(data.test!.y.length, 36);
  // A second build with the same seed is identical, byte for byte.
  const b = join(dir, 'b');
  build(b, 7);
  for (const rel of ['yes/en-gb-m1_nohash_0.wav', 'marvin/en-029-m1_nohash_0.wav', '_background_noise_/babble.wav', 'testing_list.txt']) {
    assert.ok(readFileSync(join(a, rel)).equals(readFileSync(join(b, rel))), rel);
  }
});
