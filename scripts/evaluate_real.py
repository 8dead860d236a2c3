#!/usr/bin/env python3
"""Scores a model on a folder of labelled real echo files (never trained on: validation only).

usage: evaluate_real.py TTEVIEW DIR [MODEL] [--json OUT] [--against REPORT] [--mirror]

DIR holds the files and labels.csv (`file,view[,kind,source]`, as ../shared/real-dev/build.sh
writes). A label `PSAX` without a level accepts any `PSAX-*` answer. Prints accuracy and macro-F1
for clips and stills apart, per source and per view, the confusion matrix, the calibration error,
how many real standard views are called OTHER and how many real OTHER screens are called a view,
and the log score (the mean natural log of the probability given to the right view, 0 at best):
with 80 files one answer more or less right is 0.0125 of accuracy, so two models are better told
apart by the probabilities they give than by their top answers.

--json OUT also keeps every file's row, so a later run can be compared with it file by file:
--against REPORT (an earlier --json) prints the files gained and lost with a two-sided sign test,
and the paired difference in log score with its 95 % interval.

--mirror measures left-right mirror test-time augmentation: every file is also mirrored (ffmpeg,
into DIR-mirrored beside DIR, outside any repository) and the two probability rows are averaged.

--windows measures temporal test-time augmentation: the network sees one second from a clip's
start; each moving clip of 2 s or more is also cut to start in its middle and one second before
its end (ffmpeg, into DIR-window-mid and DIR-window-end beside DIR), and the rows of the windows a
clip has are averaged. Stills and shorter clips keep their one row.

--ensemble-with OTHER.ttev measures an ensemble: every file is also classified by OTHER (a second
model file, for example another training lineage) and the two models' probability rows are
averaged; "uncertain" keeps MODEL's threshold.
"""
import csv
import json
import math
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path

def option(name):
    """The value after `name` on the command line, or None."""
    return next((sys.argv[i + 1] for i, a in enumerate(sys.argv[:-1]) if a == name), None)


mirror, windows = "--mirror" in sys.argv, "--windows" in sys.argv
json_out, against, partner = option("--json"), option("--against"), option("--ensemble-with")
args = []
for i, a in enumerate(sys.argv[1:], 1):
    if a in ("--mirror", "--windows", "--json", "--against", "--ensemble-with") or sys.argv[i - 1] in ("--json", "--against", "--ensemble-with"):
        continue
    args.append(a)
tteview, folder = args[0], Path(args[1])
model = args[2] if len(args) > 2 else None
labels = {r["file"]: r for r in csv.DictReader(open(folder / "labels.csv"))}
cmd = [tteview, "classify", str(folder), "--format", "json"] + (["--model", model] if model else [])
rows = [json.loads(l) for l in subprocess.run(cmd, check=True, capture_output=True, text=True).stdout.splitlines()]


def mirrored_copy(folder):
    """DIR-mirrored: each labelled file flipped left-right (made once, then reused), as close to
    lossless as each format allows, so the flip is the only difference."""
    out = folder.parent / (folder.name + "-mirrored")
    out.mkdir(exist_ok=True)
    tmp = out / ".partial"
    tmp.mkdir(exist_ok=True)
    for name in labels:
        src, dst = folder / name, out / name
        if dst.exists() or not src.exists():
            continue
        ext = Path(name).suffix.lower()
        flags = {
            ".mp4": ["-vf", "hflip", "-c:v", "libx264", "-qp", "0", "-pix_fmt", "yuv420p"],
            ".gif": ["-vf", "hflip,split[a][b];[a]palettegen=max_colors=256[p];[b][p]paletteuse=dither=none"],
            ".jpg": ["-vf", "hflip", "-q:v", "1"],
            ".jpeg": ["-vf", "hflip", "-q:v", "1"],
        }.get(ext, ["-vf", "hflip"])
        part = tmp / name
        subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-i", str(src)] + flags + [str(part)], check=True)
        part.rename(dst)
    return out


def duration(path):
    out = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", str(path)],
                         capture_output=True, text=True).stdout.strip()
    try:
        return float(out)
    except ValueError:
        return 0.0


def windowed_copies(folder):
    """DIR-window-mid and DIR-window-end: each labelled moving clip of 2 s or more cut to start in
    its middle and one second before its end (made once, then reused), re-encoded losslessly."""
    outs = []
    for which in ("mid", "end"):
        out = folder.parent / f"{folder.name}-window-{which}"
        (out / ".partial").mkdir(parents=True, exist_ok=True)
        for name, lab in labels.items():
            src, dst = folder / name, out / name
            if lab.get("kind", "clip") != "clip" or dst.exists() or not src.exists():
                continue
            d = duration(src)
            if d < 2.0:
                continue
            start = (d - 1.0) / 2 if which == "mid" else d - 1.05
            flags = {".mp4": ["-c:v", "libx264", "-qp", "0", "-pix_fmt", "yuv420p"],
                     ".gif": ["-vf", "split[a][b];[a]palettegen=max_colors=256[p];[b][p]paletteuse=dither=none"]}
            part = out / ".partial" / name
            subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-ss", f"{start:.3f}", "-i", str(src)]
                           + flags.get(Path(name).suffix.lower(), []) + [str(part)], check=True)
            part.rename(dst)
        outs.append(out)
    return outs


def header_of(path):
    b = open(path, "rb").read()
    n = int.from_bytes(b[12:20], "little")
    return json.loads(b[20:20 + n])


def classify(folder, by=None):
    by = by or model
    cmd = [tteview, "classify", str(folder), "--format", "json"] + (["--model", by] if by else [])
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return {Path(r["file"]).name: r for r in map(json.loads, out.splitlines())}


def average_with(variants, every_file, by=None):
    """Each row's probabilities averaged with those of the same file in `variants` (folders,
    each classified by the model `by`, MODEL when None);
    returns the files that had to be scored without one (it was missing or could not be read),
    counting only files every variant should hold when `every_file`."""
    here = Path(__file__).resolve().parent.parent
    unsure_below = header_of(model or here / "models" / "lite.ttev").get("unsure_below", 0.6)
    others = [classify(v, by) for v in variants]
    alone = []
    for r in rows:
        name = Path(r["file"]).name
        if r["error"]:
            continue
        found = [o[name] for o in others if name in o and not o[name]["error"]]
        if every_file and len(found) < len(others):
            alone.append(name)
        ps = [r["probabilities"]] + [m["probabilities"] for m in found]
        p = {k: sum(q[k] for q in ps) / len(ps) for k in r["probabilities"]}
        r["probabilities"] = p
        r["view"] = max(p, key=p.get)
        r["confidence"] = p[r["view"]]
        r["unsure"] = r["confidence"] < unsure_below
    return alone


if mirror:
    unmirrored = average_with([mirrored_copy(folder)], every_file=True)
if windows:
    average_with(windowed_copies(folder), every_file=False)
if partner:
    average_with([folder], every_file=True, by=partner)


def right(truth, answer):
    return answer == truth or (truth == "PSAX" and (answer or "").startswith("PSAX-"))


def p_right(truth, probabilities):
    """The probability the model gives the right view (for `PSAX`, all PSAX levels together)."""
    return sum(p for view, p in probabilities.items() if right(truth, view))


def log_score(ps):
    """Mean natural log of the probabilities given to the right views, floored at 1e-4."""
    return sum(math.log(max(p, 1e-4)) for p in ps) / max(1, len(ps))


def sign_test(gained, lost):
    """Two-sided exact sign test: how often a fair coin splits gained + lost this unevenly."""
    n, k = gained + lost, min(gained, lost)
    return min(1.0, 2 * sum(math.comb(n, i) for i in range(k + 1)) / 2 ** n) if n else 1.0


def compare(rows, old_rows):
    """Files gained and lost against an earlier report, and the paired log-score difference."""
    old = {r["file"]: r for r in old_rows}
    both = [(r, old[r["file"]]) for r in rows if r["file"] in old]
    gained = sum(r["right"] and not o["right"] for r, o in both)
    lost = sum(o["right"] and not r["right"] for r, o in both)
    d = [math.log(max(r["p_right"], 1e-4)) - math.log(max(o["p_right"], 1e-4)) for r, o in both]
    n = len(d)
    mean = sum(d) / max(1, n)
    sd = math.sqrt(sum((x - mean) ** 2 for x in d) / (n - 1)) if n > 1 else 0.0
    half = 1.96 * sd / math.sqrt(n) if n else 0.0
    return {"files": n, "right": sum(r["right"] for r, _ in both), "right_before": sum(o["right"] for _, o in both),
            "gained": gained, "lost": lost, "sign_test_p": sign_test(gained, lost),
            "log_score_change": mean, "log_score_change_95": [mean - half, mean + half]}


def macro_f1(pairs):
    """F1 per label present in the truth, answers counted right by the PSAX rule."""
    views = sorted({t for t, _ in pairs})
    f1s = []
    for v in views:
        tp = sum(1 for t, a in pairs if t == v and right(t, a))
        fp = sum(1 for t, a in pairs if t != v and right(v, a) and not right(t, a))
        fn = sum(1 for t, a in pairs if t == v and not right(t, a))
        f1s.append(2 * tp / max(1, 2 * tp + fp + fn))
    return sum(f1s) / max(1, len(f1s))


def ece(items, bins=10):
    total, err = len(items), 0.0
    for b in range(bins):
        lo, hi = b / bins, (b + 1) / bins
        sel = [(c, ok) for c, ok in items if lo < c <= hi or (b == 0 and c == 0)]
        if sel:
            err += len(sel) / total * abs(sum(c for c, _ in sel) / len(sel) - sum(ok for _, ok in sel) / len(sel))
    return err


def wilson(k, n, z=1.96):
    if n == 0:
        return (0.0, 0.0)
    p = k / n
    d = 1 + z * z / n
    c = (p + z * z / (2 * n)) / d
    h = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / d
    return (max(0.0, c - h), min(1.0, c + h))


report = {"model": model or "models/lite.ttev", "files": len(rows), "mirror_tta": mirror, "window_tta": windows, "ensemble_with": partner,
          "errors": [], "by_kind": {}}
if mirror:
    report["unmirrored"] = unmirrored
    if unmirrored:
        print(f"{len(unmirrored)} files scored without their mirror (it could not be read): {', '.join(unmirrored)}")
by_kind = defaultdict(list)
for r in rows:
    name = Path(r["file"]).name
    lab = labels.get(name)
    if lab is None:
        continue
    if r["error"]:
        report["errors"].append({"file": name, "error": r["error"]})
        continue
    by_kind[lab.get("kind", "clip")].append((lab["view"], r["view"], r["confidence"], lab.get("source", "?"), name, bool(r.get("unsure"))))
    p = p_right(lab["view"], r["probabilities"])
    report.setdefault("rows", []).append({"file": name, "kind": lab.get("kind", "clip"), "label": lab["view"], "answer": r["view"],
                                          "right": right(lab["view"], r["view"]), "p_right": p})

print(f"real set {folder}: {len(rows)} files, model {report['model']}")
for kind, items in sorted(by_kind.items()):
    pairs = [(t, a) for t, a, *_ in items]
    k = sum(right(t, a) for t, a in pairs)
    lo, hi = wilson(k, len(pairs))
    f1 = macro_f1(pairs)
    cal = ece([(c, right(t, a)) for t, a, c, *_ in items])
    std = [(t, a) for t, a in pairs if t != "OTHER"]
    other = [(t, a) for t, a in pairs if t == "OTHER"]
    called_other = sum(a == "OTHER" for _, a in std)
    other_called_view = sum(a != "OTHER" for _, a in other)
    score = log_score([row["p_right"] for row in report["rows"] if row["kind"] == kind])
    print(f"\n{kind}s: {len(pairs)}, accuracy {k / len(pairs):.3f} (95 % {lo:.2f}-{hi:.2f}), macro-F1 {f1:.3f}, calibration error {cal:.3f}, log score {score:.3f}")
    print(f"  standard views called OTHER: {called_other} of {len(std)}; OTHER screens called a view: {other_called_view} of {len(other)}")
    # The model's own uncertainty flag: how many answers it stands by, and how many of those are right.
    sure = [(t, a) for t, a, c, src, name, unsure in items if not unsure]
    sure_right = sum(right(t, a) for t, a in sure)
    print(f"  answers not flagged uncertain: {len(sure)} of {len(pairs)}, {sure_right} of them right")
    per_source = defaultdict(list)
    per_view = defaultdict(list)
    for t, a, c, src, *_ in items:
        per_source[src].append(right(t, a))
        per_view[t].append(right(t, a))
    print("  per source: " + ", ".join(f"{s} {sum(v)}/{len(v)}" for s, v in sorted(per_source.items())))
    print("  per view:   " + ", ".join(f"{s} {sum(v)}/{len(v)}" for s, v in sorted(per_view.items())))
    confusion = Counter(pairs)
    truths = sorted({t for t, _ in pairs})
    answers = sorted({a for _, a in pairs})
    print("  confusion (rows: label, columns: answer):")
    print("  " + " " * 8 + "".join(f"{a[:7]:>8}" for a in answers))
    for t in truths:
        print("  " + f"{t[:8]:<8}" + "".join(f"{confusion[(t, a)] or '.':>8}" for a in answers))
    report["by_kind"][kind] = {
        "n": len(pairs), "accuracy": k / len(pairs), "accuracy_95": [lo, hi], "macro_f1": f1,
        "ece": cal, "log_score": score, "standard_called_other": called_other, "standard": len(std),
        "other_called_view": other_called_view, "other": len(other),
        "confident": len(sure), "confident_right": sure_right,
        "per_source": {s: [sum(v), len(v)] for s, v in per_source.items()},
        "per_view": {s: [sum(v), len(v)] for s, v in per_view.items()},
    }
if report["errors"]:
    print(f"\n{len(report['errors'])} files could not be read: " + "; ".join(f"{e['file']}: {e['error']}" for e in report["errors"]))
rows_scored = report.get("rows", [])
report["log_score"] = log_score([row["p_right"] for row in rows_scored])
print(f"\nall {len(rows_scored)} files: {sum(row['right'] for row in rows_scored)} right, log score {report['log_score']:.3f}")
if against:
    old = json.load(open(against))
    if "rows" not in old:
        sys.exit(f"{against} has no per-file rows (it predates them): rerun its model with --json to compare")
    c = compare(rows_scored, old["rows"])
    report["against"] = {"report": against, **c}
    lo, hi = c["log_score_change_95"]
    print(f"against {against}: {c['right']} right of {c['files']} shared files (was {c['right_before']}); "
          f"{c['gained']} gained, {c['lost']} lost (sign test p = {c['sign_test_p']:.3f}); "
          f"log score {c['log_score_change']:+.3f} (95 % {lo:+.3f} to {hi:+.3f})")
if json_out:
    json.dump(report, open(json_out, "w"), indent=2)
