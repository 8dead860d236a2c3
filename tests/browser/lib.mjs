// What the browser tests share: the app's server, headless Chromium as this machine runs it,
// and dropping files on the page until every card has an answer or an error.
import { chromium } from 'playwright-core';
import { spawn } from 'node:child_process';
import path from 'node:path';

export const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');

export function startServer() {
  return new Promise((resolve, reject) => {
    const p = spawn('python3', [path.join(root, 'scripts/serve.py'), '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
    p.stdout.on('data', (d) => {
      const m = String(d).match(/http:\/\/127\.0\.0\.1:\d+\//);
      if (m) resolve({ url: m[0], proc: p });
    });
    p.on('exit', (c) => reject(new Error(`server exited ${c}`)));
  });
}

export function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--enable-unsafe-webgpu'],
  });
}

/// The largest difference between two answers' probabilities (the page's card, the CLI's row).
export function maxProbabilityDiff(card, native) {
  const pw = JSON.parse(card.probabilities || '{}');
  return Math.max(...Object.keys(native.probabilities).map((k) => Math.abs(native.probabilities[k] - pw[k])));
}

/// The largest difference between two cards' probabilities (one page run against another).
export function maxCardDiff(a, b) {
  return maxProbabilityDiff(a, { probabilities: JSON.parse(b.probabilities || '{}') });
}

/// Opens the page, waits for the model, drops `files` and waits until every card is done or an
/// error; `check` records that nothing was requested beyond the page's origin.
/// Loads the page, drops `files` and waits for every card. `afterWarmUp`: drop only once the
/// worker's blank first run is done (a user who takes a moment to pick a file), and report its time.
/// `setup(page)` runs before the page opens (to route its requests, say).
export async function runPage(browser, url, files, label, { teach = false, check, afterWarmUp = false, setup }) {
  const page = await browser.newPage();
  if (setup) await setup(page);
  const origin = new URL(url).origin;
  const foreign = [];
  page.on('request', (r) => {
    const u = r.url();
    if (!u.startsWith(origin) && !u.startsWith('data:') && !u.startsWith('blob:')) foreign.push(u);
  });
  page.on('console', (m) => { if (m.type() === 'error') console.log(`[${label} console] ${m.text()}`); });
  // What the large downloads cost on the wire: served precompressed where a twin exists.
  const downloads = {};
  page.on('response', async (r) => {
    const name = r.url().split('/').pop().split('?')[0];
    if (/\.(wasm|ttev)$/.test(name)) {
      const h = await r.allHeaders();
      downloads[name] = { encoding: h['content-encoding'] || 'identity', bytes: Number(h['content-length'] || 0) };
    }
  });
  const t0 = Date.now();
  await page.goto(url);
  await page.waitForSelector('body[data-ready=true]', { timeout: 300_000 });
  const loadMs = Date.now() - t0;
  const backend = await page.evaluate(() => document.body.dataset.backend);
  console.log(`[${label}] model loaded and backend ${backend} ready in ${loadMs} ms`);
  if (teach) await page.check('#teach');
  let warmUpMs = null;
  if (afterWarmUp) {
    await page.waitForSelector('body[data-warm-ms]', { timeout: 300_000 });
    warmUpMs = await page.evaluate(() => document.body.dataset.warmMs);
    console.log(`[${label}] blank first run ${warmUpMs} ms`);
  }
  const t1 = Date.now();
  await page.setInputFiles('#files', files);
  let firstAnswerMs = null;
  if (files.length) {
    await page.waitForFunction(() => [...document.querySelectorAll('[data-testid=result]')].some((c) => c.dataset.status !== 'pending'), null, { timeout: 900_000, polling: 20 });
    firstAnswerMs = Date.now() - t1;
  }
  await page.waitForFunction((n) => {
    const cards = [...document.querySelectorAll('[data-testid=result]')];
    return cards.length === n && cards.every((c) => c.dataset.status !== 'pending');
  }, files.length, { timeout: 900_000, polling: 500 });
  const totalMs = Date.now() - t1;
  const cards = await page.$$eval('[data-testid=result]', (cs) => cs.map((c) => ({ ...c.dataset })));
  console.log(`[${label}] ${files.length} files in ${totalMs} ms`);
  for (const c of cards) console.log(`[${label}]   ${c.file}: ${c.status} ${c.view || ''} ${c.confidence || ''} ${c.backend || ''} decode ${c.decodeMs || '-'} ms inference ${c.inferenceMs || '-'} ms ${c.error || ''}`);
  check(foreign.length === 0, `[${label}] no request beyond ${origin} (${foreign.join(', ') || 'none'})`);
  return { page, cards, backend, loadMs, totalMs, firstAnswerMs, warmUpMs, downloads };
}

/// Ends a test script: the failures counted, or the all-clear for `what`.
export function finish(failures, what) {
  if (failures.length) {
    console.log(`\n${failures.length} browser check(s) failed`);
    process.exit(1);
  }
  console.log(`\nall ${what} checks passed`);
}
