// An attention heatmap on a canvas: (T, T) probabilities, row = query, column = key; darker = more.
import { h } from './dom';

export function heatmap(probs: number[], T: number, label: string, cell = 6): HTMLElement {
  const size = Math.max(60, T * cell);
  const c = h('canvas', { width: T, height: T, role: 'img', 'aria-label': label, style: `width:${size}px;height:${size}px` });
  const g = c.getContext('2d');
  if (g) {
    const img = g.createImageData(T, T);
    for (let i = 0; i < T * T; i++) {
      const v = Math.sqrt(Math.max(0, Math.min(1, probs[i])));  // sqrt: small weights stay visible
      img.data[4 * i] = 255 - Math.round(200 * v);
      img.data[4 * i + 1] = 255 - Math.round(150 * v);
      img.data[4 * i + 2] = 255 - Math.round(40 * v);
      img.data[4 * i + 3] = 255;
    }
    g.putImageData(img, 0, 0);
  }
  return h('figure', { class: 'heat' }, c, h('figcaption', {}, label));
}
