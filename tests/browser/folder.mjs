// Drops every file of a folder on the page (CPU backend) and checks that each gets an answer
// equal to the command line's, or, for a codec the browser lacks, the named "not supported"
// error card, never "damaged file" or a crash.
//
// usage: node tests/browser/folder.mjs DIR NATIVE_JSONL [UNSUPPORTED_REGEX]
//   NATIVE_JSONL: `tteview classify DIR --format json` for the same files.
//   UNSUPPORTED_REGEX: file names allowed an error card, which must then say "not supported by
//   this browser" (HEVC where WebCodecs has no decoder, MPEG-4 Part 2 AVI).
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { startServer, launch, maxProbabilityDiff, runPage, finish } from './lib.mjs';

const [dir, nativeFile, unsupportedPattern] = process.argv.slice(2);
const unsupported = unsupportedPattern ? new RegExp(unsupportedPattern) : null;
const native = Object.fromEntries(readFileSync(nativeFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l)).map((r) => [path.basename(r.file), r]));
const files = readdirSync(dir).filter((f) => native[f]).sort().map((f) => path.join(dir, f));

const failures = [];
const check = (ok, msg) => { if (!ok) failures.push(msg); console.log(`${ok ? 'ok  ' : 'FAIL'} ${msg}`); };

const { url, proc } = await startServer();
const browser = await launch();
let answered = 0, agree = 0;
try {
  const run = await runPage(browser, `${url}?backend=cpu`, files, 'folder', { check });
  for (const c of run.cards) {
    const n = native[c.file];
    if (c.status === 'error') {
      const allowed = unsupported && unsupported.test(c.file) && /not supported by this browser/.test(c.error || '');
      check(allowed, `${c.file}: error card "${c.error}"${allowed ? ' (a codec this browser lacks, named)' : ''}`);
      continue;
    }
    answered++;
    check(!n.error, `${c.file}: the command line answers it too (${n.error || n.view})`);
    if (n.error) continue;
    const diff = maxProbabilityDiff(c, n);
    // Two decoders (the browser's and ours) may round a picture differently; when the command
    // line's two top classes are closer than that difference, either answer is the same answer.
    const margin = Math.abs((n.probabilities[c.view] ?? 0) - (n.probabilities[n.view] ?? 0));
    const tie = c.view !== n.view && margin <= 2 * diff;
    const same = (c.view === n.view || tie) && diff < 0.02;
    if (same) agree++;
    check(same, `${c.file}: page ${c.view} vs command line ${n.view}, max probability difference ${diff.toFixed(5)}${tie ? ` (a tie: the two are ${margin.toFixed(5)} apart natively)` : ''}${c.still === 'true' ? ', still' : ''}`);
    check(c.still === String(!!n.still), `${c.file}: still ${c.still} in the page, ${!!n.still} natively`);
  }
  console.log(`folder: ${answered} of ${files.length} files answered in the page, ${agree} agreeing with the command line`);
} finally {
  await browser.close();
  proc.kill();
}
finish(failures, 'folder');
