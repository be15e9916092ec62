// Parser of a native run's metrics.jsonl (native/pretrain.cpp, native/align_cmds.cpp): one JSON
// object per line with "type" step | eval | telemetry | final (other types are kept as counts).
export interface TelemetryRow {
  step: number;
  layers: Array<{ layer: number; act_rms: number; act_max: number; grad_norm: number }>;
}

export interface RunMetrics {
  steps: Array<Record<string, number>>;
  evals: Array<Record<string, number>>;
  telemetry: TelemetryRow[];
  final: Record<string, unknown> | null;
  lines: number;
  bad: number;
  /** Numeric keys seen on step lines besides "step" (loss, lr, grad_norm, accuracy, margin, ...). */
  stepKeys: string[];
}

export function parseMetrics(text: string): RunMetrics {
  const out: RunMetrics = { steps: [], evals: [], telemetry: [], final: null, lines: 0, bad: 0, stepKeys: [] };
  const keys = new Set<string>();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line) continue;
    out.lines++;
    let j: Record<string, unknown>;
    try {
      j = JSON.parse(line) as Record<string, unknown>;
    } catch {
      out.bad++;  // a run killed mid-write leaves a torn last line
      continue;
    }
    if (typeof j !== 'object' || j === null || typeof j.step !== 'number') {
      if (j && (j as { type?: string }).type === 'final') out.final = j;
      else out.bad++;
      continue;
    }
    const nums: Record<string, number> = {};
    for (const [k, v] of Object.entries(j)) if (typeof v === 'number' && Number.isFinite(v)) nums[k] = v;
    switch (j.type) {
      case 'step':
        out.steps.push(nums);
        for (const k of Object.keys(nums)) if (k !== 'step') keys.add(k);
        break;
      case 'eval':
        out.evals.push(nums);
        break;
      case 'telemetry':
        if (Array.isArray(j.layers)) out.telemetry.push({ step: j.step as number, layers: j.layers as TelemetryRow['layers'] });
        else out.bad++;
        break;
      case 'final':
        out.final = j;
        break;
      default:
        break;
    }
  }
  // a resumed run may repeat steps: keep the last line of each step
  const dedup = <T extends { step: number }>(xs: T[]) => [...new Map(xs.map((x) => [x.step, x])).values()].sort((a, b) => a.step - b.step);
  out.steps = dedup(out.steps as Array<Record<string, number> & { step: number }>);
  out.evals = dedup(out.evals as Array<Record<string, number> & { step: number }>);
  out.telemetry = dedup(out.telemetry);
  out.stepKeys = [...keys];
  return out;
}
