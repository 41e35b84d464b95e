import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// The dashboard page: built into static files under dist/dashboard/web (beside the compiled
// server in dist/dashboard, which is why it is a subfolder), with every asset local, no CDN.
const here = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root: here,
  base: './',
  logLevel: 'warn',
  build: {
    outDir: fileURLToPath(new URL('../../../dist/dashboard/web', import.meta.url)),
    emptyOutDir: true,
    // data: URLs would be refused by the server's `default-src 'self'` policy
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    sourcemap: false,
  },
});
