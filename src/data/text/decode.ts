import { DistilleryError } from '../../core/errors.ts';

/** How bytes that are not UTF-8 are handled: `auto` reads such a file as latin-1 (and says so), `strict` stops. */
export type TextEncodingMode = 'auto' | 'strict';

/** A decoded file: its text, and whether UTF-8 failed and latin-1 was used. */
export interface DecodedText {
  readonly text: string;
  readonly latin1: boolean;
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });
const latin1 = new TextDecoder('latin1');

/**
 * Decode a file's bytes as UTF-8 (a BOM is dropped). Where that fails (real mail archives hold
 * Windows-1252 and ISO-8859-1 files), `auto` decodes the bytes as latin-1, which never fails
 * and keeps every byte as one character, and reports it through `latin1`; `strict` throws
 * DATA_TEXT_ENCODING naming the file and the first bad byte's offset.
 *
 * @example
 * const { text, latin1 } = decodeText(readFileSync('mail.txt'), 'mail.txt', 'auto');
 */
export function decodeText(bytes: Uint8Array, where: string, mode: TextEncodingMode): DecodedText {
  try {
    return { text: utf8.decode(bytes), latin1: false };
  } catch {
    if (mode === 'strict') {
      const at = firstBadByte(bytes);
      throw new DistilleryError(
        'DATA_TEXT_ENCODING',
        `${where}: not UTF-8 (byte 0x${bytes[at]?.toString(16).padStart(2, '0')} at offset ${at})`,
        'convert the file to UTF-8 (iconv -f latin1 -t utf-8), or set data.text.encoding: auto to read such files as latin-1',
        where,
      );
    }
    return { text: latin1.decode(bytes), latin1: true };
  }
}

/** Offset of the first byte where UTF-8 decoding fails (a linear scan of the sequence rules). */
function firstBadByte(b: Uint8Array): number {
  let i = 0;
  while (i < b.length) {
    const c = b[i];
    const need = c < 0x80 ? 0 : c >= 0xc2 && c < 0xe0 ? 1 : c >= 0xe0 && c < 0xf0 ? 2 : c >= 0xf0 && c < 0xf5 ? 3 : -1;
    if (need < 0 || i + need >= b.length + (need === 0 ? 1 : 0)) return i;
    for (let k = 1; k <= need; k++) if ((b[i + k] & 0xc0) !== 0x80) return i;
    i += need + 1;
  }
  return Math.max(0, b.length - 1);
}
