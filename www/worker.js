// The classifier's worker: decoding and inference run here, off the page's main thread.
// Messages in:  {type: 'init', modelUrl, backend, threads}   -> {type: 'ready', backend, threads, labels, meta}
//               {type: 'classify', id, name, bytes}          -> {type: 'progress'|'result'|'error', id, ...}
// Three builds of the same crates: pkg (WebGPU, compiled for size), pkg-cpu (the CPU alone, a
// fraction of the download, compiled for speed) and pkg-mt (pkg-cpu on several threads, for pages
// that are cross-origin isolated). Only the one this browser will use is fetched.
let wasm = null;
/// Which build `wasm` is: 'webgpu' or 'cpu' (pkg-cpu or pkg-mt).
let wasmBuild = null;
let classifier = null;
let modelBytes = null;
/// How many threads run the CPU backend: 1, or the pool pkg-mt started.
let threads = 1;
/// Threads asked for: 'auto' (every core where there are four or more) or a number; either way
/// only where the page is cross-origin isolated.
let threadsWanted = 'auto';

const post = (m, transfer) => self.postMessage(m, transfer || []);

async function fetchWithProgress(url, onProgress) {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`cannot load ${url}: HTTP ${res.status}`);
  const total = Number(res.headers.get('content-length')) || 0;
  const reader = res.body.getReader();
  const parts = [];
  let got = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    parts.push(value);
    got += value.length;
    onProgress(got, total);
  }
  const out = new Uint8Array(got);
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}

/// 'hardware', 'software' (a CPU emulation of a GPU, such as SwiftShader) or 'none'.
async function webGpuKind() {
  try {
    if (!self.navigator || !self.navigator.gpu) return 'none';
    const adapter = await self.navigator.gpu.requestAdapter();
    if (!adapter) return 'none';
    const info = adapter.info || {};
    const text = `${info.vendor || ''} ${info.architecture || ''} ${info.description || ''}`;
    return info.isFallbackAdapter || adapter.isFallbackAdapter || /swiftshader|llvmpipe|software/i.test(text) ? 'software' : 'hardware';
  } catch (_) {
    return 'none';
  }
}

/// 'auto' takes WebGPU on a real GPU and the CPU backend otherwise: on a software GPU the
/// WebAssembly CPU backend answers about ten times sooner. 'webgpu' insists on any adapter.
async function wantedBackend(backend) {
  const kind = backend === 'cpu' ? 'none' : await webGpuKind();
  if (kind === 'hardware' || (kind === 'software' && backend === 'webgpu')) return 'webgpu';
  if (kind === 'software') post({ type: 'notice', text: 'WebGPU here is a software renderer (slower than the CPU backend); using the CPU backend. Add ?backend=webgpu to use it anyway.' });
  return 'cpu';
}

/// Both builds use WebAssembly SIMD. This module (one function returning `i8x16.splat(0)`)
/// validates only where the engine has it.
const SIMD_PROBE = new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 1, 5, 1, 0x60, 0, 1, 0x7b, 3, 2, 1, 0, 0x0a, 8, 1, 6, 0, 0x41, 0, 0xfd, 0x0f, 0x0b]);

/// The wasm build for `wanted`. The WebGPU build holds the CPU backend too (it decodes the
/// weights), but compiled for size, not speed: a page that falls back to the CPU loads the CPU
/// build for it.
async function loadModule(wanted) {
  if (!WebAssembly.validate(SIMD_PROBE)) {
    throw new Error('this browser lacks WebAssembly SIMD, which the classifier needs (Chrome 91, Firefox 89, Safari 16.4 and later have it); use a current browser, or the tteview command line');
  }
  if (wasmBuild === wanted) return;
  if (wanted === 'cpu' && (await loadThreaded())) {
    wasmBuild = 'cpu';
    return;
  }
  const m = await import(wanted === 'webgpu' ? './pkg/tte_web.js' : './pkg-cpu/tte_web.js');
  await m.default();
  wasm = m;
  wasmBuild = wanted;
}

/// The CPU build on a pool of Web Workers sharing its memory, where the page may share memory
/// (cross-origin isolated: the server sends COOP and COEP) and a pool is wanted (below).
/// Anything short of a started pool leaves the single-thread build to load instead.
async function loadThreaded() {
  const cores = self.navigator.hardwareConcurrency || 1;
  // 'auto' starts a pool only with four cores or more: on two (BENCHMARKS.md) a pool of two
  // answered no sooner than one thread (59 against 60 ms a clip).
  const n = threadsWanted === 'auto' ? (cores >= 4 ? cores : 1) : Math.max(1, Math.floor(Number(threadsWanted) || 1));
  if (n < 2 || !self.crossOriginIsolated || typeof SharedArrayBuffer === 'undefined') return false;
  try {
    const m = await import('./pkg-mt/tte_web.js');
    await m.default();
    await m.initThreadPool(n);
    wasm = m;
    threads = n;
    return true;
  } catch (e) {
    post({ type: 'notice', text: `the CPU backend runs on one thread (${e.message || e})` });
    return false;
  }
}

async function loadCpu() {
  await loadModule('cpu');
  classifier = await wasm.Classifier.create(modelBytes, 'cpu');
  return classifier.backend();
}

async function load(wanted) {
  if (wanted === 'cpu') return loadCpu();
  try {
    classifier = await wasm.Classifier.create(modelBytes, wanted);
  } catch (e) {
    post({ type: 'notice', text: `WebGPU failed (${e.message || e}); using the CPU backend` });
    return loadCpu();
  }
  return classifier.backend();
}

// ---- decoding -------------------------------------------------------------------------------

/// The visible picture of a VideoFrame (or an ImageDecoder image) as RGBA. Only the visible
/// rectangle is copied, clamped to the coded picture: the display size may be rounded past the
/// coded width by a non-square pixel aspect (721 for 720 coded pixels declared 615:614), and
/// the coded size may be padded past an SPS crop. The pixel aspect goes to the classifier,
/// which makes the pixels square exactly as the native reader does.
async function frameToRgba(frame) {
  const cw = frame.codedWidth, ch = frame.codedHeight;
  const v = frame.visibleRect || { x: 0, y: 0, width: cw, height: ch };
  const x = Math.min(Math.max(0, Math.floor(v.x)), cw - 1);
  const y = Math.min(Math.max(0, Math.floor(v.y)), ch - 1);
  const w = Math.max(1, Math.min(Math.floor(v.width), cw - x));
  const h = Math.max(1, Math.min(Math.floor(v.height), ch - y));
  let buf;
  if (frame.format === 'I420') {
    // The decoder's own planes, converted by the same Rust code the command line uses: the
    // browser's YUV-to-RGB differs by a grey level here and there, enough to move a crop.
    const planes = new Uint8Array(frame.allocationSize());
    const layout = await frame.copyTo(planes);
    // BT.601 whatever colorSpace says: for untagged streams Chromium guesses BT.709 by size
    // where FFmpeg does not, and grey (all an echo is, but for colour Doppler) is the same in both.
    const cs = frame.colorSpace || {};
    buf = wasm.i420ToRgba(planes, Uint32Array.from(layout.flatMap((p) => [p.offset, p.stride])), Uint32Array.from([x, y, w, h]), false, cs.fullRange === true);
  } else {
    buf = new Uint8Array(w * h * 4);
    // copyTo with an RGBA format converts from the decoder's YUV; SwiftShader needs this path.
    await frame.copyTo(buf, { format: 'RGBA', rect: { x, y, width: w, height: h } });
  }
  const pixelAspect = frame.displayWidth && frame.displayHeight ? (frame.displayWidth / w) / (frame.displayHeight / h) : 1;
  return { buf, w, h, pixelAspect };
}

function concat(frames) {
  const { w, h, pixelAspect } = frames[0];
  const odd = frames.find((f) => f.w !== w || f.h !== h);
  if (odd) throw new Error(`the picture size changes within the clip (${w}x${h}, then ${odd.w}x${odd.h})`);
  const out = new Uint8Array(frames.length * w * h * 4);
  frames.forEach((f, i) => out.set(f.buf, i * w * h * 4));
  return { rgba: out, width: w, height: h, pixelAspect };
}

/// Compressed video through WebCodecs. Chunks go in decode order, from the sync sample the
/// wanted frames depend on to the last of them (B-frames: presentation order differs), and
/// frames come back matched by their presentation timestamps.
async function decodeWebCodecs(clip, wanted, probe) {
  const label = clip.codecLabel() || probe.codec;
  const info = clip.trackInfo();
  const unsupported = () => new Error(`${label} video is not supported by this browser (WebCodecs cannot decode it); the tteview command line reads it`);
  if (!info) throw unsupported();
  if (!('VideoDecoder' in self)) throw new Error('this browser has no WebCodecs VideoDecoder for compressed video');
  const description = clip.trackDescription();
  const config = { codec: info.codec, codedWidth: info.width, codedHeight: info.height };
  if (description.length) config.description = description;
  const support = await VideoDecoder.isConfigSupported(config).catch(() => ({ supported: false }));
  if (!support.supported) throw unsupported();
  const stamp = (chunk) => Math.round(info.times[chunk] * 1e6);
  const need = new Map();
  wanted.forEach((display, k) => {
    const t = stamp(info.display[display]);
    if (!need.has(t)) need.set(t, []);
    need.get(t).push(k);
  });
  const [first, last] = clip.decodeSpan(Uint32Array.from(wanted));
  const got = new Array(wanted.length);
  const copies = [];
  let failure = null;
  const decoder = new VideoDecoder({
    output: (frame) => {
      const slots = need.get(frame.timestamp);
      need.delete(frame.timestamp);
      if (slots) {
        copies.push(frameToRgba(frame).then((f) => { slots.forEach((k) => { got[k] = f; }); }).finally(() => frame.close()));
      } else {
        frame.close();
      }
    },
    error: (e) => { failure = e; },
  });
  decoder.configure(config);
  for (let i = first; i <= last && !failure; i++) {
    decoder.decode(new EncodedVideoChunk({ type: info.keys[i] ? 'key' : 'delta', timestamp: stamp(i), data: clip.chunkData(i) }));
    if (decoder.decodeQueueSize > 8) await new Promise((r) => setTimeout(r, 0));
  }
  if (!failure) await decoder.flush().catch((e) => { failure = failure || e; });
  if (decoder.state !== 'closed') decoder.close();
  await Promise.all(copies);
  if (failure) throw new Error(`video decoding failed: ${failure.message || failure}`);
  if (got.some((f) => !f)) throw new Error('the video ended before the frames the model needs');
  return concat(got);
}

async function decodeImage(data, type, frameIndex) {
  const dec = new ImageDecoder({ data, type });
  try {
    if (dec.tracks) await dec.tracks.ready;
    const { image } = await dec.decode({ frameIndex });
    try { return await frameToRgba(image); } finally { image.close(); }
  } finally {
    dec.close();
  }
}

/// A PNG or JPEG screen capture: one picture, repeated for every frame the model looks at.
async function decodeStill(bytes, format, count) {
  const f = await decodeImage(bytes, format === 'png' ? 'image/png' : 'image/jpeg', 0);
  return concat(new Array(count).fill(f));
}

async function decodeMjpeg(clip, wanted) {
  const frames = [];
  for (const i of wanted) frames.push(await decodeImage(clip.jpegFrame(i), 'image/jpeg', 0));
  return concat(frames);
}

async function decodeGif(bytes, wanted) {
  const frames = [];
  for (const i of wanted) frames.push(await decodeImage(bytes, 'image/gif', i));
  return concat(frames);
}

async function decodeClip(id, bytes) {
  const t0 = performance.now();
  const clip = wasm.Clip.open(bytes);
  const probe = clip.probe();
  const times = clip.times();
  const wanted = Array.from(classifier.plan(Float64Array.from(times)));
  post({ type: 'progress', id, stage: `decoding ${probe.format} (${probe.frames} frames)`, probe });
  const images = 'ImageDecoder' in self;
  let decoded;
  if (probe.still && images) decoded = await decodeStill(bytes, probe.format, wanted.length);
  else if (images && clip.jpegFrame(0)) decoded = await decodeMjpeg(clip, wanted);
  else if (probe.format === 'gif' && images) decoded = await decodeGif(bytes, wanted);
  else if (clip.codecLabel()) decoded = await decodeWebCodecs(clip, wanted, probe);
  else {
    // DICOM, uncompressed AVI (and anything without a browser decoder) is decoded in Rust.
    const rgba = clip.framesRgba(Uint32Array.from(wanted));
    const per = rgba.length / wanted.length / 4;
    const height = probe.height, width = Math.round(per / height);
    decoded = { rgba, width, height, pixelAspect: 1 };
  }
  const regions = clip.regions();
  const warnings = clip.warnings();
  clip.free();
  const span = wanted.length > 1 ? (times[wanted[wanted.length - 1]] - times[wanted[0]]) / (wanted.length - 1) : 0.05;
  return { ...decoded, regions, warnings, probe, frame_interval_ms: Math.max(20, span * 1000), decode_ms: performance.now() - t0 };
}

/// `n` of the sampled frames (evenly spread, all of them when `n` is the count), as ImageBitmaps
/// at most `side` pixels wide or high: the card's strip, or the teaching-mode player.
async function thumbnails(rgba, w, h, n, side = 72) {
  if (typeof OffscreenCanvas === 'undefined') return [];
  const per = w * h * 4, count = rgba.length / per, out = [];
  for (let k = 0; k < Math.min(n, count); k++) {
    const i = Math.floor((k * (count - 1)) / Math.max(1, n - 1));
    const img = new ImageData(new Uint8ClampedArray(rgba.buffer, rgba.byteOffset + i * per, per), w, h);
    const scale = Math.min(1, side / Math.max(w, h));
    out.push(await createImageBitmap(img, { resizeWidth: Math.max(1, Math.round(w * scale)), resizeHeight: Math.max(1, Math.round(h * scale)) }));
  }
  return out;
}

async function classify(id, name, bytes, playback) {
  const d = await decodeClip(id, bytes);
  post({ type: 'progress', id, stage: `classifying on ${classifier.backend()}` });
  let result;
  try {
    result = await classifier.classify(d.rgba, d.width, d.height, d.regions, d.pixelAspect || 1);
  } catch (e) {
    if (classifier.backend() !== 'webgpu') throw e;
    // A lost or failing GPU device: fall back to the CPU and say so on the card.
    post({ type: 'notice', text: `WebGPU failed (${e.message || e}); switched to the CPU backend` });
    classifier.free();
    await load('cpu');
    result = await classifier.classify(d.rgba, d.width, d.height, d.regions, d.pixelAspect || 1);
  }
  const thumbs = await thumbnails(d.rgba, d.width, d.height, 4);
  // Teaching mode: every frame the model saw, to loop beside the answer.
  const frames = playback ? await thumbnails(d.rgba, d.width, d.height, d.rgba.length / (d.width * d.height * 4), 320) : [];
  const warnings = [...(d.warnings || []), ...(result.warnings || [])];
  const extra = { decode_ms: d.decode_ms, warnings, probe: d.probe, still: !!d.probe.still, frame_interval_ms: d.frame_interval_ms };
  post({ type: 'result', id, name, result: { ...result, ...extra }, thumbs, frames }, [...thumbs, ...frames]);
}

/// One blank inference after loading. A failure here is not the user's: the first clip will
/// meet it and say what is wrong.
async function warmUp() {
  try {
    post({ type: 'warm', ms: await classifier.warmUp() });
  } catch (e) {
    post({ type: 'warm', ms: null, error: String(e && e.message ? e.message : e) });
  }
}

// One job at a time: the wasm classifier is borrowed for the whole of each call.
let queue = Promise.resolve();
self.onmessage = (ev) => { queue = queue.then(() => handle(ev.data)); };

async function handle(m) {
  try {
    if (m.type === 'init') {
      threadsWanted = m.threads ?? 'auto';
      const wanted = await wantedBackend(m.backend);
      post({ type: 'progress', id: null, stage: 'downloading the model' });
      // The module and the model download side by side.
      [, modelBytes] = await Promise.all([
        loadModule(wanted),
        fetchWithProgress(m.modelUrl, (got, total) => post({ type: 'progress', id: null, stage: 'downloading the model', got, total })),
      ]);
      post({ type: 'progress', id: null, stage: 'starting the backend' });
      const backend = await load(wanted);
      post({ type: 'ready', backend, threads: backend === 'cpu' ? threads : null, labels: classifier.labels(), meta: classifier.meta(), catalogue: wasm.viewCatalogue(), modelBytes: modelBytes.length });
      // The first run's costs (kernel compilation on WebGPU) are paid now, while the user picks a
      // file; a clip dropped meanwhile waits in the queue behind it.
      queue = queue.then(warmUp);
    } else if (m.type === 'classify') {
      await classify(m.id, m.name, new Uint8Array(m.bytes), !!m.playback);
    }
  } catch (e) {
    post({ type: 'error', id: m.id ?? null, error: String(e && e.message ? e.message : e) });
  }
}
