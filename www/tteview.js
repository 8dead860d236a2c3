// TTEView as an ES module: `createClassifier()` then `classify(file)`. Everything runs in a worker
// in this tab; nothing is uploaded. No framework needed.
//
//   import { createClassifier } from './tteview.js';
//   const c = await createClassifier({ onProgress: (p) => console.log(p.stage) });
//   const r = await c.classify(file);   // { view, name, confidence, probabilities, backend, ... }

const here = new URL('.', import.meta.url);

export async function createClassifier(options = {}) {
  const modelUrl = options.modelUrl || new URL('models/lite.ttev', here).href;
  const backend = options.backend || 'auto';
  const threads = options.threads || 'auto';
  const onProgress = options.onProgress || (() => {});
  const worker = new Worker(new URL('worker.js', here), { type: 'module' });
  const pending = new Map();
  let nextId = 1;
  let warmed;
  const warmUp = new Promise((resolve) => { warmed = resolve; });
  const ready = new Promise((resolve, reject) => {
    worker.onmessage = (ev) => {
      const m = ev.data;
      if (m.type === 'ready') resolve(m);
      else if (m.type === 'warm') warmed(m.ms);
      else if (m.type === 'progress' || m.type === 'notice') {
        onProgress(m);
        const p = m.id && pending.get(m.id);
        if (p && p.onProgress) p.onProgress(m);
      } else if (m.type === 'result') {
        const p = pending.get(m.id);
        pending.delete(m.id);
        if (p) p.resolve({ ...m.result, file: m.name, thumbnails: m.thumbs, frames: m.frames });
      } else if (m.type === 'error') {
        if (m.id == null) reject(new Error(m.error));
        const p = pending.get(m.id);
        pending.delete(m.id);
        if (p) p.reject(new Error(m.error));
      }
    };
    worker.onerror = (e) => reject(new Error(e.message || 'the classifier worker failed to start'));
  });
  worker.postMessage({ type: 'init', modelUrl, backend, threads });
  const info = await ready;

  return {
    backend: info.backend,
    threads: info.threads,
    labels: info.labels,
    meta: info.meta,
    catalogue: info.catalogue,
    modelBytes: info.modelBytes,
    /** Resolves with the blank first run's time (ms) once the network has run once, or null if
     *  that run failed. Clips classify without waiting for it. */
    warmUp,
    /** Classifies a File, Blob or ArrayBuffer holding a DICOM, MP4, WebM, AVI or GIF clip.
     *  `opts.playback`: also return `frames`, the frames the model saw, for a player. */
    async classify(input, opts = {}) {
      const name = input && input.name ? input.name : opts.name || 'clip';
      const bytes = input instanceof ArrayBuffer ? input : await input.arrayBuffer();
      const id = nextId++;
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve, reject, onProgress: opts.onProgress });
        worker.postMessage({ type: 'classify', id, name, bytes, playback: !!opts.playback }, [bytes]);
      });
    },
    close() { worker.terminate(); },
  };
}

/** `<tteview-classifier>`: a drop zone that emits `result` and `error` events (detail: the result). */
export class TteviewClassifier extends HTMLElement {
  connectedCallback() {
    if (this._input) return;
    const input = document.createElement('input');
    input.type = 'file';
    input.multiple = true;
    input.setAttribute('aria-label', 'echo clips');
    this.appendChild(input);
    this._input = input;
    this._classifier = createClassifier({ modelUrl: this.getAttribute('model') || undefined, backend: this.getAttribute('backend') || undefined });
    const run = async (files) => {
      const c = await this._classifier;
      for (const f of files) {
        try {
          this.dispatchEvent(new CustomEvent('result', { detail: await c.classify(f) }));
        } catch (e) {
          this.dispatchEvent(new CustomEvent('error', { detail: { file: f.name, error: e.message } }));
        }
      }
    };
    input.addEventListener('change', () => run([...input.files]));
    this.addEventListener('dragover', (e) => e.preventDefault());
    this.addEventListener('drop', (e) => { e.preventDefault(); run([...e.dataTransfer.files]); });
  }
}

if (typeof customElements !== 'undefined' && !customElements.get('tteview-classifier')) {
  customElements.define('tteview-classifier', TteviewClassifier);
}
