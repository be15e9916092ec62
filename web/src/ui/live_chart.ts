// A streaming line chart on uPlot: append points as they arrive, redraw at most once per
// animation frame, follow the container's width. Reused by every lesson that plots curves.
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface SeriesSpec {
  label: string;
  /** A CSS colour or a CSS custom property name (e.g. '--chart-1'). */
  color: string;
  width?: number;
  dash?: number[];
}

export interface LiveChartOptions {
  xLabel: string;
  yLabel: string;
  series: SeriesSpec[];
  height?: number;
  /** Digits shown in the legend. */
  digits?: number;
}

function cssColor(value: string): string {
  if (!value.startsWith('--')) return value;
  return getComputedStyle(document.documentElement).getPropertyValue(value).trim() || '#888';
}

export class LiveChart {
  private readonly data: number[][];
  private readonly plot: uPlot;
  private readonly resize: ResizeObserver;
  private frame = 0;

  constructor(
    private readonly container: HTMLElement,
    opts: LiveChartOptions,
  ) {
    this.data = [[], ...opts.series.map(() => [])];
    const axisColor = cssColor('--muted');
    const gridColor = cssColor('--grid');
    const axis = (label: string): uPlot.Axis => ({
      label,
      stroke: axisColor,
      grid: { stroke: gridColor, width: 1 },
      ticks: { stroke: gridColor, width: 1 },
    });
    const digits = opts.digits ?? 3;
    this.plot = new uPlot(
      {
        width: Math.max(container.clientWidth, 200),
        height: opts.height ?? 280,
        scales: { x: { time: false } },
        axes: [axis(opts.xLabel), axis(opts.yLabel)],
        cursor: { drag: { x: true, y: false } },
        series: [
          { label: opts.xLabel },
          ...opts.series.map((s) => ({
            label: s.label,
            stroke: cssColor(s.color),
            width: s.width ?? 1.5,
            dash: s.dash,
            points: { show: false },
            value: (_u: uPlot, v: number | null) => (v == null ? '–' : v.toFixed(digits)),
          })),
        ],
      },
      this.data as uPlot.AlignedData,
      container,
    );
    this.resize = new ResizeObserver(() => {
      const w = Math.max(this.container.clientWidth, 200);
      if (w !== this.plot.width) this.plot.setSize({ width: w, height: this.plot.height });
    });
    this.resize.observe(container);
  }

  /** Adds one x with one y per series (null leaves a gap). */
  push(x: number, ys: Array<number | null>): void {
    this.data[0].push(x);
    ys.forEach((y, i) => (this.data[i + 1] as Array<number | null>).push(y));
    this.schedule();
  }

  /** Replaces everything (used when a lesson is re-opened mid-run). */
  set(xs: number[], series: Array<Array<number | null>>): void {
    this.data[0] = xs.slice();
    series.forEach((ys, i) => (this.data[i + 1] = ys.slice() as number[]));
    this.schedule();
  }

  clear(): void {
    this.data.forEach((d) => (d.length = 0));
    this.schedule();
  }

  destroy(): void {
    cancelAnimationFrame(this.frame);
    this.resize.disconnect();
    this.plot.destroy();
  }

  private schedule(): void {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.plot.setData(this.data as uPlot.AlignedData);
    });
  }
}
