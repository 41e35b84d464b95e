import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, extname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DistilleryError } from '../core/errors.ts';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.map': 'application/json; charset=utf-8',
};

/** One built file, ready to send. */
export interface StaticFile {
  body: Buffer;
  type: string;
}

/**
 * Where the built page lives: `dist/dashboard/web/` of the package this module belongs to
 * (the same from `src/` run through tsx and from the compiled `dist/`).
 *
 * @example
 * defaultWebRoot(); // '/path/to/distillery/dist/dashboard/web'
 */
export function defaultWebRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'distillery') return join(dir, 'dist', 'dashboard', 'web');
      } catch {
        // an unreadable package.json is not ours: keep walking up
      }
    }
    const up = dirname(dir);
    if (up === dir) return resolve('dist/dashboard/web');
    dir = up;
  }
}

/**
 * The built page's files, read once into memory and keyed by URL path. Only these paths are
 * ever served: a request is looked up, never joined onto the folder, so no traversal (`..`,
 * encoded dots, absolute paths, symlinks out of the folder) can reach another file.
 * Throws `DASHBOARD_NOT_BUILT` when the folder has no `index.html`.
 *
 * @example
 * const files = loadStaticFiles(defaultWebRoot());
 * files.get('/index.html')?.type; // 'text/html; charset=utf-8'
 */
export function loadStaticFiles(root: string): Map<string, StaticFile> {
  const index = join(root, 'index.html');
  if (!existsSync(index)) {
    throw new DistilleryError('DASHBOARD_NOT_BUILT', `${root}: the dashboard page is not built (no index.html)`, 'run `npm run build:dashboard` (Vite), then start the dashboard again', root);
  }
  const files = new Map<string, StaticFile>();
  const walk = (dir: string, depth: number): void => {
    if (depth > 8) return;
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const full = join(dir, e.name);
      if (e.name.startsWith('.')) continue;
      if (e.isDirectory()) walk(full, depth + 1);
      else if (e.isFile() && statSync(full).size < 32 * 1024 * 1024) {
        const rel = relative(root, full).split(sep).join('/');
        files.set(`/${rel}`, { body: readFileSync(full), type: TYPES[extname(e.name).toLowerCase()] ?? 'application/octet-stream' });
      }
    }
  };
  walk(root, 0);
  return files;
}
