"""scripts/evaluate_real.py on a made-up real set: a stand-in `tteview` prints fixed answers, and
the scores, the per-file rows and the comparison with an earlier report are checked by hand.

usage: python3 tests/realset/test_evaluate_real.py
"""
import json
import math
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
VIEWS = ["A4C", "PLAX", "PSAX-AV", "PSAX-MV", "OTHER"]


def fake_tteview(folder, answers):
    """An executable printing `tteview classify --format json` rows: answers[file] = {view: p}."""
    rows = []
    for name, probs in answers.items():
        p = {v: probs.get(v, 0.0) for v in VIEWS}
        view = max(p, key=p.get)
        rows.append({"file": str(folder / name), "view": view, "confidence": p[view], "unsure": p[view] < 0.6,
                     "probabilities": p, "error": None})
    exe = folder.parent / f"tteview-{len(list(folder.parent.glob('tteview-*')))}"
    exe.write_text("#!/bin/sh\ncat <<'ROWS'\n" + "\n".join(json.dumps(r) for r in rows) + "\nROWS\n")
    exe.chmod(0o755)
    return exe


def run(exe, folder, *extra):
    out = subprocess.run([sys.executable, str(ROOT / "scripts/evaluate_real.py"), str(exe), str(folder), *extra],
                         check=True, capture_output=True, text=True)
    return out.stdout


def windows_check(tmp, check):
    """--windows: a clip of 3 s is cut to start in its middle and a second before its end, and
    its three rows averaged; a 1-s clip and a still keep their one row."""
    if shutil.which("ffmpeg") is None or shutil.which("ffprobe") is None:
        print("SKIPPED --windows checks: ffmpeg is not installed")
        return
    folder = tmp / "clips"
    folder.mkdir()
    (folder / "labels.csv").write_text("file,view,kind,source\nlong.mp4,A4C,clip,s\nshort.mp4,A4C,clip,s\nc.png,PLAX,still,s\n")
    for name, seconds in (("long.mp4", 3), ("short.mp4", 1)):
        subprocess.run(["ffmpeg", "-loglevel", "error", "-f", "lavfi", "-i", f"testsrc=size=64x48:rate=10:duration={seconds}",
                        "-pix_fmt", "yuv420p", str(folder / name)], check=True)
    (folder / "c.png").write_bytes(b"")
    # The start of each clip reads as PLAX, its later windows as A4C.
    answers = {
        "base": {"long.mp4": {"PLAX": 0.6, "A4C": 0.4}, "short.mp4": {"PLAX": 0.6, "A4C": 0.4}, "c.png": {"PLAX": 0.9, "A4C": 0.1}},
        "later": {"long.mp4": {"A4C": 0.9, "PLAX": 0.1}, "short.mp4": {"A4C": 0.9, "PLAX": 0.1}, "c.png": {"A4C": 0.9, "PLAX": 0.1}},
    }
    exe = tmp / "tteview-by-folder"
    # As tteview does, a row for each file the folder holds.
    script = ["#!/bin/sh", 'case "$2" in']
    for pattern, key in (("*-window-*", "later"), ("*", "base")):
        script.append(f"  {pattern})")
        for name, probs in answers[key].items():
            p = {v: probs.get(v, 0.0) for v in VIEWS}
            view = max(p, key=p.get)
            row = json.dumps({"file": name, "view": view, "confidence": p[view], "unsure": False,
                              "probabilities": p, "error": None})
            script.append(f"    [ -e \"$2/{name}\" ] && echo '{row}'")
        script.append("  ;;")
    exe.write_text("\n".join(script + ["esac", "exit 0", ""]))
    exe.chmod(0o755)
    run(exe, folder, "--windows", "--json", str(tmp / "windows.json"))
    rows = {r["file"]: r for r in json.load(open(tmp / "windows.json"))["rows"]}
    made = sorted(p.name for p in (tmp / "clips-window-mid").iterdir() if p.suffix == ".mp4")
    check(made == ["long.mp4"], f"only the clip of 2 s or more is windowed (made {made})")
    check(abs(rows["long.mp4"]["p_right"] - (0.4 + 0.9 + 0.9) / 3) < 1e-6 and rows["long.mp4"]["right"],
          f"the long clip's three windows are averaged (p_right {rows['long.mp4']['p_right']:.4f})")
    check(abs(rows["short.mp4"]["p_right"] - 0.4) < 1e-9 and abs(rows["c.png"]["p_right"] - 0.9) < 1e-9,
          "the short clip and the still keep their one row")


def main():
    failures = []

    def check(ok, what):
        print(("ok   " if ok else "FAIL ") + what)
        if not ok:
            failures.append(what)

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "set"
        folder.mkdir()
        (folder / "labels.csv").write_text(
            "file,view,kind,source\na.mp4,A4C,clip,s\nb.mp4,PSAX,clip,s\nc.png,PLAX,still,s\nd.png,OTHER,still,s\n")
        before = fake_tteview(folder, {
            "a.mp4": {"A4C": 0.9, "PLAX": 0.1},
            "b.mp4": {"PLAX": 0.7, "PSAX-AV": 0.2, "PSAX-MV": 0.1},  # wrong; PSAX levels share 0.3
            "c.png": {"PLAX": 0.5, "OTHER": 0.5 - 1e-6},
            "d.png": {"A4C": 1.0},  # wrong with no probability on the truth: floored at 1e-4
        })
        out = run(before, folder, "--json", str(Path(tmp) / "before.json"))
        report = json.load(open(Path(tmp) / "before.json"))
        rows = {r["file"]: r for r in report["rows"]}
        check(abs(rows["b.mp4"]["p_right"] - 0.3) < 1e-9, f"a PSAX label takes every level's probability (p_right {rows['b.mp4']['p_right']})")
        expected = (math.log(0.9) + math.log(0.3) + math.log(0.5) + math.log(1e-4)) / 4
        check(abs(report["log_score"] - expected) < 1e-9, f"log score {report['log_score']:.6f}, by hand {expected:.6f}")
        check(report["by_kind"]["clip"]["accuracy"] == 0.5 and report["by_kind"]["still"]["accuracy"] == 0.5, "accuracy per kind")
        check("all 4 files: 2 right" in out, "the summary line counts the right files")

        after = fake_tteview(folder, {
            "a.mp4": {"A4C": 0.6, "PLAX": 0.4},
            "b.mp4": {"PSAX-MV": 0.8, "PLAX": 0.2},  # gained
            "c.png": {"OTHER": 0.6, "PLAX": 0.4},  # lost
            "d.png": {"OTHER": 0.9, "A4C": 0.1},  # gained
        })
        out = run(after, folder, "--against", str(Path(tmp) / "before.json"), "--json", str(Path(tmp) / "after.json"))
        c = json.load(open(Path(tmp) / "after.json"))["against"]
        check((c["gained"], c["lost"], c["right"], c["right_before"]) == (2, 1, 3, 2), f"gained {c['gained']}, lost {c['lost']}")
        check(abs(c["sign_test_p"] - 1.0) < 1e-9, f"sign test of 2 against 1 is p = 1 (got {c['sign_test_p']})")
        d = [math.log(0.6 / 0.9), math.log(0.8 / 0.3), math.log(0.4 / 0.5), math.log(0.9 / 1e-4)]
        check(abs(c["log_score_change"] - sum(d) / 4) < 1e-9, f"paired log-score change {c['log_score_change']:.6f}")
        lo, hi = c["log_score_change_95"]
        check(lo < c["log_score_change"] < hi, "its interval holds it")
        check("2 gained, 1 lost" in out, "the comparison is printed")
        old = Path(tmp) / "old.json"
        old.write_text(json.dumps({"by_kind": {}}))
        r = subprocess.run([sys.executable, str(ROOT / "scripts/evaluate_real.py"), str(after), str(folder), "--against", str(old)],
                           capture_output=True, text=True)
        check(r.returncode != 0 and "no per-file rows" in r.stderr, "an old report without rows is refused with a reason")
        windows_check(Path(tmp), check)
    if failures:
        sys.exit(f"{len(failures)} check(s) failed")
    print("all evaluate_real checks passed")


main()
