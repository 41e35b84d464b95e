#!/usr/bin/env node
// Build a SYNTHETIC keyword-spotting set in the Speech Commands layout from Debian's espeak-ng
// (speech) and sox (resampling to 16 kHz): 10 keywords and 10 unknown words, each said by every
// "speaker" (an espeak-ng voice with a variant, e.g. en-gb-scotland+f3, at its own base speed
// and pitch) with a random rate, pitch and volume per word, trimmed, placed at a random offset in a 1-second 16 kHz mono clip with
// light generated noise; generated noise recordings in _background_noise_/; every clip of the
// held-out voices listed in testing_list.txt. Deterministic for a given --seed (and the same
// espeak-ng and sox builds).
//
//   node scripts/make-kws-data.mjs [--out data/kws] [--seed 1] [--jobs 4] [--reps 1] [--variants 10]
//
// Needs: apt-get install espeak-ng sox. Nothing is downloaded.
import { spawn, execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc), []),
);
const OUT = resolve(args.out ?? 'data/kws');
const SEED = Number(args.seed ?? 1);
const JOBS = Number(args.jobs ?? 4);
const REPS = Number(args.reps ?? 1);
// --variants N: only the first N voice variants (a smaller set, for a quick look).
const NVAR = Number(args.variants ?? 10);
const RATE = 16000;

export const KEYWORDS = ['yes', 'no', 'up', 'down', 'left', 'right', 'on', 'off', 'stop', 'go'];
export const UNKNOWN = ['bed', 'bird', 'cat', 'dog', 'happy', 'house', 'marvin', 'sheila', 'tree', 'wow'];
// espeak-ng's English voices: five for training (and validation, split by speaker), three
// accents never heard in training for the test split.
const TRAIN_VOICES = ['en-us', 'en-gb', 'en-gb-scotland', 'en-gb-x-rp', 'en-gb-x-gbclan'];
const TEST_VOICES = ['en-029', 'en-gb-x-gbcwmd', 'en-us-nyc'];
const VARIANTS = ['m1', 'm2', 'm3', 'm4', 'm5', 'm6', 'f1', 'f2', 'f3', 'f4'];

/** mulberry32, as src/core/rng.ts: the same seed gives the same set. */
function rng(seed) {
  let s = seed >>> 0;
  const next = () => {
    let t = (s = (s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    uniform: (lo, hi) => lo + next() * (hi - lo),
    int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)),
    normal: () => Math.sqrt(-2 * Math.log(Math.max(next(), 1e-12))) * Math.cos(2 * Math.PI * next()),
  };
}

/** espeak-ng | sox: the text (SSML when `ssml`) as float32 samples at 16 kHz. */
function speak(text, voice, speed, pitch, ssml) {
  return new Promise((ok, fail) => {
    const es = spawn('espeak-ng', [...(ssml ? ['-m'] : []), '-v', voice, '-s', String(speed), '-p', String(pitch), '--stdout', text], { stdio: ['ignore', 'pipe', 'pipe'] });
    const sx = spawn('sox', ['-t', 'wav', '-', '-t', 'f32', '-r', String(RATE), '-c', '1', '-'], { stdio: ['pipe', 'pipe', 'pipe'] });
    es.stdout.pipe(sx.stdin);
    const chunks = [];
    let err = '';
    sx.stdout.on('data', (c) => chunks.push(c));
    es.stderr.on('data', (c) => (err += c));
    sx.stderr.on('data', (c) => (err += c));
    es.on('error', fail);
    sx.on('error', fail);
    sx.on('close', (code) => {
      if (code !== 0) return fail(new Error(`espeak-ng/sox failed for ${voice}: ${err}`));
      const b = Buffer.concat(chunks);
      ok(new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.length)));
    });
  });
}

/**
 * One speaker's words in ONE espeak-ng call (SSML: each word with its own rate, pitch and
 * volume, then a 0.8 s break), split at the breaks: 2 processes per speaker instead of 2 per
 * clip, about 15x less CPU. espeak-ng writes digital silence in a break, so a run of at least
 * 0.35 s below 1e-4 separates two words; no word has a pause that long inside it. Should the
 * count still differ, the speaker's words are synthesised one call each.
 */
let fallbacks = 0;

async function speakAll(items, voice, speed, pitch) {
  const ssml = '<speak>' + items.map((it) => `<prosody rate="${it.rate}%" pitch="${it.pitchShift >= 0 ? '+' : ''}${it.pitchShift}%" volume="${it.volume}%">${it.word}</prosody><break time="800ms"/>`).join('') + '</speak>';
  const x = await speak(ssml, voice, speed, pitch, true);
  const parts = [];
  const gap = Math.round(0.35 * RATE);
  let start = -1;
  let quiet = 0;
  for (let i = 0; i <= x.length; i++) {
    const loud = i < x.length && Math.abs(x[i]) >= 1e-4;
    if (loud) {
      if (start < 0) start = i;
      quiet = 0;
    } else if (start >= 0 && (++quiet >= gap || i === x.length)) {
      parts.push(x.slice(start, i - quiet + 1));
      start = -1;
      quiet = 0;
    }
  }
  if (parts.length === items.length) return parts;
  fallbacks++;
  return Promise.all(items.map((it) => speak(`<speak><prosody rate="${it.rate}%" pitch="${it.pitchShift >= 0 ? '+' : ''}${it.pitchShift}%" volume="${it.volume}%">${it.word}</prosody></speak>`, voice, speed, pitch, true)));
}

/** The samples between the first and last above 2% of the peak. */
function trim(x) {
  let peak = 0;
  for (const v of x) peak = Math.max(peak, Math.abs(v));
  const th = 0.02 * peak;
  let a = 0;
  let b = x.length;
  while (a < b && Math.abs(x[a]) <= th) a++;
  while (b > a && Math.abs(x[b - 1]) <= th) b--;
  return { x: x.subarray(a, b), peak };
}

/** 16-bit PCM mono WAV bytes (the Speech Commands format). */
function wav16(x) {
  const data = Buffer.alloc(x.length * 2);
  for (let i = 0; i < x.length; i++) data.writeInt16LE(Math.max(-32768, Math.min(32767, Math.round(x[i] * 32768))), 2 * i);
  const h = Buffer.alloc(44);
  h.write('RIFF', 0, 'ascii');
  h.writeUInt32LE(36 + data.length, 4);
  h.write('WAVEfmt ', 8, 'ascii');
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20);
  h.writeUInt16LE(1, 22);
  h.writeUInt32LE(RATE, 24);
  h.writeUInt32LE(RATE * 2, 28);
  h.writeUInt16LE(2, 32);
  h.writeUInt16LE(16, 34);
  h.write('data', 36, 'ascii');
  h.writeUInt32LE(data.length, 40);
  return Buffer.concat([h, data]);
}

/** Generated noise recordings, 10 s each: white, pink, brown, mains hum, and babble. */
function noises(r, babbleSources) {
  const n = 10 * RATE;
  const white = Float32Array.from({ length: n }, () => r.normal());
  // Pink: Paul Kellet's economy filter over white noise (-3 dB/octave).
  const pink = new Float32Array(n);
  let b0 = 0;
  let b1 = 0;
  let b2 = 0;
  for (let i = 0; i < n; i++) {
    const w = r.normal();
    b0 = 0.99765 * b0 + w * 0.099046;
    b1 = 0.963 * b1 + w * 0.2965164;
    b2 = 0.57 * b2 + w * 1.0526913;
    pink[i] = b0 + b1 + b2 + w * 0.1848;
  }
  const brown = new Float32Array(n);
  let acc = 0;
  for (let i = 0; i < n; i++) brown[i] = acc = 0.998 * acc + r.normal() * 0.05;
  const hum = Float32Array.from({ length: n }, (_, i) => [1, 0.5, 0.3, 0.2].reduce((s, a, h) => s + a * Math.sin((2 * Math.PI * 50 * (h + 1) * i) / RATE), 0) + 0.05 * r.normal());
  // Babble: unknown words played backwards at random offsets, overlapping, so no word is intelligible.
  const babble = new Float32Array(n);
  for (let k = 0; k < 120; k++) {
    const src = babbleSources[r.int(0, babbleSources.length - 1)];
    const at = r.int(0, n - src.length);
    for (let i = 0; i < src.length; i++) babble[at + i] += src[src.length - 1 - i];
  }
  const scaled = (x, rms) => {
    let p = 0;
    for (const v of x) p += v * v;
    const k = rms / Math.sqrt(p / x.length);
    return x.map((v) => Math.max(-1, Math.min(1, v * k)));
  };
  return { white_noise: scaled(white, 0.1), pink_noise: scaled(pink, 0.1), brown_noise: scaled(brown, 0.1), mains_hum: scaled(hum, 0.05), babble: scaled(babble, 0.1) };
}

async function pool(tasks, jobs) {
  const out = new Array(tasks.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: jobs }, async () => {
      while (next < tasks.length) {
        const i = next++;
        out[i] = await tasks[i]();
      }
    }),
  );
  return out;
}

async function main() {
  const t0 = performance.now();
  const version = execFileSync('espeak-ng', ['--version']).toString().trim();
  const r = rng(SEED);
  if (existsSync(OUT)) rmSync(OUT, { recursive: true });
  mkdirSync(OUT, { recursive: true });
  // Every random number is drawn here, in a fixed order, before any process runs: the set does
  // not depend on which synthesis finishes first.
  const plan = [];
  const calls = [];
  for (const voice of [...TRAIN_VOICES, ...TEST_VOICES]) {
    for (const variant of VARIANTS.slice(0, NVAR)) {
      const speaker = `${voice}-${variant}`;
      for (let rep = 0; rep < REPS; rep++) {
        // A speaker's base speed and pitch, then each word's own rate, pitch and volume on top.
        const call = { voice: `${voice}+${variant}`, speed: r.int(130, 190), pitch: r.int(30, 70), items: [] };
        for (const word of [...KEYWORDS, ...UNKNOWN]) {
          const p = {
            word, speaker, rep, test: TEST_VOICES.includes(voice),
            rate: r.int(80, 125), pitchShift: r.int(-20, 20), volume: r.int(60, 140),
            gain: r.uniform(0.25, 0.9), offset: r.next(), snr: r.uniform(15, 40), noiseSeed: r.int(0, 2 ** 31),
          };
          plan.push(p);
          call.items.push(p);
        }
        calls.push(call);
      }
    }
  }
  const spoken = (await pool(calls.map((c) => () => speakAll(c.items, c.voice, c.speed, c.pitch)), JOBS)).flat();
  const tSpeak = performance.now();
  const babbleSources = spoken.filter((_, i) => UNKNOWN.includes(plan[i].word) && !plan[i].test).map((x) => trim(x).x);
  const testing = [];
  let cut = 0;
  for (let i = 0; i < plan.length; i++) {
    const p = plan[i];
    const { x, peak } = trim(spoken[i]);
    const n = Math.min(x.length, RATE);
    if (x.length > RATE) cut++;
    const clip = new Float32Array(RATE);
    const at = Math.floor(p.offset * (RATE - n));
    const k = peak > 0 ? p.gain / peak : 0;
    for (let j = 0; j < n; j++) clip[at + j] = x[j] * k;
    // Light room noise at p.snr dB below the speech, so no clip is digitally silent around the word.
    let ps = 0;
    for (let j = at; j < at + n; j++) ps += clip[j] * clip[j];
    const nr = rng(p.noiseSeed);
    const sigma = Math.sqrt(ps / Math.max(n, 1) / 10 ** (p.snr / 10));
    for (let j = 0; j < RATE; j++) clip[j] += sigma * nr.normal();
    const rel = `${p.word}/${p.speaker}_nohash_${p.rep}.wav`;
    mkdirSync(join(OUT, p.word), { recursive: true });
    writeFileSync(join(OUT, rel), wav16(clip));
    if (p.test) testing.push(rel);
  }
  mkdirSync(join(OUT, '_background_noise_'), { recursive: true });
  for (const [name, x] of Object.entries(noises(r, babbleSources))) writeFileSync(join(OUT, '_background_noise_', `${name}.wav`), wav16(x));
  writeFileSync(join(OUT, 'testing_list.txt'), testing.sort().join('\n') + '\n');
  writeFileSync(
    join(OUT, 'README.md'),
    `# SYNTHETIC keyword-spotting data (not real speech)\n\nBuilt by scripts/make-kws-data.mjs --seed ${SEED} --reps ${REPS} with ${version} and sox.\n` +
      `Keywords: ${KEYWORDS.join(' ')}. Unknown words: ${UNKNOWN.join(' ')}.\n` +
      `Speakers: espeak-ng voices × variants (${VARIANTS.join(' ')}). Training voices: ${TRAIN_VOICES.join(' ')}; ` +
      `held out for testing_list.txt: ${TEST_VOICES.join(' ')}. Validation: Speech Commands' hash of the speaker.\n` +
      `_background_noise_/: generated white, pink, brown noise, mains hum, and babble of reversed synthetic words.\n` +
      `Figures measured on this set say how the code behaves; they say little about real speech.\n`,
  );
  const s = (ms) => (ms / 1000).toFixed(1);
  console.log(`wrote ${plan.length} clips (${testing.length} in testing_list.txt, ${cut} cut to 1 s) and 5 noise recordings to ${OUT}`);
  console.log(`time: ${s(performance.now() - t0)} s (synthesis ${s(tSpeak - t0)} s with ${JOBS} jobs; ${fallbacks} of ${calls.length} speakers synthesised word by word)`);
}

main().catch((e) => {
  console.error(`error: ${e.message}`);
  process.exit(1);
});
