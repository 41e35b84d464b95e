import { Registry } from '../../core/registry.ts';
import type { LossTermKind } from '../types.ts';
import { atKind } from './at.ts';
import { attentionKind } from './attention.ts';
import { ceKind } from './ce.ts';
import { dkdKind } from './dkd.ts';
import { hiddenKind } from './hidden.ts';
import { hintKind } from './hint.ts';
import { kdKind } from './kd.ts';
import { rkdKind } from './rkd.ts';

/**
 * Loss term kinds by name. A miss names the known terms:
 * `unknown loss 'kdd'; known: ce, kd, dkd, hint, at, rkd, hidden, attention` (code `UNKNOWN_LOSS`).
 * A new term is one file exporting a `LossTermKind` and one line here.
 *
 * @example
 * const kd = lossTerms.get('kd').create({ T: 4 });
 */
// Each kind checks its own options with its schema before create() sees them, so the
// registry can hold kinds of different option types.
export const lossTerms = new Registry<LossTermKind<any>>('loss');

lossTerms.register('ce', ceKind);
lossTerms.register('kd', kdKind);
lossTerms.register('dkd', dkdKind);
lossTerms.register('hint', hintKind);
lossTerms.register('at', atKind);
lossTerms.register('rkd', rkdKind);
lossTerms.register('hidden', hiddenKind);
lossTerms.register('attention', attentionKind);
