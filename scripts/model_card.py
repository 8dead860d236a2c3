#!/usr/bin/env python3
"""Writes models/MODEL_CARD.md from the measured reports, so every figure in it has a file and a
command behind it: python3 scripts/model_card.py

Reads the shipped file's header (models/lite.ttev), its training logs (models/training/), the
phantom test reports (models/eval/{default,shifted}/report.json, from scripts/evaluate.sh), the
real-set report (models/eval/real-dev/report.json, from scripts/evaluate-real.sh) and the
real-set choices (models/eval/real-dev/choices.json: one entry per choice measured with and
without, each naming its report). The network's size comes from `tteview info --model` (the
release binary under $CARGO_TARGET_DIR, default ~/.cache/tteview-target)."""
import csv
import json
import os
import subprocess

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
M = os.path.join(ROOT, "models")


def load(*parts):
    p = os.path.join(M, *parts)
    return json.load(open(p)) if os.path.exists(p) else None


def last_row(name):
    p = os.path.join(M, "training", name)
    if not os.path.exists(p):
        return None
    rows = list(csv.DictReader(open(p)))
    return rows[-1] if rows else None


def header_of(path):
    b = open(path, "rb").read()
    n = int.from_bytes(b[12:20], "little")
    return json.loads(b[20:20 + n])


# The shipped recipe, in order: (config, training log, what the stage changed).
STAGES = [
    ("lite.v2-stage1.json", "v2-stage1-metrics.csv", "from random weights on phantom v2 (views cut from the 3-D chest, appearance randomised widely), RGB input, levelling on, echo augmentation"),
    ("lite.v2-stage2.json", "v2-stage2-metrics.csv", "continued at a lower learning rate"),
    ("lite.v2-stage3.json", "v2-stage3-metrics.csv", "one grey input channel (stage 2's stems summed over colour), colour blanked, on the more realistic phantom v2 of commit 018a1f8 (side panels, less text, dark blood, smoother speckle); the previously shipped file was the mean of its checkpoints at steps 2000, 2250, 2500 and 3000"),
    ("lite.v2-stage4.json", "v2-stage4-metrics.csv", "from that mean, with saner augmentation (a relative dim that never blacks out a whole clip; milder haze, wide range, zoom, low resolution and blocking) on the phantom of about commit 26a462a (atria as domes, the pericardium round the LV)"),
    ("lite.v2-stage5.json", "v2-stage5-metrics.csv", "a quarter of the clips shown as stills (one frame for the whole clip, as two thirds of the real set are), on the phantom of commit 6562b70 (the liver up to the diaphragm, apical depth taking in the atria, PLAX centred on the valves, darker blood); the file shipped before stage 6 was the mean of its checkpoints at steps 250, 500, 750 and 1000"),
    ("lite.v3-stage6.json", "v3-stage6-metrics.csv", "from that mean (8-bit), on the phantom of commit 5526662 (today's lays out its spectral Doppler and M-mode screens in more ways; stage 6's config on it, `experiments/lite.v5-doppler.json`, gets 43 of 80 real files against 44), which gives scatterers log-normal strengths (grainy speckle, not an even sand), mottles the surroundings over millimetres and varies myocardium 0.12-1.5x and reflectors 0.4-2x as bright; half the clips bent by a smooth elastic warp (`elastic_p` 0.5: irregular outlines, not the phantom's geometric ones); every training clip cropped to its fan's true box (`metadata_crop_p` 1.0: the fan search, right on the real set's files, kept only part of the phantom's fan on a quarter of its stills, `CROPS_ANATOMY=cut CROPS_STILLS=1 CROPS_MAX_SIDE=256 cargo run --release -p tte-phantom --example crops`); the shipped file is the mean of its checkpoints at steps 250, 500 and 750"),
]

DICOM_TRUTH = {
    "examples_ybr_color.dcm": ("apical four-chamber (SonoSite screen)", "A4C"),
    "US-PAL-8-10x-echo.dcm": ("parasternal long axis with colour Doppler", "PLAX"),
    "IM00001.fragmented_no_bot_jpeg_baseline.50.dcm": ("echo with colour Doppler (ACUSON), view not named", None),
    "IM00001.implicit_little_endian.dcm": ("the same clip, uncompressed", None),
    "JPGLosslessP14SV1_1s_1f_8b.dcm": ("adult echo still of the ascending aorta (Philips), view not named", None),
    "US1_J2KI.dcm": ("non-cardiac ultrasound, one image", "OTHER"),
    "US1_J2KR.dcm": ("the same image, JPEG 2000 lossless", "OTHER"),
    "US1_UNCR.dcm": ("the same image, uncompressed", "OTHER"),
    "OBXXXX1A_2frame.dcm": ("obstetric ultrasound, two frames", "OTHER"),
    "OBXXXX1A_rle_2frame.dcm": ("the same frames, RLE", "OTHER"),
    "gdcm-US-ALOKA-16.dcm": ("non-cardiac ultrasound, one image", "OTHER"),
    "color-pl.dcm": ("transoesophageal colour Doppler crop (not a transthoracic view)", "OTHER"),
}

lines = []
w = lines.append
h = header_of(os.path.join(M, "lite.ttev"))
TTEVIEW = os.path.join(os.environ.get("CARGO_TARGET_DIR", os.path.expanduser("~/.cache/tteview-target")), "release", "tteview")
cost = json.loads(subprocess.run([TTEVIEW, "info", "--model", os.path.join(M, "lite.ttev"), "--json"], check=True, capture_output=True, text=True).stdout)
cfg = h["config"]
size_mb = os.path.getsize(os.path.join(M, "lite.ttev")) / 1e6
prep = []
if cfg["input_channels"] == 1:
    prep.append("colour turned to one grey channel (luminance)")
if h.get("auto_levels"):
    prep.append("grey levels scaled so each clip's 99th-percentile pixel sits at grey 200 (`auto_levels`)")
if h.get("blank_colour"):
    prep.append("saturated colour (colour Doppler, coloured overlays) blanked to black (`blank_colour`)")
if h.get("bn_adapt"):
    prep.append(f"batch norm moved {h['bn_adapt']:g} of the way from its training statistics to each clip's own (`bn_adapt`)")
stored = {"q8": "8-bit integers with a scale per output channel (batch norm and biases f32)", "f16": "f16", "f32": "f32"}[h.get("stored_as", "f32")]

w("# Model card: TTEView `lite` (models/lite.ttev)\n")
w("**Trained on synthetic phantom echoes only. Not a medical device: do not use it for diagnosis or any clinical decision.**\n")
w("## Model\n")
w(f"A SlowFast video network (`lite` preset: {cost['params']:,} parameters, {cost['macs'] / 1e9:.3f} GMAC per clip, `tteview info --model models/lite.ttev`) written with Burn. Input {cfg['input_channels']}×{cfg['frames']}×{cfg['crop_size']}×{cfg['crop_size']}: {cfg['frames']} frames over one second of the clip, cropped to the fan. Output: probabilities over {len(h['labels'])} classes, the 12 standard transthoracic views and OTHER. The file ({size_mb:.2f} MB) holds config, labels and preparation in its header and weights stored as {stored}. Every face (CLI, web page, bench) prepares clips as the header says: " + "; ".join(prep) + ".\n")
w("## Intended use and users\n")
w("- Echo teachers and students: show which view a clip is and how sure the network is, in a browser tab, nothing installed, nothing uploaded.")
w("- Tele-echo portal and research engineers: sort archives by view (`tteview classify`), embed the page's classifier (ES module or web component).")
w("- Not for: diagnosis, measurement, triage, or any use where a wrong view harms a patient. On real echo it gets about half of clips and stills right (below).\n")
w("## Training data\n")
w("Only synthetic clips from `tte-phantom` phantom v2: a beating 3-D heart in a chest cut by a probe's plane jittered as hands hold it, scatterer-based image formation, wide appearance randomisation and scanner screens with text, ECG and colour overlays, rendered fresh every step, class-balanced (every class equally often). No real echo was used in training or fine-tuning; the real set measured checkpoints and their mean (below) and nothing else.\n")
w("| stage | config | what changed | steps | minutes | last validation accuracy (phantom) |")
w("|---|---|---|---|---|---|")
total_s = 0.0
for i, (conf, log, what) in enumerate(STAGES, 1):
    r = last_row(log)
    if r:
        total_s += float(r["seconds"])
    steps = r["step"] if r else "?"
    mins = f"{float(r['seconds']) / 60:.0f}" if r else "?"
    acc = f"{float(r['val_accuracy']):.3f}" if r and r.get("val_accuracy") else "?"
    w(f"| {i} | `models/{conf}` | {what} | {steps} | {mins} | {acc} |")
w(f"\nAll stages on 2 CPU cores (Burn's Flex backend), {total_s / 3600:.1f} hours in all; stage 1 from random weights, each later one from the one before (`init_from`), each stopped where the shipped run stopped (`steps`, `stop_after`). Reproduce: `scripts/train-shipped.sh` (logs in `models/training/`). Stage 1 ran on the phantom v2 of about commit aa3ec11 (before its lung screens, hand drift and specular reflection), stage 2 on that of commit 3abbf81, stage 3 on that of commit 018a1f8, stages 4 to 6 as above; today's phantom draws differently, so a rerun is close to, not bit-identical with, the shipped weights.\n")
w("## Evaluation data\n")
w("- **Real echo (the judge)**: the 80 labelled files `../shared/real-dev/README.md` builds from four public repositories: 25 moving clips (LITFL teaching clips, GIF clips, POCUS screens) and 55 stills (screen captures of every view, sector crops). Never trained on, never committed. A label `PSAX` without a level accepts any `PSAX-*` answer.")
w("- **Phantom, unseen seeds**: 104 clips (8 per class) from seeds never used in training, each exported as MP4 (H.264), AVI (MJPEG) and DICOM and read back through the real decoders (312 files); and a style-shifted set drawn outside the training ranges (gain, dynamic range, depth, sector, overlays). `scripts/evaluate.sh`.")
w("- **Real DICOMs**: the 12 files of `../shared/fixtures/dicom` (two echo clips, the rest other ultrasound).\n")
w("## Results\n")
rr = load("eval", "real-dev", "report.json")
if rr:
    w("### On real echo\n")
    w("Command: `scripts/evaluate-real.sh ~/.cache/tteview-real-dev models/lite.ttev --json models/eval/real-dev/report.json`. Intervals are Wilson 95 %; chance is about 0.08.\n")
    w("| kind | files | accuracy (95 %) | macro-F1 | ECE | standard views called OTHER | OTHER screens called a view |")
    w("|---|---|---|---|---|---|---|")
    for kind, k in sorted(rr["by_kind"].items()):
        lo, hi = k["accuracy_95"]
        w(f"| {kind}s | {k['n']} | {k['accuracy']:.3f} ({lo:.2f}-{hi:.2f}) | {k['macro_f1']:.3f} | {k['ece']:.3f} | {k['standard_called_other']} of {k['standard']} | {k['other_called_view']} of {k['other']} |")
    for kind, k in sorted(rr["by_kind"].items()):
        per = ", ".join(f"{v} {a}/{n}" for v, (a, n) in sorted(k["per_view"].items()))
        src = ", ".join(f"{v} {a}/{n}" for v, (a, n) in sorted(k["per_source"].items()))
        w(f"\n{kind.capitalize()}s per view: {per}. Per source: {src}.")
    def views_where(ok):
        return ", ".join(f"{v} {kind}s ({a}/{n})" for kind, k in sorted(rr["by_kind"].items()) for v, (a, n) in sorted(k["per_view"].items()) if n >= 3 and (a / n >= 0.6) == ok) or "none"
    steps = sum(int(last_row(log)["step"]) for _, log, _ in STAGES if last_row(log))
    w(f"\nTargets (clips ≥ 0.85, stills ≥ 0.75, no view under 0.6 with three or more files) are **not met**. Views with three or more files at 0.6 or more: {views_where(True)}; under it: {views_where(False)}. The phantom is still too unlike a real screen (README, \"The echo phantom\"), and the network has seen it for {steps} steps.\n")
cal = load("eval", "calibration.json")
if cal:
    w("### How answers are read: calibration and \"uncertain\"\n")
    w(f"`tteview calibrate --model models/lite.ttev --out models/lite.ttev --json models/eval/calibration.json` fits, on {cal['clips']} held-out phantom clips (half in the training style, half style-shifted; no real clip), how the network's probabilities are read, and records it in the header (weights unchanged): temperature {h.get('temperature', 1):.2f}, OTHER bias {h.get('other_bias', 0):+.1f}, and \"uncertain\" below a top probability of {h.get('unsure_below', 0.6):.2f}, the lowest threshold at which the answers above it were right at least 9 times in 10 on those clips ({100 * cal['confident_share']:.0f} % of the clips reached it, and were right {cal['confident_accuracy']:.2f} of the time). The OTHER bias finds the most OTHER clips while at most 5 % of standard views are called OTHER: phantom OTHER found {cal['other_recall'][1]:.2f}, standard views called OTHER {cal['standard_called_other'][1]:.3f}.\n")
    if rr:
        parts = [f"{kind}s {k['confident_right']} right of {k['confident']} not flagged (of {k['n']})" for kind, k in sorted(rr["by_kind"].items()) if "confident" in k]
        if parts:
            w("On the real set the flag is what a user should heed: " + "; ".join(parts) + ". Everything else is shown as uncertain.\n")
choices = load("eval", "real-dev", "choices.json")
if choices:
    w("### Choices measured on the real set\n")
    w("Each row is one model file scored by the command above on the same 80 files; the shipped row is the reference. Reports in `models/eval/real-dev/`.\n")
    w("The log score is the mean natural log of the probability given to the right view over all 80 files (0 at best; reports written before it was measured show a dash): it separates two models sooner than 80 files' accuracy, where one file is 0.0125. `--against` compares two reports file by file.\n")
    w("How far apart two runs of one recipe land, seed alone differing (v2-stage8 and its seed control below: 41 and 41 files right, 6 gained and 6 lost, log score 0.027 apart; stage 6's control and its twin: 44 and 42, 3 gained and 5 lost, 0.017 apart). Rows that differ from their control by no more than that are within training noise, whatever their intervals over files say. A run continued from the shipped file scores lower even on its own recipe (stage 6 trained on below: 7 files and 0.13 of log score lost; the shipped file was the best of several such runs, and more phantom training drifts): judge a change against its own control.\n")
    w("| choice | clips accuracy | clips ECE | stills accuracy | stills ECE | log score | shipped? |")
    w("|---|---|---|---|---|---|---|")
    for c in choices:
        r = load("eval", "real-dev", c["report"])
        if not r:
            continue
        k, s = r["by_kind"]["clip"], r["by_kind"]["still"]
        score = f"{r['log_score']:.3f}" if "log_score" in r else "—"
        w(f"| {c['what']} | {k['accuracy']:.3f} | {k['ece']:.3f} | {s['accuracy']:.3f} | {s['ece']:.3f} | {score} | {c['shipped']} |")
    w("")
d, s, full = load("eval", "default", "report.json"), load("eval", "shifted", "report.json"), load("eval", "full", "report.json")
if d and s:
    w("### On the phantom\n")
    w("| test set | files | accuracy | macro-F1 | ECE | report |")
    w("|---|---|---|---|---|---|")
    w(f"| unseen seeds, phantom {'v2' if h.get('anatomy') == 'cut' else 'v1'}, training style | {d['n']} | {d['accuracy']:.4f} | {d['macro_f1']:.4f} | {d['ece']:.4f} | [report](eval/default/report.md) |")
    if full:
        w(f"| unseen seeds over the phantom's whole range of screen sizes (to full size) and lengths (1-5 s), MP4 | {full['n']} | {full['accuracy']:.4f} | {full['macro_f1']:.4f} | {full['ece']:.4f} | [report](eval/full/report.md) |")
    w(f"| style-shifted (robustness only) | {s['n']} | {s['accuracy']:.4f} | {s['macro_f1']:.4f} | {s['ece']:.4f} | [report](eval/shifted/report.md) |")
    w("\nThe test sets are drawn with today's phantom, the one the shipped file's last stage trained on. The file shipped before it (stage 5's mean), trained on an earlier phantom, scored 0.651 on the unseen seeds and 0.337 on the shifted set drawn with the phantom before this one's grain and mottle: each change to the phantom costs a model trained on the old one about 0.05 to 0.1 there, which says nothing about real echo.")
    w("\nThe CI test `crates/tte-train/tests/shipped_model.rs` renders fresh unseen phantom clips of the anatomy the header names and checks the first row's accuracy. The target on unseen phantom seeds (0.98) is not met: phantom v2's cut views are far harder than v1's drawn ones (the v1 model scored 1.000 on v1), and longer training on them drifts the network away from real screens (the real-set rows above), so it is stopped early.\n")
abl = [(n, load("eval", f"ablation-{n}", "report.json")) for n in ("longtail-balanced", "longtail-shuffle", "aug-on", "aug-off", "aug-on-default", "aug-off-default")]
abl = dict(abl)
if all(abl.values()):
    w("### Training choices (phantom v1, 1400-step arms from random weights, before v2)\n")
    w("| choice | test set | macro-F1 with | macro-F1 without |")
    w("|---|---|---|---|")
    w(f"| class-balanced sampling vs shuffling, six views 20× rarer (`models/ablations/longtail-*.json`) | unseen seeds | {abl['longtail-balanced']['macro_f1']:.3f} | {abl['longtail-shuffle']['macro_f1']:.3f} |")
    w(f"| echo augmentation vs none (`models/ablations/aug-*.json`) | style-shifted | {abl['aug-on']['macro_f1']:.3f} | {abl['aug-off']['macro_f1']:.3f} |")
    w(f"| the same | unseen seeds, training style | {abl['aug-on-default']['macro_f1']:.3f} | {abl['aug-off-default']['macro_f1']:.3f} |\n")
rd = os.path.join(M, "eval", "real-dicoms.jsonl")
if os.path.exists(rd):
    rows = [json.loads(line) for line in open(rd)]
    named = [(r, DICOM_TRUTH.get(os.path.basename(r["file"]), ("", None))[1]) for r in rows]
    named = [(r, want) for r, want in named if want]
    right = sum(1 for r, want in named if r.get("view") == want)
    unsure_wrong = sum(1 for r, want in named if r.get("view") != want and r.get("unsure"))
    w("### On the real DICOMs of `../shared/fixtures/dicom`\n")
    w(f"Of the {len(named)} files whose right answer is known, {right} are answered right; {unsure_wrong} of the {len(named) - right} wrong answers are marked unsure. Per file (last step of `scripts/evaluate.sh`):\n")
    w("| file | what it shows | answer | confidence |")
    w("|---|---|---|---|")
    for r in rows:
        name = os.path.basename(r["file"])
        conf = "" if r.get("confidence") is None else f"{r['confidence']:.3f}" + (" (unsure)" if r.get("unsure") else "")
        w(f"| {name} | {DICOM_TRUTH.get(name, ('?', None))[0]} | {r.get('view') or 'error'} | {conf} |")
    w("")
w("## Limitations\n")
w("- It learned from a phantom, not hearts: on real echo it is far from the TTESlowFast paper's 0.961 in the field.")
w("- Real point-of-care screens that are not heart views (lung, abdomen, a knee, spectral Doppler) are called a view more often than not (5 of 9 clips); Doppler and M-mode stills are mostly recognised as OTHER (10 of 13).")
w("- A2C stills are mostly called A3C or A5C and A5C stills anything but A5C; the PSAX levels are confused with each other and with PLAX (PSAX-AV stills 0 of 2, both called PLAX); the subcostal and suprasternal views are right once in six (the SC4C still).")
w("- Checkpoints 250 steps apart differ on the real set by up to ±0.15; the shipped file averages three of them, and its figures carry that uncertainty on top of the set's own. It was chosen among several candidates on the same 80 files, so its real-set figures are somewhat optimistic.")
w("- Stills are scored as their one frame repeated; training shows a quarter of its clips that way.")
w("- The real set is 80 files from four sources; a figure on it moves by about ±0.2 (clips) and ±0.1 (stills).\n")
w("## Ethical considerations\n")
w("- Clips never leave the machine: the page decodes and classifies in the tab, the CLI locally.")
w("- No patient data was used to train it; the real files used to measure it are public teaching and research material under their licences (`../shared/real-dev/README.md`), not redistributed.")
w("- A wrong view with high confidence can mislead a learner: the page marks low-confidence answers unsure and shows every class's probability.")
open(os.path.join(M, "MODEL_CARD.md"), "w").write("\n".join(lines) + "\n")
print("wrote models/MODEL_CARD.md")
