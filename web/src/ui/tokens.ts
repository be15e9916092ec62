// Coloured tokens: one chip per token (its text and id), colour by id so equal tokens match.
import type { Encoded } from '../core/protocol';
import { tf } from '../i18n';
import { h } from './dom';

export function tokenChips(enc: Encoded, max = 400): HTMLElement {
  const box = h('div', { class: 'tokens', role: 'list' });
  const n = Math.min(enc.ids.length, max);
  for (let i = 0; i < n; i++) {
    const id = enc.ids[i];
    const hue = (id * 137.508) % 360;  // golden angle: neighbouring ids get distant hues
    const text = enc.pieces[i].replace(/\n/g, '↵').replace(/ /g, '·');
    box.append(
      h('span', { class: 'tok', role: 'listitem', style: `--hue:${hue.toFixed(0)}`, title: `id ${id}` }, text, h('sub', {}, String(id))),
    );
  }
  if (enc.ids.length > n) box.append(h('span', { class: 'muted' }, ` ${tf('tokens.more', { n: enc.ids.length - n })}`));
  return box;
}
