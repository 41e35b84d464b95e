import { SingleBar, Presets } from 'cli-progress';
import type { DistilleryEvent, Reporter } from '../core/events.ts';

/** `--json`: every event as one JSON line on stdout, nothing else there. */
export function jsonReporter(write: (line: string) => void = (l) => process.stdout.write(l)): Reporter {
  return (e) => write(JSON.stringify(e) + '\n');
}

function fmt(v: unknown, digits = 4): string {
  return typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toFixed(digits)) : String(v);
}

/** One line per epoch, for logs and pipes (stderr). */
export function epochLine(e: DistilleryEvent & { event: 'epoch' }): string {
  const parts = [`epoch ${e.epoch}/${e.epochs}`, `loss ${fmt(e['loss'])}`];
  if (e['accuracy'] !== undefined) parts.push(`acc ${fmt(e['accuracy'])}`);
  if (e['valLoss'] !== undefined) parts.push(`val_loss ${fmt(e['valLoss'])}`);
  if (e['valAccuracy'] !== undefined) parts.push(`val_acc ${fmt(e['valAccuracy'])}`);
  if (e['samplesPerSec'] !== undefined) parts.push(`${Math.round(e['samplesPerSec'] as number)} samples/s`);
  return parts.join('  ');
}

/**
 * Human output on stderr: a progress bar per epoch on a TTY, one line per epoch otherwise.
 * Stdout stays free for the final table. A job that starts on wasm because the native engine is
 * missing says so once, with what it costs and the command that fixes it.
 */
export function humanReporter(stream: NodeJS.WriteStream = process.stderr): Reporter {
  const tty = stream.isTTY === true;
  let bar: SingleBar | undefined;
  let prefix = '';
  let warnedFallback = false;
  return (e) => {
    switch (e.event) {
      case 'start': {
        const fallback = (e['engine'] as { fallback?: unknown } | undefined)?.fallback;
        if (typeof fallback === 'string' && !warnedFallback) {
          warnedFallback = true;
          stream.write(`note: ${fallback}\n`);
        }
        break;
      }
      case 'epoch_start':
        prefix = typeof e['label'] === 'string' ? `${e['label']} ` : '';
        if (tty) {
          bar = new SingleBar(
            { stream, format: `${prefix}epoch ${e.epoch}/${e.epochs} [{bar}] {value}/{total} loss {loss} {eta_formatted}`, hideCursor: true, clearOnComplete: true },
            Presets.shades_classic,
          );
          bar.start(e.batches, 0, { loss: '-' });
        }
        break;
      case 'batch':
        bar?.update(e.batch, { loss: e.loss.toFixed(4) });
        break;
      case 'epoch':
        bar?.stop();
        bar = undefined;
        stream.write(`${prefix}${epochLine(e)}\n`);
        break;
      case 'info':
        // the engine's fallback note comes once, from whichever job starts first
        if (typeof e['fallback'] === 'string') {
          if (warnedFallback) break;
          warnedFallback = true;
        }
        stream.write(`${e.message}\n`);
        break;
      case 'warning':
        stream.write(`warning: ${e.message}\n`);
        break;
      default:
        break;
    }
  };
}

/** A fixed-width table for the final results (stdout). */
export function table(rows: readonly (readonly string[])[]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return rows.map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ')).join('\n') + '\n';
}
