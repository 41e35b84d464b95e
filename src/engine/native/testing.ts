/**
 * The one rule for tests that need the native kernel pack: on a user's machine a pack that is
 * not built (or fails to load) skips them with the reason; in CI (`CI` set, as `.ci/run` does)
 * nothing may skip, so a missing pack fails the test file, as a missing tool does
 * (test/helpers/tools.ts). Test support only: not part of the built package.
 */
import { initEngine } from '../engine.ts';
import { loadNativeAddon, nativeUnavailableReason } from './addon.ts';

/**
 * `false` when the native pack is loaded, else why its tests skip; throws in CI instead of
 * skipping, so a broken build of the pack can never pass as "skipped".
 *
 * @example
 * const skip = nativeSkip();
 * test('native conv matches cpu', { skip }, async () => { ... });
 */
export function nativeSkip(): string | false {
  if (loadNativeAddon()) return false;
  const why = `native kernel pack ${nativeUnavailableReason() ?? 'unavailable'}`;
  if (process.env['CI']) throw new Error(`${why}; CI must build it (libdnnl-dev, DISTILLERY_NATIVE=require npm ci; see .ci/run)`);
  return `${why}: test skipped`;
}

/**
 * {@link nativeSkip}, and when the pack is there the native backend started (2 threads).
 *
 * @example
 * const skip = await nativeTestSkip();
 * test('relu', { skip }, () => ...);
 */
export async function nativeTestSkip(): Promise<string | false> {
  const skip = nativeSkip();
  if (skip === false) await initEngine({ backend: 'native', threads: 2 });
  return skip;
}
