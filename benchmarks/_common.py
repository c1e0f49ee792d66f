"""What every benchmark script shares: timing, memory and the command line."""

from __future__ import annotations

import argparse
import gc
import json
import resource
import sys
import time


def best_time(fn, repeats):
    """Run ``fn`` ``repeats`` times; return (best wall time in s, last result)."""
    best, result = float("inf"), None
    for _ in range(repeats):
        result = None
        gc.collect()
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def peak_rss_bytes():
    """Peak resident set size of this process so far (bytes, Linux units)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def main(doc, run, format_report, quick_help, argv=None):
    """Parse ``--quick``/``--json``, run the benchmark, print table or JSON; exit code."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help=quick_help)
    parser.add_argument("--json", action="store_true",
                        help="print the results as JSON instead of the table")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    results = run(quick=args.quick)
    results["total_runtime_s"] = time.perf_counter() - start
    if args.json:
        json.dump(results, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        print(format_report(results))
        print(f"Total runtime: {results['total_runtime_s']:.1f} s")
    return 0
