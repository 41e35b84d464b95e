import { getJson } from './api.ts';
import type { StudyListItem } from './api.ts';
import { h, replace } from './dom.ts';

/**
 * The studies in the store, each linking to its page. With a single study, opens it directly.
 *
 * @example
 * await studiesPage(document.getElementById('app')!);
 */
export async function studiesPage(root: HTMLElement): Promise<void> {
  const studies = await getJson<StudyListItem[]>('/api/studies');
  if (studies.length === 1) {
    location.replace(`#/study/${studies[0]!.id}`);
    return;
  }
  replace(
    root,
    h('h1', {}, 'Studies'),
    studies.length === 0
      ? h('p', {}, 'this store holds no study yet: start one with `distillery search --config FILE --store PATH`')
      : h('table', { class: 'trials' },
          h('thead', {}, h('tr', {}, h('th', {}, 'study'), h('th', {}, 'objectives'), h('th', {}, 'trials'), h('th', {}, 'complete'), h('th', {}, 'running'), h('th', {}, 'created'))),
          h('tbody', {}, ...studies.map((s) => h('tr', {}, h('td', {}, h('a', { href: `#/study/${s.id}` }, s.name)), h('td', {}, s.objectives.map((o) => `${o.name} (${o.direction})`).join(', ')), h('td', { class: 'num' }, s.counts.total), h('td', { class: 'num' }, s.counts.complete), h('td', { class: 'num' }, s.counts.running), h('td', {}, s.created))))),
  );
}
