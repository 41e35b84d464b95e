import { dirname, join, basename, extname, resolve } from 'node:path';
import { writeFileAtomic } from '../../core/fs.ts';
import { renderHtml } from './html.ts';
import { renderMarkdown } from './markdown.ts';
import type { ReportData } from './types.ts';

/**
 * Writes the report as `htmlPath` and its Markdown twin beside it (same name, `.md`), each
 * atomically (temp file, then rename). Returns both paths.
 *
 * @example
 * const { html, markdown } = writeReport(data, 'runs/quickstart/report.html');
 * // markdown: 'runs/quickstart/report.md'
 */
export function writeReport(data: ReportData, htmlPath: string): { html: string; markdown: string } {
  const html = resolve(htmlPath);
  const markdown = join(dirname(html), `${basename(html, extname(html))}.md`);
  writeFileAtomic(html, renderHtml(data));
  writeFileAtomic(markdown, renderMarkdown(data));
  return { html, markdown };
}
