import { h, replace } from './dom.ts';
import { studiesPage } from './studies-page.ts';
import { studyPage } from './study-page.ts';
import { trialPage } from './trial-page.ts';

// Hash routes (#/, #/study/1, #/trial/7): the server only ever serves index.html and its assets.
const app = document.getElementById('app')!;
const live = document.getElementById('live')!;
let leave: (() => void) | undefined;

function setLive(s: string): void {
  live.textContent = s;
  live.className = `live ${s === 'live' ? 'on' : ''}`;
}

function route(): void {
  leave?.();
  leave = undefined;
  const hash = location.hash || '#/';
  const fail = (e: unknown) => replace(app, h('p', { class: 'error' }, (e as Error).message));
  let m: RegExpExecArray | null;
  if ((m = /^#\/study\/(\d+)$/.exec(hash))) leave = studyPage(app, Number(m[1]), setLive);
  else if ((m = /^#\/trial\/(\d+)$/.exec(hash))) leave = trialPage(app, Number(m[1]), setLive);
  else studiesPage(app).catch(fail);
}

window.addEventListener('hashchange', route);
route();
