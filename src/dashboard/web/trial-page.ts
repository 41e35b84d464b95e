import { getJson, studyEvents } from './api.ts';
import type { TrialDetail } from './api.ts';
import { fmt, h, replace, text } from './dom.ts';

const COSTS = ['params', 'macs', 'bytesFp32', 'bytesFp16', 'bytesInt8', 'latencyMs'];

function kv(rows: [string, unknown][]): HTMLElement {
  return h('table', { class: 'kv' }, h('tbody', {}, ...rows.map(([k, v]) => h('tr', {}, h('th', {}, k), h('td', { class: typeof v === 'number' ? 'num' : '' }, text(v))))));
}

/**
 * A trial's page: state, objectives, costs, parameters, its architecture as a list of blocks,
 * its metrics per epoch and where its files are. While the trial runs, it follows the study's
 * live feed and redraws on each of the trial's epochs and on its end. Returns the cleanup.
 *
 * @example
 * const leave = trialPage(document.getElementById('app')!, 7, setLive);
 */
export function trialPage(root: HTMLElement, trialId: number, setLive: (s: string) => void): () => void {
  let es: EventSource | undefined;
  let closed = false;
  const show = async () => {
    const t = await getJson<TrialDetail>(`/api/trials/${trialId}`);
    if (closed) return;
    render(root, t);
    if (t.state === 'running' && !es) {
      es = studyEvents(t.studyId);
      es.addEventListener('ready', () => setLive('live'));
      es.addEventListener('error', () => setLive('reconnecting…'));
      const mine = (e: Event) => {
        const d = JSON.parse((e as MessageEvent<string>).data) as { id?: number; trialId?: number };
        if (d.id === trialId || d.trialId === trialId) void show().catch(() => undefined);
      };
      es.addEventListener('trial', mine);
      es.addEventListener('metrics', mine);
    } else if (t.state !== 'running' && es) {
      es.close();
      es = undefined;
      setLive('offline');
    }
  };
  replace(root, h('p', {}, 'loading…'));
  show().catch((e: unknown) => replace(root, h('p', { class: 'error' }, (e as Error).message)));
  return () => {
    closed = true;
    es?.close();
    setLive('offline');
  };
}

function render(root: HTMLElement, t: TrialDetail): void {
  const arch = t.architecture;
  const costs: [string, unknown][] = COSTS.filter((k) => t.values[k] !== undefined).map((k) => [k, t.values[k]]);
  if (costs.length === 0 && arch?.total) costs.push(['params', arch.total.params], ['macs', arch.total.macs]);
  const metricKeys = [...new Set(t.metrics.flatMap((m) => Object.keys(m.values)))];
  replace(
    root,
    h('p', {}, h('a', { href: `#/study/${t.studyId}` }, `← study ${t.study}`)),
    h('h1', {}, `trial #${t.number} `, h('span', { class: `badge ${t.state}` }, t.state)),
    t.reason ? h('p', { class: 'reason' }, t.reason) : null,
    h('section', { class: 'row' },
      h('div', { class: 'panel' }, h('h2', {}, 'Objectives'), t.objectives ? kv(Object.entries(t.objectives)) : h('p', {}, 'none (not complete)')),
      h('div', { class: 'panel' }, h('h2', {}, 'Costs'), costs.length ? kv(costs) : h('p', {}, 'not measured')),
      h('div', { class: 'panel' }, h('h2', {}, 'Parameters'), kv(Object.entries(t.params)))),
    h('section', { id: 'architecture' },
      h('h2', {}, 'Architecture'),
      arch
        ? h('table', { class: 'blocks' },
            h('thead', {}, h('tr', {}, h('th', {}, 'block'), h('th', {}, 'layer'), h('th', {}, 'output'), h('th', {}, 'params'), h('th', {}, 'MACs'))),
            h('tbody', {},
              ...arch.blocks.map((b) => h('tr', {}, h('td', {}, b.path), h('td', { class: 'mono' }, b.block), h('td', {}, b.outputShape ? b.outputShape.join('×') : '–'), h('td', { class: 'num' }, fmt(b.params ?? undefined)), h('td', { class: 'num' }, fmt(b.macs ?? undefined)))),
              arch.total ? h('tr', { class: 'total' }, h('td', {}, 'total'), h('td', {}, arch.inputShape ? `input ${arch.inputShape.join('×')}` : ''), h('td', {}, arch.total.outputShape.join('×')), h('td', { class: 'num' }, fmt(arch.total.params)), h('td', { class: 'num' }, fmt(arch.total.macs))) : null))
        : h('p', {}, 'no model spec stored with this trial'),
      arch?.note ? h('p', { class: 'hint' }, arch.note) : null,
      arch?.text ? h('p', { class: 'text-input' }, `text: max length ${arch.text.maxLength} tokens, tokenizer ${arch.text.tokenizer}, vocabulary ${arch.text.vocabSize === null ? 'unknown' : fmt(arch.text.vocabSize)}`) : null),
    h('section', {},
      h('h2', {}, 'Metrics per epoch'),
      t.metrics.length
        ? h('div', { class: 'scroll' }, h('table', { class: 'metrics' },
            h('thead', {}, h('tr', {}, h('th', {}, 'epoch'), ...metricKeys.map((k) => h('th', {}, k)))),
            h('tbody', {}, ...t.metrics.map((m) => h('tr', {}, h('td', {}, String(m.step + 1)), ...metricKeys.map((k) => h('td', { class: 'num' }, fmt(m.values[k]))))))))
        : h('p', {}, 'no epoch reported')),
    h('section', {},
      h('h2', {}, 'Files'),
      Object.keys(t.artifacts).length ? kv(Object.entries(t.artifacts)) : h('p', {}, 'none written')),
    h('section', {},
      h('h2', {}, 'Run'),
      kv([['started', t.started], ['finished', t.finished], ['seconds', t.duration], ['attempts', t.attempts], ['limit violation', t.constraintViolation], ['other values', Object.fromEntries(Object.entries(t.values).filter(([k]) => !COSTS.includes(k)))]])),
    h('details', {}, h('summary', {}, 'frozen spec (JSON)'), h('pre', {}, JSON.stringify(t.spec, null, 2))),
  );
}
