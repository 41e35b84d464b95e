/**
 * The page distillery loads in Chromium to time TF.js models: plain JavaScript (it runs in the
 * browser, not in Node), kept here as a string so the package ships it with no build step. It
 * loads the same TF.js 4.22 bundles Node uses (tfjs-core, tfjs-backend-wasm, tfjs-layers), all
 * served by the session from the package's own files: the page never reaches the network.
 *
 * The timing loop runs inside the page (`performance.now()`, microsecond-precise because the
 * page is cross-origin isolated) so that no DevTools round trip is counted; its rules mirror
 * Node's (`timeRuns` in deploy/bench/stats.ts): warm-up until two successive chunks agree.
 */
export const PAGE_HTML = `<!doctype html>
<html><head><meta charset="utf-8"><title>distillery latency</title>
<script src="/tfjs/tf-core.min.js"></script>
<script src="/tfjs/tf-backend-wasm.min.js"></script>
<script src="/tfjs/tf-layers.min.js"></script>
<script src="/page.js"></script>
</head><body>distillery latency page</body></html>
`;

/** `window.distillery`: what the Node side calls through `page.evaluate`. */
export const PAGE_JS = String.raw`
(() => {
  const models = new Map();
  const inputs = new Map();
  function rng(seed) {
    // mulberry32: the same input for the same seed, whatever the browser
    let a = seed >>> 0;
    return () => { a = (a + 0x6d2b79f5) >>> 0; let t = a; t = Math.imul(t ^ (t >>> 15), t | 1); t ^= t + Math.imul(t ^ (t >>> 7), t | 61); return ((t ^ (t >>> 14)) >>> 0) / 4294967296; };
  }
  function median(xs) { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; }
  window.distillery = {
    async init(backend, threads) {
      tf.wasm.setWasmPaths('/tfjs/');
      if (threads && tf.wasm.setThreadsCount) tf.wasm.setThreadsCount(threads);
      await tf.setBackend(backend);
      await tf.ready();
      return { backend: tf.getBackend(), threads: tf.wasm.getThreadsCount ? tf.wasm.getThreadsCount() : 1, isolated: self.crossOriginIsolated === true, userAgent: navigator.userAgent };
    },
    async load(id) {
      const m = await tf.loadLayersModel('/models/' + id + '/model.json');
      models.set(id, m);
      return m.inputs[0].shape.slice(1);
    },
    prepare(id, batch, seed, data) {
      const m = models.get(id);
      const shape = [batch, ...m.inputs[0].shape.slice(1)];
      const n = shape.reduce((a, d) => a * d, 1);
      let x;
      if (data) x = Float32Array.from(data);
      else { const r = rng(seed); x = new Float32Array(n); for (let i = 0; i < n; i++) x[i] = r(); }
      const key = id + ':' + batch;
      if (inputs.has(key)) inputs.get(key).dispose();
      inputs.set(key, tf.tensor(x, shape));
      return key;
    },
    // Warm-up in chunks until two successive chunk medians agree within tol (at least minWarmup
    // runs, at most maxWarmup), then 'iterations' timed runs; returns the times in ms.
    time(key, id, minWarmup, maxWarmup, iterations, tol) {
      const m = models.get(id); const x = inputs.get(key);
      const once = () => { const t0 = performance.now(); const y = m.predict(x); y.dataSync(); y.dispose(); return performance.now() - t0; };
      let done = 0; let prev = Infinity;
      const chunk = Math.max(3, Math.min(20, minWarmup));
      while (done < maxWarmup) {
        const c = []; for (let i = 0; i < chunk; i++) c.push(once());
        done += chunk;
        const med = median(c);
        if (done >= minWarmup && Math.abs(med - prev) <= tol * Math.min(med, prev)) break;
        prev = med;
      }
      const out = []; for (let i = 0; i < iterations; i++) out.push(once());
      return { times: out, warmup: done };
    },
    predict(key, id) {
      const y = models.get(id).predict(inputs.get(key));
      const v = Array.from(y.dataSync()); const shape = y.shape; y.dispose();
      return { data: v, shape };
    },
    unload(id) {
      for (const [k, t] of inputs) if (k.startsWith(id + ':')) { t.dispose(); inputs.delete(k); }
      const m = models.get(id); if (m) { m.dispose(); models.delete(id); }
    },
  };
})();
`;
