/** What `data.text.clean` may strip from raw texts. Nothing is stripped unless asked. */
export type CleanStep = 'headers' | 'html';

/**
 * Strip e-mail headers and/or HTML from a text, when `data.text.clean` asks for it (the raw
 * text is the default: a spam filter learns much from headers and markup).
 * `headers`: when the text starts with an RFC 5322 header block (`Name: value` lines, folded
 * continuation lines), drop everything up to the first empty line. `html`: drop `<script>` and
 * `<style>` elements, then every tag, and decode the five XML entities and `&nbsp;`.
 *
 * @example
 * cleanText('Subject: hi\nFrom: a@b\n\n<p>Hello&amp;bye</p>', ['headers', 'html']).trim(); // 'Hello&bye'
 */
export function cleanText(text: string, steps: readonly CleanStep[]): string {
  let t = text;
  if (steps.includes('headers') && /^[!-9;-~]+:/.test(t)) {
    const m = /\r?\n\r?\n/.exec(t);
    t = m ? t.slice(m.index + m[0].length) : '';
  }
  if (steps.includes('html')) {
    t = t
      .replace(/<(script|style)\b[\s\S]*?<\/\1\s*>/gi, ' ')
      .replace(/<!--[\s\S]*?-->/g, ' ')
      .replace(/<[^>]*>/g, ' ')
      .replace(/&nbsp;/gi, ' ')
      .replace(/&lt;/gi, '<')
      .replace(/&gt;/gi, '>')
      .replace(/&quot;/gi, '"')
      .replace(/&#39;|&apos;/gi, "'")
      .replace(/&amp;/gi, '&');
  }
  return t;
}
