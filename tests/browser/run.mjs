// Browser end-to-end test: serves the app, drops phantom clips (MP4, AVI, DICOM), a real fixture
// DICOM, garbage and a 0-byte file into headless Chromium (WebGPU on SwiftShader), checks the
// cards, compares WebGPU with the CPU backend, and fails on any request beyond the page's origin.
//
// usage: node tests/browser/run.mjs CLIPS_DIR   (CLIPS_DIR holds manifest.csv from `tteview phantom`)
import { readFileSync, existsSync, writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { root, startServer, launch, maxProbabilityDiff, maxCardDiff, runPage as dropFiles, finish } from './lib.mjs';

const clipsDir = path.resolve(process.argv[2]);
const screenshot = process.argv[3];
const rows = readFileSync(path.join(clipsDir, 'manifest.csv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split(','));
const phantom = rows.map((r) => ({ file: path.join(clipsDir, r[0]), view: r[1] }));
// The native CLI's answers for the same files (`tteview classify --format json`), when given: the
// page must agree with them, whatever the model's accuracy.
const nativeFile = path.join(clipsDir, 'native.jsonl');
const native = existsSync(nativeFile)
  ? Object.fromEntries(readFileSync(nativeFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l)).map((r) => [path.basename(r.file), r]))
  : {};
const fixture = path.resolve(root, '../shared/fixtures/dicom/examples_ybr_color.dcm');
const extras = path.join(clipsDir, 'bad');
mkdirSync(extras, { recursive: true });
writeFileSync(path.join(extras, 'garbage.mp4'), Buffer.from('this is not a video at all, just some text'));
writeFileSync(path.join(extras, 'empty.dcm'), Buffer.alloc(0));

const failures = [];
const check = (ok, msg) => { if (!ok) failures.push(msg); console.log(`${ok ? 'ok  ' : 'FAIL'} ${msg}`); };
const runPage = (browser, url, files, label, opts = {}) => dropFiles(browser, url, files, label, { ...opts, check });

const { url, proc } = await startServer();
const browser = await launch();
try {
  const files = [...phantom.map((p) => p.file), ...(existsSync(fixture) ? [fixture] : []), path.join(extras, 'garbage.mp4'), path.join(extras, 'empty.dcm')];
  if (!existsSync(fixture)) console.log('SKIPPED: the real fixture DICOM part (../shared/fixtures/dicom is absent)');
  // SwiftShader is a software GPU: 'auto' must pick the faster CPU backend there, and
  // ?backend=webgpu must still run the WebGPU path.
  const auto = await runPage(browser, url, [], 'auto');
  // The module and the model travel compressed (scripts/build-web.sh writes the twins).
  const wire = Object.entries(auto.downloads).map(([f, d]) => `${f} ${d.encoding} ${(d.bytes / 1e6).toFixed(2)} MB`).join(', ');
  // Brotli wherever its twin was written (build-web.sh writes one where brotli is installed).
  const encodings = (file) => (existsSync(`${file}.br`) ? ['br'] : ['br', 'gzip']);
  check(encodings(path.join(root, 'www/pkg-cpu/tte_web_bg.wasm')).includes((auto.downloads['tte_web_bg.wasm'] || {}).encoding)
    && encodings(path.join(root, 'models/lite.ttev')).includes((auto.downloads['lite.ttev'] || {}).encoding), `module and model served compressed, brotli where its twin exists (${wire})`);
  check(auto.backend === 'cpu', `auto picks the CPU backend on a software GPU (got ${auto.backend})`);
  await auto.page.close();
  const gpu = await runPage(browser, `${url}?backend=webgpu`, files, 'webgpu');
  // The model's own "uncertain" threshold, from its header (`tteview calibrate` sets it).
  const model = readFileSync(path.join(root, 'models', 'lite.ttev'));
  const headerLen = Number(model.readBigUInt64LE(12));
  const unsureBelow = JSON.parse(model.subarray(20, 20 + headerLen).toString('utf8')).unsure_below ?? 0.6;
  const by = Object.fromEntries(gpu.cards.map((c) => [c.file, c]));
  check(gpu.backend === 'webgpu', `WebGPU backend in use (got ${gpu.backend})`);
  for (const p of phantom) {
    const c = by[path.basename(p.file)];
    const n = native[path.basename(p.file)];
    // Whether the answer is right is the model's business (the shipped-model test and the card);
    // here the page must answer, and answer as the command line does (below).
    check(c && c.status === 'done' && !!c.view, `${path.basename(p.file)} answered ${c && c.view} (label ${p.view})`);
    if (n) {
      const diff = maxProbabilityDiff(c, n);
      check(c.view === n.view && diff < 0.02, `${path.basename(p.file)}: page ${c.view} vs native ${n.view}, max probability difference ${diff.toFixed(5)}`);
      // The dark-picture measure sees the same picture in the tab as natively.
      const share = Number(c.echoShare);
      check(Math.abs(share - n.echo_share) < 0.02, `${path.basename(p.file)}: echo share ${share} in the page, ${n.echo_share.toFixed(4)} native`);
    }
    check(c && Number(c.confidence) > 0 && Number(c.confidence) <= 1 && c.backend === 'webgpu', `${path.basename(p.file)} has confidence and backend attributes`);
    check(c && c.unsure === String(Number(c.confidence) < unsureBelow), `${path.basename(p.file)}: unsure ${c && c.unsure} for confidence ${c && c.confidence} (the model's threshold ${unsureBelow})`);
  }
  if (existsSync(fixture)) {
    const c = by['examples_ybr_color.dcm'];
    check(c && c.status === 'done', `real echo DICOM classified (${c && c.view}, ${c && c.confidence})`);
    // Its ultrasound region is in the coordinates of a screen twice its size: the card must say
    // the region was ignored (the fan search crops it instead).
    check(c && (c.warnings || '').includes('past the 320x240 picture'), `real echo DICOM's misfit region is reported (${c && c.warnings})`);
    // A real screen, cropped by the fan search: the tab and the CLI decode its JPEG frames with
    // the same (platform-independent) decoder, so they crop and answer alike.
    const n = native['examples_ybr_color.dcm'];
    if (n) {
      const diff = maxProbabilityDiff(c, n);
      check(c.view === n.view && diff < 0.02, `real echo DICOM: page ${c.view} vs native ${n.view}, max probability difference ${diff.toFixed(5)}`);
    } else {
      console.log('SKIPPED: no native answer for the real echo DICOM to compare with');
    }
  }
  check(by['garbage.mp4'] && by['garbage.mp4'].status === 'error', 'garbage file gets an error card');
  check(by['empty.dcm'] && by['empty.dcm'].status === 'error', '0-byte file gets an error card');
  if (screenshot) await gpu.page.screenshot({ path: screenshot, fullPage: true });

  // The CPU run also turns teaching mode on: every card loops the frames the model saw.
  const cpu = await runPage(browser, `${url}?backend=cpu`, phantom.map((p) => p.file), 'cpu', { teach: true });
  check(cpu.backend === 'cpu', `CPU backend when asked (got ${cpu.backend})`);
  const players = await cpu.page.$$eval('[data-testid=result]', (cs) => cs.map((c) => {
    const canvas = c.querySelector('canvas.model-view');
    return { file: c.dataset.file, canvas: !!canvas && canvas.width > 0, video: !!c.querySelector('video'), first: canvas && canvas.toDataURL() };
  }));
  await cpu.page.waitForTimeout(700);
  const later = await cpu.page.$$eval('canvas.model-view', (cs) => cs.map((c) => c.toDataURL()));
  players.forEach((p, i) => {
    const isVideo = /\.(mp4|webm)$/.test(p.file);
    check(p.canvas && p.video === isVideo && later[i] !== p.first, `teaching mode: ${p.file} loops the model's frames${isVideo ? ' beside the video' : ''}`);
  });
  // Served cross-origin isolated, the page may run the CPU backend on a pool of threads
  // (www/pkg-mt): asked for two, it does, and answers as one thread does (threads change only
  // the order of sums).
  const isolated = await cpu.page.evaluate(() => self.crossOriginIsolated);
  check(isolated, 'the page is cross-origin isolated (COOP and COEP), so it may share memory between threads');
  const oneThread = Number(await cpu.page.evaluate(() => document.body.dataset.threads));
  check(oneThread === 1 || (await cpu.page.evaluate(() => navigator.hardwareConcurrency)) >= 4, `'auto' keeps one thread under four cores (got ${oneThread})`);
  if (!existsSync(path.join(root, 'www/pkg-mt/tte_web.js'))) {
    console.log('SKIPPED: the threaded CPU module is not built (www/pkg-mt; scripts/build-web.sh says why)');
  } else {
    const two = await runPage(browser, `${url}?backend=cpu&threads=2`, phantom.map((p) => p.file), 'cpu, two threads');
    const notice = await two.page.evaluate(() => document.body.dataset.notice || '');
    check(two.backend === 'cpu' && (await two.page.evaluate(() => document.body.dataset.threads)) === '2' && !/one thread/.test(notice), `a pool of two threads when asked (?threads=2)${notice ? `; notice: ${notice}` : ''}`);
    for (const c of two.cards) {
      const t = cpu.cards.find((x) => x.file === c.file);
      const diff = t ? maxCardDiff(c, t) : 1;
      check(t && c.view === t.view && diff < 1e-4, `${c.file}: two threads ${c.view} vs one ${t && t.view}, max probability difference ${diff.toExponential(1)}`);
    }
    await two.page.close();
  }
  for (const c of cpu.cards) {
    const g = by[c.file];
    const maxDiff = maxCardDiff(c, g);
    check(c.view === g.view && maxDiff < 0.02, `${c.file}: CPU ${c.view} vs WebGPU ${g.view}, max probability difference ${maxDiff.toFixed(5)}`);
  }
  await checkWebGpuFallback(browser, url, phantom[0], by[path.basename(phantom[0].file)]);
  console.log(`timings: model load + WebGPU start ${gpu.loadMs} ms, ${files.length} files on WebGPU ${gpu.totalMs} ms; CPU start ${cpu.loadMs} ms, ${phantom.length} clips on CPU ${cpu.totalMs} ms`);
} finally {
  await browser.close();
  proc.kill();
}
finish(failures, 'browser');

/// Where WebGPU fails, as a driver without a usable device does at start or a lost device does
/// mid-clip, the page goes on with the CPU module, says why, and answers as WebGPU did. The
/// WebGPU module is served with its start or its classify made to throw (under names of our own:
/// the module already exports a `start`).
async function checkWebGpuFallback(browser, url, clip, gpuCard) {
  const breaks = {
    start: `const __tteStart = Classifier.create;
Classifier.create = async function (bytes, backend) {
  if (backend === 'webgpu') throw new Error('no WebGPU device (simulated)');
  return __tteStart.call(this, bytes, backend);
};`,
    classify: `const __tteClassify = Classifier.prototype.classify;
Classifier.prototype.classify = function (...args) {
  if (this.backend() === 'webgpu') throw new Error('device lost (simulated)');
  return __tteClassify.apply(this, args);
};`,
  };
  for (const [when, patch] of Object.entries(breaks)) {
    const setup = (page) => page.route(/\/pkg\/tte_web\.js$/, async (route) => {
      const original = await route.fetch();
      route.fulfill({ response: original, body: `${await original.text()}\n${patch}\n` });
    });
    const run = await runPage(browser, `${url}?backend=webgpu`, [clip.file], `webgpu failing at ${when}`, { setup });
    const card = run.cards[0];
    const notice = await run.page.evaluate(() => document.body.dataset.notice || '');
    check(/WebGPU failed .*simulated/.test(notice), `WebGPU failing at ${when}: the page says so (${notice})`);
    check(card && card.status === 'done' && card.backend === 'cpu', `WebGPU failing at ${when}: answered on ${card && card.backend}`);
    if (card && gpuCard) {
      const diff = maxCardDiff(card, gpuCard);
      check(card.view === gpuCard.view && diff < 0.02, `WebGPU failing at ${when}: ${card.view} as WebGPU's ${gpuCard.view}, max probability difference ${diff.toFixed(5)}`);
    }
    await run.page.close();
  }
}
