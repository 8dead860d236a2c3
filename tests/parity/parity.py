"""PyTorch parity and speed check for TTEView's Burn SlowFast (issue #7).

For each case, `parity-export` (a native-bench binary) writes the network's weights as safetensors,
a fixed input and Burn's logits and CPU forward times; this script rebuilds the same network in
PyTorch (slowfast_torch.py), loads the weights, and checks that the logits agree within 1e-4.
It then times PyTorch on the same input with the same thread count and prints Burn/PyTorch.

    python tests/parity/parity.py --exporter ~/.cache/tteview-target/release/parity-export

Exit status 1 when any case differs by more than the tolerance.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).parent))
from slowfast_torch import SlowFast, read_safetensors  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
TOLERANCE = 1e-4


def export(exporter, out, threads, repeats, args):
    env = dict(os.environ, RAYON_NUM_THREADS=str(threads))
    cmd = [str(exporter), "--out", str(out), "--repeats", str(repeats), *args]
    subprocess.run(cmd, check=True, env=env)
    return json.loads((out / "meta.json").read_text())


def load_f32(path, shape):
    data = torch.frombuffer(bytearray(path.read_bytes()), dtype=torch.float32)
    return data.reshape(shape)


def torch_model(meta, weights):
    net = SlowFast(meta["config"], meta["slow_indices"]).eval()
    missing, unexpected = net.load_state_dict(weights, strict=False)
    # PyTorch's batch norm also counts batches seen; Burn has no such buffer and inference ignores it.
    missing = [k for k in missing if not k.endswith("num_batches_tracked")]
    if missing or unexpected:
        raise SystemExit(f"state dicts disagree: missing {missing[:5]}, unexpected {unexpected[:5]}")
    return net


def time_torch(net, x, warmup, repeats):
    times = []
    with torch.inference_mode():
        for i in range(warmup + repeats):
            t = time.perf_counter()
            logits = net(x)
            if i >= warmup:
                times.append((time.perf_counter() - t) * 1e3)
    return logits, times


def profile_torch(net, x, repeats):
    """Median ms of the same parts `parity-export` times in Burn."""
    import torch.nn.functional as F

    parts = {}

    def timed(name, f):
        t = time.perf_counter()
        y = f()
        parts.setdefault(name, []).append((time.perf_counter() - t) * 1e3)
        return y

    with torch.inference_mode():
        for _ in range(repeats):
            slow = x.index_select(2, net.slow_indices)
            slow = timed("slow stem + pool", lambda: net.pool(F.relu(net.slow_stem(slow))))
            fast = timed("fast stem + pool", lambda: net.pool(F.relu(net.fast_stem(x))))
            for s in range(4):
                lateral = timed(f"fusion {s + 1}", lambda: F.relu(net.fusions[s](fast)))
                slow = torch.cat([slow, lateral], 1)
                slow = timed(f"slow stage {s + 1}", lambda: net.slow_stages[s](slow))
                fast = timed(f"fast stage {s + 1}", lambda: net.fast_stages[s](fast))
    return {k: statistics.median(v) for k, v in parts.items()}


def run_case(name, exporter_args, opts, work):
    out = work / name
    meta = export(opts.exporter, out, opts.threads, opts.repeats, exporter_args)
    net = torch_model(meta, read_safetensors(out / "weights.safetensors"))
    x = load_f32(out / "input.f32", meta["input_shape"])
    burn_logits = load_f32(out / "logits.f32", meta["logits_shape"])
    torch_logits, torch_ms = time_torch(net, x, 1, opts.repeats)
    diff = (torch_logits - burn_logits).abs().max().item()
    burn_ms = statistics.median(meta["burn_forward_ms"])
    torch_median = statistics.median(torch_ms)
    return {
        "case": name,
        "model": meta["model"],
        "input_shape": meta["input_shape"],
        "max_abs_diff": diff,
        "logit_range": [burn_logits.min().item(), burn_logits.max().item()],
        "same_top_class": bool((burn_logits.argmax(1) == torch_logits.argmax(1)).all()),
        "burn_ms_median": burn_ms,
        "torch_ms_median": torch_median,
        "burn_over_torch": burn_ms / torch_median,
        "threads": opts.threads,
        "profile_ms": {
            part: {"burn": meta["burn_profile_ms"][part], "torch": t}
            for part, t in profile_torch(net, x, opts.repeats).items()
        },
        "pass": diff <= TOLERANCE,
    }


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--exporter", required=True, help="path to the parity-export binary")
    p.add_argument("--threads", type=int, default=2, help="CPU threads for both frameworks")
    p.add_argument("--repeats", type=int, default=5, help="timed forward passes per case")
    p.add_argument("--cases", default="lite,r50", help="comma-separated: lite (shipped weights), lite-grey (the same made grey), lite-random, r50")
    p.add_argument("--json", help="also write the results here")
    opts = p.parse_args()
    torch.set_num_threads(opts.threads)
    torch.manual_seed(0)

    cases = {
        "lite": ["--model", str(ROOT / "models/lite.ttev"), "--batch", "2"],
        "lite-random": ["--preset", "lite", "--batch", "2"],
        # The shipped weights made grey (one input channel): the stems' cost with a third of
        # the input, as a grey model (experiments/phantom-v2-grey.json) would run.
        "lite-grey": ["--model", str(ROOT / "models/lite.ttev"), "--batch", "2", "--grey"],
        "r50": ["--preset", "r50", "--batch", "1"],
    }
    results = []
    with tempfile.TemporaryDirectory(prefix="tteview-parity-") as work:
        for name in opts.cases.split(","):
            results.append(run_case(name, cases[name], opts, Path(work)))

    print(f"\nPyTorch {torch.__version__} vs Burn (Flex CPU), {opts.threads} threads, median of {opts.repeats}")
    print(f"{'case':<12} {'input':<20} {'max |diff|':>11} {'logits range':>18} {'Burn ms':>9} {'torch ms':>9} {'Burn/torch':>10}  result")
    for r in results:
        shape = "x".join(map(str, r["input_shape"]))
        lo, hi = r["logit_range"]
        verdict = "ok" if r["pass"] else f"FAIL (> {TOLERANCE:g})"
        print(f"{r['case']:<12} {shape:<20} {r['max_abs_diff']:>11.2e} {f'{lo:.2f}..{hi:.2f}':>18} "
              f"{r['burn_ms_median']:>9.1f} {r['torch_ms_median']:>9.1f} {r['burn_over_torch']:>10.2f}  {verdict}")
    for r in results:
        print(f"\nwhere the time goes, {r['case']} (ms, median):")
        print(f"  {'part':<18} {'Burn':>9} {'torch':>9} {'ratio':>7}")
        for part, t in r["profile_ms"].items():
            print(f"  {part:<18} {t['burn']:>9.1f} {t['torch']:>9.1f} {t['burn'] / max(t['torch'], 1e-9):>7.2f}")
    if opts.json:
        Path(opts.json).write_text(json.dumps({"torch": torch.__version__, "tolerance": TOLERANCE, "results": results}, indent=2))
    if not all(r["pass"] for r in results):
        sys.exit(1)


if __name__ == "__main__":
    main()
