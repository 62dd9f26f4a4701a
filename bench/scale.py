#!/usr/bin/env python3
"""Show that neonlint's cost grows linearly with its input, on the paths that were not.

    python3 bench/scale.py [--no-build] [--rounds 3] [--small 2000] [--json FILE]

Measures, in one run, each path at a size and at ten times that size, and prints the ratio
of the two (about 10 when the path is linear, about 100 when it is quadratic):

1. the default human report of one file with N tables, one finding or more per table,
   next to `--format gcc` of the same file (the snippet renderer used to scan the file
   from its start for every finding);
2. `[[ignore]]` matching with 10,000 and 100,000 entries, as the time added to a run
   without them (every entry used to be tried on every finding);
3. peak memory per table, from two folders of `CREATE TABLE` statements, with the human
   and the JSON report (the difference of the peaks over the difference of the tables,
   so what the process needs whatever the input does not count).

Builds neonlint in release mode first (skip with --no-build). Standard library only.
Exit status: 0 when every ratio is under the linear limit (LINEAR_LIMIT), 1 when one is
not, 2 when a build or a run fails.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

BENCH = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(BENCH)
NEONLINT = os.path.join(ROOT, "target", "release", "neonlint")
sys.path.insert(0, BENCH)
from run import Failure, measure  # noqa: E402  (fork/exec timing and ru_maxrss)

# A ratio for ten times the input above this is not linear (quadratic gives about 100).
LINEAR_LIMIT = 20.0
# Memory per table the issue aims for (bytes).
MEMORY_TARGET = 1024


def say(message=""):
    print(message, flush=True)


def step(message):
    print(f"==> {message}", file=sys.stderr, flush=True)


def build():
    step("cargo build --release")
    proc = subprocess.run(["cargo", "build", "--release"], cwd=ROOT, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True)
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout[-8000:])
        raise Failure(f"cargo build --release failed (exit {proc.returncode})")


def tables_file(path, count, columns=3):
    """One migration with `count` tables, each a few columns, no RLS: NL001 and NL003 each."""
    with open(path, "w") as out:
        for index in range(count):
            cols = ", ".join(["id bigint PRIMARY KEY"] + [f"c{c} text" for c in range(columns - 1)])
            out.write(f"CREATE TABLE public.t{index} ({cols});\n")


def config_with_ignores(path, count):
    """`count` [[ignore]] entries: half exact object keys, half globs with distinct prefixes."""
    with open(path, "w") as out:
        out.write('exposed_schemas = ["public"]\n')
        for index in range(count):
            pattern = f"public.t{index}" if index % 2 == 0 else f"public.t{index}_*"
            out.write(f'[[ignore]]\nrule = "NL001"\nobject = "{pattern}"\n')


def timed(cmd, cwd, rounds):
    """Median wall seconds and peak RSS (bytes) over `rounds` runs; exit 0 or 1 expected."""
    walls, peaks = [], []
    for _ in range(rounds):
        code, wall, rss_kib, _cpu = measure(cmd, cwd)
        if code not in (0, 1):
            proc = subprocess.run(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            sys.stderr.write(proc.stderr[-4000:])
            raise Failure(f"{' '.join(cmd)} failed (exit {code})")
        walls.append(wall)
        peaks.append(rss_kib * 1024)
    return statistics.median(walls), max(peaks)


def project(root, name, tables, ignores=0):
    folder = os.path.join(root, name)
    os.makedirs(os.path.join(folder, "migrations"))
    tables_file(os.path.join(folder, "migrations", "1_init.sql"), tables)
    config_with_ignores(os.path.join(folder, "neonlint.toml"), ignores)
    return folder


def check(fmt):
    return [NEONLINT, "check", "migrations", "--format", fmt, "--fail-on", "never"]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--no-build", action="store_true", help="use target/release/neonlint as it is")
    parser.add_argument("--rounds", type=int, default=3, help="runs per measurement (median)")
    parser.add_argument("--small", type=int, default=2000, help="tables in the small report file")
    parser.add_argument("--json", metavar="FILE", help="also write the numbers as JSON")
    args = parser.parse_args(argv)
    try:
        if not args.no_build:
            build()
        results = {}
        with tempfile.TemporaryDirectory(prefix="neonlint-scale-") as root:
            # 1. The human report at N and 10N tables, next to gcc.
            small, large = args.small, args.small * 10
            for tables in (small, large):
                step(f"report: {tables} tables")
                folder = project(root, f"report{tables}", tables)
                human, _ = timed(check("human"), folder, args.rounds)
                gcc, _ = timed(check("gcc"), folder, args.rounds)
                results[f"report_{tables}"] = {"human_s": human, "gcc_s": gcc}
            human_ratio = results[f"report_{large}"]["human_s"] / results[f"report_{small}"]["human_s"]
            gcc_ratio = results[f"report_{large}"]["gcc_s"] / results[f"report_{small}"]["gcc_s"]

            # 2. [[ignore]] matching: the time 10k and 100k entries add to the same run.
            ignore_tables = 20000
            step(f"ignores: {ignore_tables} tables, 0, 10,000 and 100,000 entries")
            base, _ = timed(check("gcc"), project(root, "ignore0", ignore_tables, 0), args.rounds)
            ten, _ = timed(check("gcc"), project(root, "ignore10k", ignore_tables, 10000), args.rounds)
            hundred, _ = timed(check("gcc"), project(root, "ignore100k", ignore_tables, 100000), args.rounds)
            results["ignores"] = {"tables": ignore_tables, "none_s": base, "10k_s": ten, "100k_s": hundred}
            ignore_ratio = (hundred - base) / max(ten - base, 1e-3)

            # 3. Memory per table, human and JSON reports.
            memory = {}
            for fmt in ("human", "json"):
                peaks = {}
                for tables in (50000, 200000):
                    step(f"memory: {tables} tables, --format {fmt}")
                    folder = os.path.join(root, f"memory{tables}")
                    if not os.path.isdir(folder):
                        project(root, f"memory{tables}", tables)
                    _, peak = timed(check(fmt), folder, 1)
                    peaks[tables] = peak
                per_table = (peaks[200000] - peaks[50000]) / 150000
                memory[fmt] = {"peak_50k_mb": peaks[50000] / 1e6, "peak_200k_mb": peaks[200000] / 1e6,
                               "bytes_per_table": per_table}
            results["memory"] = memory

        say("neonlint scaling (release build, median of %d runs; ratios measured in this run)" % args.rounds)
        say()
        say(f"1. report of one file, {small:,} vs {large:,} tables")
        for tables in (small, large):
            row = results[f"report_{tables}"]
            say(f"   {tables:>7,} tables: human {row['human_s']:.3f} s, gcc {row['gcc_s']:.3f} s")
        say(f"   ratio 10x input: human {human_ratio:.1f}, gcc {gcc_ratio:.1f} (linear: about 10)")
        say(f"   human / gcc at {large:,} tables: "
            f"{results[f'report_{large}']['human_s'] / results[f'report_{large}']['gcc_s']:.1f}")
        say()
        row = results["ignores"]
        say(f"2. [[ignore]] matching, {row['tables']:,} tables")
        say(f"   none {row['none_s']:.3f} s, 10,000 entries {row['10k_s']:.3f} s, "
            f"100,000 entries {row['100k_s']:.3f} s")
        say(f"   ratio of the time the entries add, 100,000 vs 10,000: {ignore_ratio:.1f} (linear: about 10)")
        say()
        say("3. memory per table (peak RSS difference, 200,000 vs 50,000 tables)")
        for fmt, row in memory.items():
            say(f"   --format {fmt:<5}: {row['peak_50k_mb']:.0f} MB and {row['peak_200k_mb']:.0f} MB, "
                f"{row['bytes_per_table']:.0f} bytes per table (target under {MEMORY_TARGET})")
        results["ratios"] = {"human": human_ratio, "gcc": gcc_ratio, "ignores": ignore_ratio}
        if args.json:
            with open(args.json, "w") as out:
                json.dump(results, out, indent=2)
        linear = all(ratio < LINEAR_LIMIT for ratio in results["ratios"].values())
        return 0 if linear else 1
    except Failure as failure:
        print(f"scale.py: {failure}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
