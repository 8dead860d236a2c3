#!/usr/bin/env python3
"""Scores a model on a folder of labelled real echo files (never trained on: validation only).

usage: evaluate_real.py TTEVIEW DIR [MODEL] [--json OUT] [--mirror]

DIR holds the files and labels.csv (`file,view[,kind,source]`, as ../shared/real-dev/build.sh
writes). A label `PSAX` without a level accepts any `PSAX-*` answer. Prints accuracy and macro-F1
for clips and stills apart, per source and per view, the confusion matrix, the calibration error,
how many real standard views are called OTHER and how many real OTHER screens are called a view.

--mirror measures left-right mirror test-time augmentation: every file is also mirrored (ffmpeg,
into DIR-mirrored beside DIR, outside any repository) and the two probability rows are averaged.
"""
import csv
import json
import math
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path

mirror = "--mirror" in sys.argv
args = [a for a in sys.argv[1:] if not a.startswith("--json") and a != "--mirror"]
json_out = next((sys.argv[i + 1] for i, a in enumerate(sys.argv) if a == "--json"), None)
if json_out:
    args = [a for a in args if a != json_out]
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


def header_of(path):
    b = open(path, "rb").read()
    n = int.from_bytes(b[12:20], "little")
    return json.loads(b[20:20 + n])


if mirror:
    flipped = mirrored_copy(folder)
    cmd_m = [tteview, "classify", str(flipped), "--format", "json"] + (["--model", model] if model else [])
    other = {Path(r["file"]).name: r for r in map(json.loads, subprocess.run(cmd_m, check=True, capture_output=True, text=True).stdout.splitlines())}
    here = Path(__file__).resolve().parent.parent
    unsure_below = header_of(model or here / "models" / "lite.ttev").get("unsure_below", 0.6)
    unmirrored = []
    for r in rows:
        m = other.get(Path(r["file"]).name)
        if r["error"]:
            continue
        if not m or m["error"]:
            unmirrored.append(Path(r["file"]).name)
            continue
        p = {k: (v + m["probabilities"][k]) / 2 for k, v in r["probabilities"].items()}
        r["view"] = max(p, key=p.get)
        r["confidence"] = p[r["view"]]
        r["unsure"] = r["confidence"] < unsure_below


def right(truth, answer):
    return answer == truth or (truth == "PSAX" and (answer or "").startswith("PSAX-"))


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


report = {"model": model or "models/lite.ttev", "files": len(rows), "mirror_tta": mirror, "errors": [], "by_kind": {}}
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
    print(f"\n{kind}s: {len(pairs)}, accuracy {k / len(pairs):.3f} (95 % {lo:.2f}-{hi:.2f}), macro-F1 {f1:.3f}, calibration error {cal:.3f}")
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
        "ece": cal, "standard_called_other": called_other, "standard": len(std),
        "other_called_view": other_called_view, "other": len(other),
        "confident": len(sure), "confident_right": sure_right,
        "per_source": {s: [sum(v), len(v)] for s, v in per_source.items()},
        "per_view": {s: [sum(v), len(v)] for s, v in per_view.items()},
    }
if report["errors"]:
    print(f"\n{len(report['errors'])} files could not be read: " + "; ".join(f"{e['file']}: {e['error']}" for e in report["errors"]))
if json_out:
    json.dump(report, open(json_out, "w"), indent=2)
