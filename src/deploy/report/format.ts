/**
 * Escapes text for HTML element content and quoted attribute values: every string that comes
 * from a store, a model file or a path goes through it.
 *
 * @example
 * escapeHtml('<script>alert(1)</script>'); // '&lt;script&gt;alert(1)&lt;/script&gt;'
 */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/**
 * Escapes text for a Markdown table cell: pipes would split the cell, and angle brackets would be
 * raw HTML to a Markdown renderer.
 *
 * @example
 * escapeMarkdown('a|b <i>'); // 'a\\|b &lt;i&gt;'
 */
export function escapeMarkdown(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\|/g, '\\|').replace(/[\r\n]+/g, ' ');
}

/**
 * A byte count with a unit (decimal: KB = 1000 bytes, as file managers show sizes).
 *
 * @example
 * formatBytes(318_040); // '318.0 KB'
 */
export function formatBytes(n: number | undefined): string {
  if (n === undefined || !Number.isFinite(n)) return '-';
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)} GB`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)} MB`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} KB`;
  return `${n} B`;
}

/**
 * A count with SI suffix: 1.2M, 79.5k.
 *
 * @example
 * formatCount(2_395_210); // '2.40M'
 */
export function formatCount(n: number | undefined): string {
  if (n === undefined || !Number.isFinite(n)) return '-';
  const a = Math.abs(n);
  if (a >= 1e9) return `${(n / 1e9).toFixed(2)}G`;
  if (a >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (a >= 1e3) return `${(n / 1e3).toFixed(1)}k`;
  return Number.isInteger(n) ? String(n) : n.toPrecision(3);
}

/**
 * A fraction as a percentage with two decimals.
 *
 * @example
 * formatPercent(0.9734); // '97.34%'
 */
export function formatPercent(v: number | undefined): string {
  return v === undefined || !Number.isFinite(v) ? '-' : `${(100 * v).toFixed(2)}%`;
}

/**
 * Milliseconds with three significant decimals below 10 ms.
 *
 * @example
 * formatMs(0.04213); // '0.042'
 */
export function formatMs(v: number | undefined): string {
  if (v === undefined || !Number.isFinite(v)) return '-';
  return v >= 10 ? v.toFixed(1) : v.toFixed(3);
}

/**
 * A metric's value as the report shows it: accuracies in percent, bytes with units, latency in
 * ms, counts with SI suffixes.
 *
 * @example
 * formatMetric('bytesInt8', 80_000); // '80.0 KB'
 */
export function formatMetric(metric: string, v: number | undefined): string {
  if (v === undefined || !Number.isFinite(v)) return '-';
  if (metric === 'accuracy') return formatPercent(v);
  if (metric.startsWith('bytes')) return formatBytes(v);
  if (metric === 'latencyMs' || metric.endsWith('Ms')) return `${formatMs(v)} ms`;
  if (metric === 'params' || metric === 'macs') return formatCount(v);
  return Number.isInteger(v) ? v.toLocaleString('en-US') : v.toPrecision(4);
}

/**
 * An axis title with its unit for a metric name.
 *
 * @example
 * metricLabel('macs'); // 'MACs per sample'
 */
export function metricLabel(metric: string): string {
  const known: Record<string, string> = {
    accuracy: 'accuracy (%)',
    macs: 'MACs per sample',
    params: 'parameters',
    bytesFp32: 'weights fp32 (bytes)',
    bytesFp16: 'weights fp16 (bytes)',
    bytesInt8: 'weights int8 (bytes)',
    latencyMs: 'latency p50, batch 1 (ms)',
  };
  return known[metric] ?? metric;
}
