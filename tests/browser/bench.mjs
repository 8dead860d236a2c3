// The web app's speed as a user meets it, in headless Chromium: bytes transferred, page open to
// "ready", drop to first answer, and per clip decode / preprocess / inference / end-to-end p50 and
// p95, on each backend asked for. Prints one JSON object; with --write, puts the figures in
// BENCHMARKS.md between its browser-bench markers.
//
// usage: node tests/browser/bench.mjs CLIPS_DIR [--backends cpu,webgpu] [--write BENCHMARKS.md]
//   A backend may name its CPU threads: `cpu:2` asks for a pool of two (`?threads=2`), `cpu:1`
//   for the single-thread module; plain `cpu` is the page's own choice (`auto`).
//   CLIPS_DIR: the clips to drop (e.g. `tteview phantom --out DIR --per-view 1 --formats mp4
//   --max-seconds 2 --max-side 320`); every file in it is dropped once per backend.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { startServer, launch, runPage } from './lib.mjs';

const argv = process.argv.slice(2);
const dir = path.resolve(argv[0]);
const opt = (name, dflt) => { const i = argv.indexOf(name); return i >= 0 ? argv[i + 1] : dflt; };
const backends = opt('--backends', 'cpu').split(',');
const writeTo = opt('--write', null);
const files = readdirSync(dir).filter((f) => /\.(mp4|avi|dcm|webm|gif|png|jpe?g)$/i.test(f)).sort().map((f) => path.join(dir, f));
if (!files.length) { console.error(`no clips in ${dir}`); process.exit(2); }

// The page's own progress lines go to stderr: stdout carries the JSON alone.
const say = console.log;
console.log = (...a) => console.error(...a);

const quantile = (v, q) => { const s = [...v].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(q * (s.length - 1) + 0.5))]; };
const summary = (v) => ({ p50: +quantile(v, 0.5).toFixed(1), p95: +quantile(v, 0.95).toFixed(1), n: v.length });

const failures = [];
const check = (ok, msg) => { if (!ok) failures.push(msg); };
const { url, proc } = await startServer();
const browser = await launch();
const out = { clips: files.length, clip_dir: dir, backends: {} };
try {
  for (const backend of backends) {
    const t0 = Date.now();
    const [name, threads] = backend.split(':');
    const query = `?backend=${name}${threads ? `&threads=${threads}` : ''}`;
    const run = await runPage(browser, `${url}${query}`, files, `bench ${backend}`, { check, afterWarmUp: true });
    const cards = run.cards.filter((c) => c.status === 'done');
    const num = (k) => cards.map((c) => Number(c[k]));
    const e2e = cards.map((c) => Number(c.decodeMs) + Number(c.preprocessMs) + Number(c.inferenceMs));
    out.backends[backend] = {
      backend_in_use: run.backend,
      threads: run.backend === 'cpu' ? Number(await run.page.evaluate(() => document.body.dataset.threads)) : null,
      transferred_bytes: Object.values(run.downloads).reduce((a, d) => a + d.bytes, 0),
      downloads: run.downloads,
      ready_ms: run.loadMs,
      first_run_ms: run.warmUpMs === 'failed' ? null : Number(run.warmUpMs),
      first_answer_ms: run.firstAnswerMs,
      all_answers_ms: run.totalMs,
      decode_ms: summary(num('decodeMs')),
      preprocess_ms: summary(num('preprocessMs')),
      inference_ms: summary(num('inferenceMs')),
      end_to_end_ms: summary(e2e),
      errors: run.cards.length - cards.length,
      wall_ms: Date.now() - t0,
    };
    await run.page.close();
  }
} finally {
  await browser.close();
  proc.kill();
}
say(JSON.stringify(out, null, 2));

if (writeTo) {
  const date = new Date().toISOString().slice(0, 10);
  const rows = Object.entries(out.backends).map(([b, r]) =>
    `| ${b} (${r.backend_in_use}${r.threads ? `, ${r.threads} thread${r.threads > 1 ? 's' : ''}` : ''}) | ${(r.transferred_bytes / 1e6).toFixed(2)} MB | ${r.ready_ms} | ${r.first_run_ms} | ${r.first_answer_ms} | ${r.decode_ms.p50} / ${r.decode_ms.p95} | ${r.preprocess_ms.p50} / ${r.preprocess_ms.p95} | ${r.inference_ms.p50} / ${r.inference_ms.p95} | **${r.end_to_end_ms.p50}** / ${r.end_to_end_ms.p95} |`);
  const block = [
    '<!-- browser-bench:start -->',
    `Measured ${date} by \`node tests/browser/bench.mjs ${path.relative(process.cwd(), dir) || dir} --backends ${backends.join(',')} --write BENCHMARKS.md\` on ${out.clips} clips, headless Chromium on this machine (WebGPU there is SwiftShader, a software GPU).`,
    '',
    '| backend | transferred (module + model) | page open to ready (ms) | first run, blank, after ready (ms) | drop to first answer (ms) | decode p50 / p95 | preprocess p50 / p95 | inference p50 / p95 | end to end p50 / p95 |',
    '|---|---|---|---|---|---|---|---|---|',
    ...rows,
    '<!-- browser-bench:end -->',
  ].join('\n');
  const text = readFileSync(writeTo, 'utf8');
  const re = /<!-- browser-bench:start -->[\s\S]*<!-- browser-bench:end -->/;
  writeFileSync(writeTo, re.test(text) ? text.replace(re, block) : `${text.trimEnd()}\n\n## In the browser\n\n${block}\n`);
  console.error(`wrote the browser figures into ${writeTo}`);
}
if (failures.length) { console.error(failures.join('\n')); process.exit(1); }
const errs = Object.values(out.backends).reduce((a, r) => a + r.errors, 0);
if (errs) { console.error(`${errs} clip(s) got an error card`); process.exit(1); }
