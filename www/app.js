// The page: drop zone, one card per clip, teaching mode and the view legend.
import { createClassifier } from './tteview.js';

const $ = (s) => document.querySelector(s);
const params = new URLSearchParams(location.search);
const status = $('#status');
const results = $('#results');

let names = {};
// The worker's last notice (why it left WebGPU, say): kept in the "ready" line, not lost under it.
let notice = '';
const classifierReady = createClassifier({
  backend: params.get('backend') || 'auto',
  threads: params.get('threads') || 'auto',
  onProgress: (p) => {
    if (p.type === 'notice') {
      notice = p.text;
      status.textContent = notice;
      document.body.dataset.notice = notice;
    }
    else if (p.id == null && p.stage) status.textContent = p.total ? `${p.stage}: ${(p.got / 1e6).toFixed(1)} of ${(p.total / 1e6).toFixed(1)} MB` : `${p.stage}…`;
  },
}).then((c) => {
  names = Object.fromEntries(c.catalogue.map((v) => [v.code, v.name]));
  status.textContent = `Ready: model ${c.meta.preset} (${(c.modelBytes / 1e6).toFixed(1)} MB download) on ${c.backend === 'webgpu' ? 'WebGPU' : `the CPU (WebAssembly, ${c.threads > 1 ? `${c.threads} threads` : 'one thread'})`}.${notice ? ` ${notice}.` : ''} Clips stay in this tab.`;
  document.body.dataset.backend = c.backend;
  document.body.dataset.threads = String(c.threads || 1);
  document.body.dataset.ready = 'true';
  // The blank first run the worker makes after loading (kernel compilation on WebGPU).
  c.warmUp.then((ms) => { document.body.dataset.warmMs = ms == null ? 'failed' : String(Math.round(ms)); });
  buildLegend(c.catalogue);
  return c;
}).catch((e) => {
  status.textContent = `The classifier could not start: ${e.message}`;
  throw e;
});

function el(tag, attrs = {}, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') e.className = v; else if (k === 'text') e.textContent = v; else e.setAttribute(k, v);
  }
  kids.forEach((k) => e.append(k));
  return e;
}

function newCard(file) {
  const card = el('article', { class: 'card', 'data-testid': 'result', 'data-file': file.name, 'data-status': 'pending' });
  card.append(el('h2', { text: file.name }), el('div', { class: 'stage', text: 'waiting…' }));
  results.append(card);
  return card;
}

function showResult(card, file, r) {
  card.innerHTML = '';
  const unsure = r.view === 'OTHER' || r.unsure;
  card.append(el('h2', { text: file.name }));
  const top = el('div', { class: 'top', text: `${r.view} — ${r.name}` });
  card.append(top);
  if (unsure) card.append(el('div', { class: 'unsure', text: r.view === 'OTHER' ? 'Not a standard view' : `Low confidence (${(r.confidence * 100).toFixed(0)} %): treat as uncertain` }));
  if (r.still) card.append(el('div', { class: 'still', text: 'A still image: the video network sees no motion in it, so the answer rests on one picture' }));
  const strip = el('div', { class: 'strip' });
  for (const bmp of r.thumbnails || []) {
    const c = el('canvas', { width: bmp.width, height: bmp.height });
    c.getContext('2d').drawImage(bmp, 0, 0);
    strip.append(c);
  }
  card.append(strip);
  const bars = el('div', { class: 'bars' });
  for (const [code, p] of [...r.probabilities].sort((a, b) => b[1] - a[1])) {
    const fill = el('i');
    fill.style.width = `${(p * 100).toFixed(1)}%`;
    bars.append(el('span', { title: names[code] || code, text: code }), el('span', { class: 'b' }, fill), el('span', { text: `${(p * 100).toFixed(1)}%` }));
  }
  card.append(bars);
  card.append(el('div', { class: 'meta', text: `decode ${r.decode_ms.toFixed(0)} ms · preprocess ${r.preprocess_ms.toFixed(0)} ms · inference ${r.inference_ms.toFixed(0)} ms · ${r.backend === 'webgpu' ? 'WebGPU' : 'CPU'} · ${r.probe.format} ${r.probe.width}×${r.probe.height}, ${r.probe.frames} frames` }));
  for (const w of r.warnings || []) card.append(el('div', { class: 'meta', text: `warning: ${w}` }));
  if ($('#teach').checked) card.append(player(file, r));
  card.dataset.view = r.view;
  card.dataset.confidence = r.confidence.toFixed(4);
  card.dataset.unsure = String(r.unsure);
  card.dataset.still = String(!!r.still);
  card.dataset.backend = r.backend;
  card.dataset.decodeMs = r.decode_ms.toFixed(1);
  card.dataset.inferenceMs = r.inference_ms.toFixed(1);
  card.dataset.preprocessMs = r.preprocess_ms.toFixed(1);
  card.dataset.probabilities = JSON.stringify(Object.fromEntries(r.probabilities));
  card.dataset.echoShare = r.echo_share.toFixed(4);
  card.dataset.warnings = (r.warnings || []).join(' | ');
  card.dataset.status = 'done';
}

/// Teaching mode: the clip itself where the browser plays it (MP4, WebM), and for every format
/// the frames the model saw, looped at the clip's pace, with the answer over them.
function player(file, r) {
  const box = el('div', { class: 'teach' });
  if (['mp4', 'webm'].includes(r.probe.format)) {
    const v = el('video', { class: 'player', controls: '', loop: '', muted: '', autoplay: '' });
    v.src = URL.createObjectURL(file);
    box.append(v);
  }
  const frames = r.frames || [];
  if (frames.length) {
    const c = el('canvas', { class: 'player model-view', width: frames[0].width, height: frames[0].height + 22 });
    const g = c.getContext('2d');
    let k = 0;
    const draw = () => {
      if (!c.isConnected && k > 0) return clearInterval(timer);
      g.fillStyle = '#000';
      g.fillRect(0, 0, c.width, c.height);
      g.drawImage(frames[k % frames.length], 0, 0);
      g.fillStyle = '#fff';
      g.font = '13px system-ui, sans-serif';
      g.fillText(`${r.view} ${(r.confidence * 100).toFixed(0)} % · frame ${(k % frames.length) + 1}/${frames.length} the model saw`, 4, c.height - 6);
      k++;
    };
    const timer = setInterval(draw, r.frame_interval_ms || 60);
    draw();
    box.append(c);
  }
  return box;
}

function showError(card, file, e) {
  card.innerHTML = '';
  card.append(el('h2', { text: file.name }), el('div', { class: 'err', text: e.message || String(e) }));
  card.dataset.status = 'error';
  card.dataset.error = e.message || String(e);
}

async function handle(files) {
  const cards = files.map((f) => [f, newCard(f)]);
  let c;
  try {
    c = await classifierReady;
  } catch (e) {
    cards.forEach(([f, card]) => showError(card, f, e));
    return;
  }
  for (const [file, card] of cards) {
    try {
      const r = await c.classify(file, { playback: $('#teach').checked, onProgress: (p) => { if (p.stage) card.querySelector('.stage') && (card.querySelector('.stage').textContent = p.stage); } });
      showResult(card, file, r);
    } catch (e) {
      showError(card, file, e);
    }
  }
}

$('#files').addEventListener('change', (e) => { handle([...e.target.files]); e.target.value = ''; });
const drop = $('#drop');
drop.addEventListener('dragover', (e) => { e.preventDefault(); drop.classList.add('over'); });
drop.addEventListener('dragleave', () => drop.classList.remove('over'));
drop.addEventListener('drop', (e) => { e.preventDefault(); drop.classList.remove('over'); handle([...e.dataTransfer.files]); });

function buildLegend(catalogue) {
  const legend = $('#legend');
  for (const v of catalogue) {
    legend.append(el('figure', {}, el('img', { src: `legend/${v.code}.png`, alt: `phantom example of ${v.name}` }), el('figcaption', { text: `${v.code}: ${v.name}. ${v.landmarks}` })));
  }
  $('#legend-toggle').addEventListener('click', () => { legend.hidden = !legend.hidden; });
}
