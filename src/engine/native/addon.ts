import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The native kernel pack's functions (C++ over oneDNN, native/src/*.cc). Every function
 * works on the memory of the typed arrays it is given, without copies; outputs are written
 * into arrays the caller allocated.
 */
export interface NativeAddon {
  info(): { onednn: string; threads: number };
  setThreads(n: number): void;
  [fn: string]: (...args: never[]) => unknown;
}

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
/** Where `npm install` (scripts/build-native.mjs) leaves the built addon. */
export const ADDON_PATH = join(ROOT, 'native/build/Release/distillery_native.node');

let cached: { addon?: NativeAddon; why?: string } | undefined;

/**
 * Load the native pack once. Returns `undefined`, with the reason in `nativeUnavailableReason()`,
 * where it was not built (no oneDNN at install) or fails to load; DISTILLERY_NATIVE=0 turns it off.
 *
 * @example
 * const addon = loadNativeAddon();
 * if (addon) console.log(addon.info()); // { onednn: '2.6.3', threads: 2 }
 */
export function loadNativeAddon(): NativeAddon | undefined {
  if (cached) return cached.addon;
  if (process.env['DISTILLERY_NATIVE'] === '0' || process.env['DISTILLERY_NATIVE'] === 'off') {
    cached = { why: 'turned off by DISTILLERY_NATIVE=0' };
  } else if (!existsSync(ADDON_PATH)) {
    cached = { why: 'not built (oneDNN was not found at install)' };
  } else {
    try {
      // libgomp reads this when it loads: spinning OpenMP workers fight the JS thread for 2 cores
      // (an MLP step measured 236-355 ms with the default policy against 18-20 ms passive)
      process.env['OMP_WAIT_POLICY'] ??= 'PASSIVE';
      cached = { addon: createRequire(import.meta.url)(ADDON_PATH) as NativeAddon };
    } catch (e) {
      cached = { why: `failed to load: ${(e as Error).message.split('\n')[0]}` };
    }
  }
  return cached.addon;
}

/** Why the native pack is not available, or undefined when it is. */
export function nativeUnavailableReason(): string | undefined {
  loadNativeAddon();
  return cached?.why;
}
