import './tteview.js';
const out = document.getElementById('out');
const tte = document.getElementById('tte');
tte.addEventListener('result', (e) => { out.textContent += `${e.detail.file}: ${e.detail.view} (${(e.detail.confidence * 100).toFixed(1)} %)\n`; });
tte.addEventListener('error', (e) => { out.textContent += `${e.detail.file}: error: ${e.detail.error}\n`; });
