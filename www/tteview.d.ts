// TypeScript declarations for tteview.js.

export type Backend = 'webgpu' | 'cpu';

export interface Progress {
  type: 'progress' | 'notice';
  id?: number | null;
  stage?: string;
  text?: string;
  got?: number;
  total?: number;
}

export interface ClassifierOptions {
  /** URL of a `.ttev` model (default: models/lite.ttev next to the module). */
  modelUrl?: string;
  /** 'auto' (WebGPU on a hardware GPU, else the CPU backend, which beats a software GPU), 'webgpu' (any WebGPU adapter, even a software one) or 'cpu'. */
  backend?: 'auto' | Backend;
  /** Threads for the CPU backend: 'auto' (every core where there are four or more and the page is
   *  cross-origin isolated, i.e. served with COOP `same-origin` and COEP `require-corp`; one thread
   *  elsewhere) or a number (more than one needs the isolation too). */
  threads?: 'auto' | number;
  onProgress?: (p: Progress) => void;
}

export interface ViewResult {
  file: string;
  /** Top class code, e.g. "A4C"; "OTHER" means not a standard view. */
  view: string;
  /** Full name of the top class. */
  name: string;
  confidence: number;
  /** The confidence is under 0.6: treat the view as uncertain (the page says so on the card). */
  unsure: boolean;
  /** [class code, probability] for every class, in the model's order. */
  probabilities: [string, number][];
  backend: Backend;
  decode_ms: number;
  preprocess_ms: number;
  inference_ms: number;
  /** Sector bounding box used: [x0, y0, x1, y1]. */
  sector: [number, number, number, number];
  /** Share (0-1) of that picture showing an echo; under 0.05 the answer comes with a warning. */
  echo_share: number;
  /** Notes on the file and the picture, e.g. a nearly black clip whose view may well be wrong. */
  warnings: string[];
  /** The file was a still picture (PNG or JPEG screen capture): the network saw no motion. */
  still: boolean;
  thumbnails: ImageBitmap[];
  /** With `playback: true`: every frame the model saw (at most 320 px), in order. */
  frames?: ImageBitmap[];
  /** Time between those frames in the clip, ms (for a player that keeps the clip's pace). */
  frame_interval_ms: number;
  probe: { format: string; codec: string; frames: number; width: number; height: number; duration_s: number; still: boolean };
}

export interface Classifier {
  backend: Backend;
  /** Threads the CPU backend runs on (1 without cross-origin isolation); null on WebGPU. */
  threads: number | null;
  labels: string[];
  modelBytes: number;
  /** The blank first run after loading (kernel compilation on WebGPU): its time in ms, or null if it failed. */
  warmUp: Promise<number | null>;
  classify(input: File | Blob | ArrayBuffer, opts?: { name?: string; playback?: boolean; onProgress?: (p: Progress) => void }): Promise<ViewResult>;
  close(): void;
}

export function createClassifier(options?: ClassifierOptions): Promise<Classifier>;

export class TteviewClassifier extends HTMLElement {}
