// Builders of small WAV files for the audio tests, written from the RIFF/WAVE spec (Microsoft's
// "Multiple Channel Audio Data and WAVE Files") independently of the decoder under test.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** What {@link wavBytes} writes. Samples are per channel, in [-1, 1]. */
export interface WavSpec {
  readonly rate: number;
  readonly channels: readonly (readonly number[] | Float32Array)[];
  /** pcm8 (unsigned), pcm16/24/32 (signed), float32; default pcm16. */
  readonly encoding?: 'pcm8' | 'pcm16' | 'pcm24' | 'pcm32' | 'float32';
  /** Write WAVE_FORMAT_EXTENSIBLE (tag 0xFFFE with the real tag in the subformat GUID). */
  readonly extensible?: boolean;
  /** Override the format tag (to write encodings the decoder must refuse). */
  readonly tag?: number;
}

/** The integer a sample in [-1, 1] becomes at `bits` (round half away, clipped). */
export function quantize(v: number, bits: number): number {
  const full = 2 ** (bits - 1);
  return Math.max(-full, Math.min(full - 1, Math.round(v * full)));
}

/** The bytes of a little-endian RIFF/WAVE file. */
export function wavBytes(spec: WavSpec): Uint8Array {
  const enc = spec.encoding ?? 'pcm16';
  const bits = enc === 'float32' ? 32 : Number(enc.slice(3));
  const bytes = bits / 8;
  const nch = spec.channels.length;
  const frames = spec.channels[0].length;
  const data = Buffer.alloc(frames * nch * bytes);
  let o = 0;
  for (let i = 0; i < frames; i++) {
    for (let c = 0; c < nch; c++, o += bytes) {
      const v = spec.channels[c][i];
      if (enc === 'float32') data.writeFloatLE(v, o);
      else if (enc === 'pcm8') data.writeUInt8(quantize(v, 8) + 128, o);
      else if (enc === 'pcm16') data.writeInt16LE(quantize(v, 16), o);
      else if (enc === 'pcm24') data.writeIntLE(quantize(v, 24), o, 3);
      else data.writeInt32LE(quantize(v, 32), o);
    }
  }
  const tag = spec.tag ?? (enc === 'float32' ? 3 : 1);
  const fmt = Buffer.alloc(spec.extensible ? 40 : 16);
  fmt.writeUInt16LE(spec.extensible ? 0xfffe : tag, 0);
  fmt.writeUInt16LE(nch, 2);
  fmt.writeUInt32LE(spec.rate, 4);
  fmt.writeUInt32LE(spec.rate * nch * bytes, 8);
  fmt.writeUInt16LE(nch * bytes, 12);
  fmt.writeUInt16LE(bits, 14);
  if (spec.extensible) {
    fmt.writeUInt16LE(22, 16);
    fmt.writeUInt16LE(bits, 18);
    fmt.writeUInt32LE(nch === 1 ? 4 : 3, 20);
    // KSDATAFORMAT_SUBTYPE_*: the tag, then 00000000-0010-8000-00AA00389B71.
    Buffer.from([tag & 0xff, tag >> 8, 0, 0, 0, 0, 0x10, 0, 0x80, 0, 0, 0xaa, 0, 0x38, 0x9b, 0x71]).copy(fmt, 24);
  }
  const chunk = (id: string, body: Buffer) => {
    const h = Buffer.alloc(8);
    h.write(id, 0, 'ascii');
    h.writeUInt32LE(body.length, 4);
    return Buffer.concat([h, body, body.length % 2 ? Buffer.alloc(1) : Buffer.alloc(0)]);
  };
  const body = Buffer.concat([Buffer.from('WAVE'), chunk('fmt ', fmt), chunk('data', data)]);
  const head = Buffer.alloc(8);
  head.write('RIFF', 0, 'ascii');
  head.writeUInt32LE(body.length, 4);
  return new Uint8Array(Buffer.concat([head, body]));
}

/** Write a WAV file (creating its folder). */
export function writeWav(path: string, spec: WavSpec): string {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, wavBytes(spec));
  return path;
}

/** `n` samples of a sine of frequency `hz` at `rate`, amplitude `amp`. */
export function sine(n: number, hz: number, rate: number, amp = 0.5, phase = 0): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => amp * Math.sin(2 * Math.PI * hz * (i / rate) + phase));
}
