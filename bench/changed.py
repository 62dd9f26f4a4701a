#!/usr/bin/env python3
"""Time the pre-commit path: checking one changed file of a large folder (issue 17).

    python3 bench/changed.py [--no-build] [--rounds 5] [--files 2000] [--no-targets] [--json FILE]

`neonlint check FILE` replays the whole folder (a migration's meaning depends on the ones
before it) and reports what FILE causes or touches. This script generates the DDL-dense
corpus of `gen_ddl_corpus.py` (2,000 Supabase files, ten tables with RLS, policies, grants
and a trigger function each) and measures, in one run and as medians of `--rounds`:

1. the whole folder with `--no-cache`: every file parsed (a CI run on a fresh machine);
2. the whole folder with a warm parse cache;
3. the newest file alone, with a warm cache (the pre-commit hook after one edit);
4. a file from the middle of the folder, with a warm cache.

The cache lives in a temporary directory (NEONLINT_CACHE_DIR) and is warmed by one
untimed run. Ratios are against (1), the baseline measured in the same run. The target
(TARGET) is for (3); exit status 1 when it is missed (unless --no-targets), 2 when a
build or a run fails. Standard library only.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile

BENCH = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(BENCH)
NEONLINT = os.path.join(ROOT, "target", "release", "neonlint")
sys.path.insert(0, BENCH)
from run import Failure  # noqa: E402
from scale import build, say, step, timed  # noqa: E402

# One changed file should cost at most this fraction of checking the whole folder cold.
TARGET = 0.1


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--no-build", action="store_true", help="use target/release/neonlint as it is")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--files", type=int, default=2000)
    parser.add_argument("--no-targets", action="store_true", help="report only; exit 0 on a missed target")
    parser.add_argument("--json", metavar="FILE", help="also write the numbers as JSON")
    args = parser.parse_args(argv)
    try:
        if not args.no_build:
            build()
        with tempfile.TemporaryDirectory(prefix="neonlint-changed-") as work:
            corpus = os.path.join(work, "corpus")
            step(f"generating {args.files} files")
            subprocess.run([sys.executable, os.path.join(BENCH, "gen_ddl_corpus.py"), corpus,
                            "--files", str(args.files)], check=True, stdout=subprocess.DEVNULL)
            folder = os.path.join(corpus, "supabase", "migrations")
            files = sorted(os.listdir(folder))
            size = sum(os.path.getsize(os.path.join(folder, name)) for name in files)
            newest = os.path.join(folder, files[-1])
            middle = os.path.join(folder, files[len(files) // 2])
            os.environ["NEONLINT_CACHE_DIR"] = os.path.join(work, "cache")
            check = [NEONLINT, "check", "--format", "json"]
            step("warming the cache")
            timed(check + [folder], work, 1)
            cases = [
                ("whole folder, no cache (baseline)", check + ["--no-cache", folder]),
                ("whole folder, warm cache", check + [folder]),
                ("newest file, warm cache", check + [newest]),
                ("middle file, warm cache", check + [middle]),
            ]
            results = []
            for label, cmd in cases:
                step(label)
                wall, peak = timed(cmd, work, args.rounds)
                results.append({"case": label, "median_wall_s": wall, "peak_rss_bytes": peak})
    except (Failure, subprocess.CalledProcessError) as error:
        print(f"changed.py: {error}", file=sys.stderr)
        return 2
    baseline = results[0]["median_wall_s"]
    say(f"corpus: {len(files)} files, {size / 1e6:.1f} MB; nproc {os.cpu_count()}; median of {args.rounds}")
    say("| case | median wall | ratio to baseline | peak RSS |")
    say("| --- | ---: | ---: | ---: |")
    for result in results:
        result["ratio"] = result["median_wall_s"] / baseline
        say(f"| {result['case']} | {result['median_wall_s']:.2f} s | {result['ratio']:.2f}x | "
            f"{result['peak_rss_bytes'] / 1e6:.0f} MB |")
    newest_ratio = results[2]["ratio"]
    met = newest_ratio <= TARGET
    say(f"target: newest file at most {TARGET}x the baseline: {'met' if met else 'MISSED'} ({newest_ratio:.2f}x)")
    if args.json:
        with open(args.json, "w") as out:
            json.dump({"files": len(files), "bytes": size, "results": results, "target": TARGET}, out, indent=2)
    return 0 if met or args.no_targets else 1


if __name__ == "__main__":
    sys.exit(main())
