"""Benchmark annotator.agreement.krippendorff_alpha against the krippendorff package.

    .venv/bin/python bench/bench_agreement.py [--units 100000] [--categories 5 50 300]

Every measurement runs in a fresh subprocess so peak memories do not mix. Peak memory is the
child's high-water resident set (VmHWM), which includes the interpreter, numpy and the input
data; "call" is the growth of that peak during the call alone (the peak is reset with
/proc/self/clear_refs once the input is built). The package runs only where its
units x categories x categories float64 array is estimated to fit (under ~4 GB).
"""

from __future__ import annotations

import argparse
import gc
import json
import re
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE_LIMIT_BYTES = 4 * 2**30  # the package's units x V x V array, estimated before running
TARGET_SECONDS, TARGET_MB, TARGET_CATEGORIES = 2.0, 500, 300


# --------------------------------------------------------------------------------------------
# Worker side: one measurement per process
# --------------------------------------------------------------------------------------------


def _status_kb(field: str) -> int:
    with open("/proc/self/status") as status:
        return int(re.search(rf"{field}:\s+(\d+)", status.read()).group(1))


def _reset_peak() -> bool:
    """Reset VmHWM to the current RSS (Linux >= 4.0); False if not allowed."""
    try:
        with open("/proc/self/clear_refs", "w") as clear_refs:
            clear_refs.write("5")
    except OSError:
        return False
    return True


def _matrix(units: int, coders: int, categories: int, missing: float, seed: int):
    """Coders x units float matrix, NaN = missing: a coder gives the unit's true category with
    probability 0.7, else a random one."""
    import numpy as np

    rng = np.random.default_rng(seed)
    truth = rng.integers(0, categories, size=units)
    noise = rng.integers(0, categories, size=(coders, units))
    matrix = np.where(rng.random((coders, units)) < 0.7, truth, noise).astype(float)
    matrix[rng.random((coders, units)) < missing] = np.nan
    return matrix


def _triples(matrix) -> list[tuple[int, int, int | None]]:
    values = matrix.astype(object)
    values[matrix != matrix] = None  # NaN -> None
    return [
        (unit, coder, None if value is None else int(value))
        for coder, row in enumerate(values.tolist())
        for unit, value in enumerate(row)
    ]


def _measure(function, argument, repeat: int) -> dict:
    gc.collect()
    before_kb = _status_kb("VmRSS")
    resettable = _reset_peak()
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = function(argument)
        times.append(time.perf_counter() - started)
    peak_kb = _status_kb("VmHWM") if resettable else resource.getrusage(resource.RUSAGE_SELF)[2]
    return {
        "seconds": min(times),
        "alpha": float(result),
        "peak_mb": peak_kb / 1024,
        "call_mb": (peak_kb - before_kb) / 1024,
    }


def worker(args: argparse.Namespace) -> dict:
    import numpy as np  # noqa: F401  (the baseline includes numpy)

    if args.worker == "baseline":
        return {"peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}
    matrix = _matrix(args.units, args.coders, args.worker_categories, args.missing, args.seed)
    if args.worker == "ours":
        sys.path.insert(0, str(ROOT))
        from annotator.agreement.statistics import krippendorff_alpha

        ratings = _triples(matrix)
        del matrix
        return _measure(krippendorff_alpha, ratings, args.repeat)

    import krippendorff

    # A safety net in case the estimate is off: fail with MemoryError, not the OOM killer.
    limit = int(args.package_address_limit_gb * 2**30)
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    def package_alpha(data):
        return krippendorff.alpha(reliability_data=data, level_of_measurement="nominal")

    return _measure(package_alpha, matrix, args.repeat)


# --------------------------------------------------------------------------------------------
# Driver side
# --------------------------------------------------------------------------------------------


def _run_worker(args: argparse.Namespace, kind: str, categories: int = 0) -> dict:
    command = [
        sys.executable,
        __file__,
        "--worker",
        kind,
        "--worker-categories",
        str(categories),
        "--units",
        str(args.units),
        "--coders",
        str(args.coders),
        "--missing",
        str(args.missing),
        "--seed",
        str(args.seed),
        "--repeat",
        str(args.repeat),
        "--package-address-limit-gb",
        str(args.package_address_limit_gb),
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return {"error": f"failed ({tail})"}
    return json.loads(done.stdout.strip().splitlines()[-1])


def _gb(n_bytes: float) -> str:
    return f"{n_bytes / 2**30:.1f} GB"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=100_000)
    parser.add_argument("--coders", type=int, default=10)
    parser.add_argument("--missing", type=float, default=0.1)
    parser.add_argument("--categories", type=int, nargs="+", default=[5, 50, 300])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=3, help="timed calls per run (best kept)")
    parser.add_argument("--package-address-limit-gb", type=float, default=12.0)
    parser.add_argument("--worker", choices=["baseline", "ours", "package"], help=argparse.SUPPRESS)
    parser.add_argument("--worker-categories", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.worker:
        print(json.dumps(worker(args)))
        return 0

    baseline = _run_worker(args, "baseline")
    print(
        f"Krippendorff's alpha (nominal), {args.units:,} units x {args.coders} coders, "
        f"{args.missing:.0%} missing; best of {args.repeat} calls, one subprocess per run"
    )
    print(f"baseline: bare interpreter with numpy imported peaks at {baseline['peak_mb']:.0f} MB")
    print("ours: from (unit, coder, value) triples; package: from its coders x units matrix")
    print("peak = child's peak RSS (incl. interpreter and input); call = growth during the call")
    print()
    header = (
        f"{'categories':>10} | {'ours s':>7} | {'ours peak':>9} | {'ours call':>9} | "
        f"{'package s':>9} | {'pkg peak':>9} | {'pkg call':>9} | {'time o/p':>8} | "
        f"{'peak o/p':>8} | {'agree 1e-9':>10}"
    )
    print(header)
    print("-" * len(header))
    verdicts = []
    for categories in args.categories:
        ours = _run_worker(args, "ours", categories)
        estimate = args.units * categories * categories * 8
        if estimate > PACKAGE_LIMIT_BYTES:
            package = {"error": f"does not fit (estimated {_gb(estimate)})"}
        else:
            package = _run_worker(args, "package", categories)
        print(_row(categories, ours, package))
        if "error" in package:
            print(f"{'':>10}   package: {package['error']}")
        if "error" in ours:
            print(f"{'':>10}   ours: {ours['error']}")
        if categories == TARGET_CATEGORIES and "error" not in ours:
            verdicts.append(ours)
    print()
    for ours in verdicts:
        passed = ours["seconds"] < TARGET_SECONDS and ours["peak_mb"] < TARGET_MB
        print(
            f"{'PASS' if passed else 'FAIL'}: {TARGET_CATEGORIES} categories in "
            f"{ours['seconds']:.2f} s (target < {TARGET_SECONDS:.0f} s), peak "
            f"{ours['peak_mb']:.0f} MB (target < {TARGET_MB} MB)"
        )
    if not verdicts:
        print(f"target not checked: run with {TARGET_CATEGORIES} categories")
    print(bootstrap_line(args.seed))
    return (
        0
        if all(v["seconds"] < TARGET_SECONDS and v["peak_mb"] < TARGET_MB for v in verdicts)
        else 1
    )


def bootstrap_line(seed: int, units: int = 1000, resamples: int = 1000) -> str:
    """The 95% interval the agreement page shows: 1,000 resamples of 1,000 units (5 coders,
    10 categories), beside one alpha of the same data (the reference in the same run)."""
    sys.path.insert(0, str(ROOT))
    from annotator.agreement.statistics import bootstrap_alpha_ci, krippendorff_alpha

    ratings = _triples(_matrix(units, 5, 10, 0.1, seed))
    bootstrap_alpha_ci(ratings, n_resamples=10)  # warm-up
    started = time.perf_counter()
    krippendorff_alpha(ratings)
    alpha_seconds = time.perf_counter() - started
    started = time.perf_counter()
    bootstrap_alpha_ci(ratings, n_resamples=resamples)
    seconds = time.perf_counter() - started
    return (
        f"bootstrap 95% interval, {units:,} units x 5 coders, {resamples:,} resamples: "
        f"{seconds:.2f} s = {seconds / alpha_seconds:.0f}x one alpha of the same data "
        f"({alpha_seconds * 1000:.1f} ms)"
    )


def _row(categories: int, ours: dict, package: dict) -> str:
    def number(result: dict, key: str, unit: str = "") -> str:
        return f"{result[key]:.2f}{unit}" if key in result else "-"

    def memory(result: dict, key: str) -> str:
        return f"{result[key]:.0f} MB" if key in result else "-"

    both = "error" not in ours and "error" not in package
    time_ratio = f"{ours['seconds'] / package['seconds']:.3f}" if both else "-"
    peak_ratio = f"{ours['peak_mb'] / package['peak_mb']:.3f}" if both else "-"
    agree = "-"
    if both:
        agree = "yes" if abs(ours["alpha"] - package["alpha"]) <= 1e-9 else "NO"
    return (
        f"{categories:>10} | {number(ours, 'seconds'):>7} | {memory(ours, 'peak_mb'):>9} | "
        f"{memory(ours, 'call_mb'):>9} | {number(package, 'seconds'):>9} | "
        f"{memory(package, 'peak_mb'):>9} | {memory(package, 'call_mb'):>9} | "
        f"{time_ratio:>8} | {peak_ratio:>8} | {agree:>10}"
    )


if __name__ == "__main__":
    sys.exit(main())
