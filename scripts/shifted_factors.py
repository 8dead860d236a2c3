#!/usr/bin/env python3
"""Accuracy on the style-shifted test set broken down by what was shifted (screen size, gain,
dynamic range, sector width, tilt, zoom, colour cast, Doppler box, surroundings, container), one
column per model. The clip settings come from the test set's manifest (`params`), the answers from
each model's `predictions.csv` (written by `tteview eval`).

usage: scripts/shifted_factors.py MANIFEST.csv NAME=PREDICTIONS.csv [NAME=PREDICTIONS.csv ...] > factors.md
"""
import csv, json, os, re, sys
from collections import OrderedDict


def rust_const(name, crate, file):
    """A numeric constant of one of the crates, read from its source so the reports follow the code."""
    src = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "crates", crate, "src", file)
    return float(re.search(rf"pub const {name}: f32 = ([0-9.]+);", open(src).read()).group(1))


# Below DARK_SHARE of the picture showing an echo (grey ECHO_LEVEL or more) an answer carries a warning.
DARK_SHARE = rust_const("DARK_SHARE", "tte-preprocess", "lib.rs")
ECHO_LEVEL = rust_const("ECHO_LEVEL", "tte-preprocess", "levels.rs")


def factors(row, echo_share=None):
    p = json.loads(row["params"])
    sc, pl = p["scanner"], p["placement"]
    lung = p["surroundings"]["lung"]
    return OrderedDict([
        ("screen size", f"{row['width']}x{row['height']}"),
        ("gain", "low (-26 to -22 dB)" if sc["gain_db"] < 0 else "high (+6 to +10 dB)"),
        ("dynamic range", "narrow (30-38 dB)" if sc["dynamic_range_db"] < 50 else "wide (72-85 dB)"),
        ("gain and dynamic range", ("low gain" if sc["gain_db"] < 0 else "high gain") + ", " + ("narrow range" if sc["dynamic_range_db"] < 50 else "wide range")),
        ("sector half-angle", "narrow (18-27°)" if sc["half_angle"] < 0.6 else "wide (47-56°)"),
        ("zoom", f"{pl[3]:.1f}"),
        ("colour cast", "/".join(f"{c:g}" for c in p["tint"])),
        ("colour Doppler box", "yes" if p["overlays"]["doppler_box"] else "no"),
        ("surroundings", "tissue (subcostal, liver, kidney)" if lung >= 0.999 else ("grey lung below 0.7" if lung < 0.7 else "grey lung 0.7 and above")),
        ("container", row["format"]),
    ] + ([("dark-picture warning", f"yes (echoes on under {DARK_SHARE * 100:g} % of the picture)" if echo_share < DARK_SHARE else "no")] if echo_share is not None else []))


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    manifest = {r["file"]: r for r in csv.DictReader(open(sys.argv[1]))}
    models = []
    for arg in sys.argv[2:]:
        name, _, path = arg.partition("=")
        models.append((name, {r["file"]: r["predicted"] == r["view"] for r in csv.DictReader(open(path))}))
    # The picture's echo share depends on the model only through its preparation (a model that
    # blanks colour sees less echo under a Doppler box): take it from the shipped model's
    # predictions, which come last so they win, else from any file that has it.
    shares = {}
    for arg in sorted(sys.argv[2:], key=lambda a: a.startswith("shipped (")):
        for r in csv.DictReader(open(arg.partition("=")[2])):
            if r.get("echo_share"):
                shares[r["file"]] = float(r["echo_share"])
    table = OrderedDict()
    for f, row in manifest.items():
        if not all(f in m for _, m in models):
            continue
        for factor, level in factors(row, shares.get(f)).items():
            cell = table.setdefault(factor, OrderedDict()).setdefault(level, [0] + [0] * len(models))
            cell[0] += 1
            for k, (_, m) in enumerate(models):
                cell[k + 1] += m[f]
    print("| factor | level | clips | " + " | ".join(f"{n} accuracy" for n, _ in models) + " |")
    print("|---|---|---|" + "---|" * len(models))
    for factor, levels in table.items():
        for level, cell in sorted(levels.items()):
            print(f"| {factor} | {level} | {cell[0]} | " + " | ".join(f"{c / cell[0]:.3f}" for c in cell[1:]) + " |")
    warned = [factors(manifest[f])["gain and dynamic range"] for f, v in shares.items() if v < DARK_SHARE and f in manifest]
    if warned:
        kinds = ", ".join(f"{k}: {warned.count(k)}" for k in sorted(set(warned)))
        print(f"\nThe {len(warned)} clips the dark-picture warning flags, by gain and dynamic range: {kinds}.")


if __name__ == "__main__":
    main()
