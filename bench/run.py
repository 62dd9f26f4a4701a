#!/usr/bin/env python3
"""Time `neonlint check` against squawk on a generated Supabase migration folder.

    python3 bench/run.py [--rounds 5] [--files 2000] [--seed 1]
                         [--neonlint-only | --squawk-only] [--no-targets] [--json FILE]

Builds neonlint in release mode, installs squawk (`pip install squawk-cli`) into
bench/.venv, generates the corpus into bench/.corpus/ (reused while its parameters and
bench/gen_corpus.py are unchanged), runs each tool once to warm up and to check its
output, then runs them in turn for --rounds rounds. Each run is a subprocess with stdout
and stderr sent to /dev/null; wall time comes from time.perf_counter() around the run and
peak memory from os.wait4() (ru_maxrss, KiB on Linux).

Exit status: 0 when the targets hold (neonlint's median wall time under half of squawk's,
its peak RSS under 200 MB), 1 when one does not (skip the check with --no-targets), 2 when
a build, an install or a tool run fails. Standard library only.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

BENCH = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(BENCH)
VENV = os.path.join(BENCH, ".venv")
CORPUS_CACHE = os.path.join(BENCH, ".corpus")
GENERATOR = os.path.join(BENCH, "gen_corpus.py")
NEONLINT = os.path.join(ROOT, "target", "release", "neonlint")

WALL_RATIO_TARGET = 0.5      # neonlint median / squawk median must be below this
RSS_TARGET_MB = 200          # neonlint peak RSS must be below this many MB (10^6 bytes)


class Failure(Exception):
    """A step failed; the message says which and why. Exit status 2."""


def say(message=""):
    print(message, flush=True)


def step(message):
    print(f"==> {message}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------
# Preparation


def build_neonlint():
    step("cargo build --release")
    proc = subprocess.run(["cargo", "build", "--release"], cwd=ROOT, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True)
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout[-8000:])
        raise Failure(f"cargo build --release failed (exit {proc.returncode})")
    if not os.access(NEONLINT, os.X_OK):
        raise Failure(f"cargo build succeeded but {NEONLINT} is missing")
    return version_of([NEONLINT, "--version"])


def ensure_squawk(spec):
    squawk = os.path.join(VENV, "bin", "squawk")
    if not os.access(squawk, os.X_OK):
        python = os.path.join(VENV, "bin", "python")
        if not os.access(python, os.X_OK):
            step(f"creating {os.path.relpath(VENV, ROOT)}")
            run_checked([sys.executable, "-m", "venv", VENV], "python3 -m venv")
        step(f"pip install {spec}")
        run_checked([python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", spec],
                    f"pip install {spec}")
        if not os.access(squawk, os.X_OK):
            raise Failure(f"pip installed {spec} but {squawk} is missing")
    ignore_folder(VENV)
    return squawk, version_of([squawk, "--version"])


def run_checked(cmd, what):
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout[-8000:])
        raise Failure(f"{what} failed (exit {proc.returncode})")
    return proc.stdout


def version_of(cmd):
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    text = proc.stdout.strip().splitlines()
    return text[0] if proc.returncode == 0 and text else "unknown version"


def file_sha256(path):
    with open(path, "rb") as fh:
        return hashlib.sha256(fh.read()).hexdigest()


def ensure_corpus(files, seed, size_mb, fresh):
    """The corpus directory and its corpus.json stats, generated unless a matching one exists."""
    key = f"files{files}-seed{seed}" + (f"-{size_mb:g}mb" if size_mb is not None else "")
    out = os.path.join(CORPUS_CACHE, key)
    stats_path = os.path.join(out, "corpus.json")
    want_mb = size_mb if size_mb is not None else 0.012 * files
    if not fresh and os.path.isfile(stats_path):
        with open(stats_path) as fh:
            stats = json.load(fh)
        mig = os.path.join(out, stats.get("migrations_dir", "supabase/migrations"))
        same = (stats.get("files") == files and stats.get("seed") == seed
                and abs(stats.get("size_mb", -1) - want_mb) < 1e-9
                and stats.get("generator_sha256") == file_sha256(GENERATOR)
                and os.path.isdir(mig) and len(sql_files(mig)) == files)
        if same:
            step(f"reusing corpus {os.path.relpath(out, ROOT)}")
            return out, stats
    step(f"generating corpus into {os.path.relpath(out, ROOT)}")
    if os.path.isdir(out):
        shutil.rmtree(out)
    os.makedirs(CORPUS_CACHE, exist_ok=True)
    ignore_folder(CORPUS_CACHE)
    cmd = [sys.executable, GENERATOR, out, "--files", str(files), "--seed", str(seed)]
    if size_mb is not None:
        cmd += ["--size-mb", str(size_mb)]
    run_checked(cmd, "bench/gen_corpus.py")
    with open(stats_path) as fh:
        return out, json.load(fh)


def ignore_folder(folder):
    """A `*` .gitignore inside a generated folder keeps it out of git without touching the repo's."""
    if os.path.isdir(folder) and not os.path.exists(os.path.join(folder, ".gitignore")):
        with open(os.path.join(folder, ".gitignore"), "w") as fh:
            fh.write("# created by bench/run.py\n*\n")


def sql_files(folder):
    return sorted(os.path.join(folder, name) for name in os.listdir(folder) if name.endswith(".sql"))


# ---------------------------------------------------------------------------------------
# Measuring


def measure(cmd, cwd, stdout=None, stderr=None):
    """Run cmd once; (exit code, wall seconds, peak RSS in KiB, CPU seconds user+sys).

    stdout and stderr are open files (default /dev/null). The child is started with a plain
    fork() and exec, not with subprocess: subprocess uses vfork(), and Linux then records the
    *parent's* peak RSS as the child's starting ru_maxrss. After fork() the floor is this
    script's current resident size (about 10 MB; `report` prints it), far below the targets.
    """
    devnull = os.open(os.devnull, os.O_RDWR)
    out = stdout.fileno() if stdout is not None else devnull
    err = stderr.fileno() if stderr is not None else devnull
    start = time.perf_counter()
    pid = os.fork()
    if pid == 0:  # child: nothing here may return
        try:
            os.chdir(cwd)
            os.dup2(devnull, 0)
            os.dup2(out, 1)
            os.dup2(err, 2)
            os.execv(cmd[0], cmd)
        finally:
            os._exit(127)
    _, status, usage = os.wait4(pid, 0)
    wall = time.perf_counter() - start
    os.close(devnull)
    return os.waitstatus_to_exitcode(status), wall, usage.ru_maxrss, usage.ru_utime + usage.ru_stime


class Tool:
    def __init__(self, name, version, cmd, ok_codes):
        self.name = name
        self.version = version
        self.cmd = cmd
        self.ok_codes = ok_codes
        self.walls: list[float] = []
        self.rss_kib: list[int] = []
        self.cpus: list[float] = []
        self.note = ""

    def check_code(self, code, cwd):
        if code in self.ok_codes:
            return
        # Timed runs discard stderr; run once more to show what went wrong.
        try:
            proc = subprocess.run(self.cmd, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.PIPE, text=True, errors="replace")
            sys.stderr.write(proc.stderr[-8000:])
        except OSError as error:
            sys.stderr.write(f"{error}\n")
        how = f"killed by signal {-code}" if code < 0 else f"exit {code}"
        raise Failure(f"{self.name} failed ({how}); its stderr is above")

    def run(self, cwd):
        code, wall, rss, cpu = measure(self.cmd, cwd)
        self.check_code(code, cwd)
        self.walls.append(wall)
        self.rss_kib.append(rss)
        self.cpus.append(cpu)

    @property
    def median(self):
        return statistics.median(self.walls)

    @property
    def cpu_median(self):
        return statistics.median(self.cpus)

    @property
    def peak_mb(self):
        return max(self.rss_kib) * 1024 / 1e6


def warm_up_neonlint(tool, cwd, stats):
    """Untimed first run: checks the JSON report and that every file and statement was read."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        code, wall, _, _ = measure(tool.cmd, cwd, stdout=out, stderr=err)
        if code not in tool.ok_codes:
            err.seek(0)
            sys.stderr.write(err.read()[-8000:])
            raise Failure(f"neonlint failed in the warm-up run (exit {code}); its stderr is above")
        out.seek(0)
        try:
            report = json.load(out)
        except ValueError as error:
            raise Failure(f"neonlint --format json did not print JSON: {error}")
    summary = report.get("summary", {}) if isinstance(report, dict) else {}
    findings = report.get("findings", []) if isinstance(report, dict) else []
    parse_errors = sum(1 for f in findings if isinstance(f, dict) and f.get("code") == "NL000")
    parts = [f"{len(findings)} findings"]
    if "files" in summary:
        parts.append(f"{summary['files']} files")
        if summary["files"] != stats["files"]:
            say(f"warning: neonlint read {summary['files']} files, the corpus has {stats['files']}")
    if "statements" in summary:
        parts.append(f"{summary['statements']} statements")
    if parse_errors:
        parts.append(f"{parse_errors} parse errors (NL000)")
    tool.note = ", ".join(parts)
    step(f"warm-up neonlint: {wall:.2f} s, {tool.note}")


def warm_up_squawk(tool, cwd, stats):
    """Untimed first run: squawk's closing line must say it checked every file."""
    checked, issues, empty = [], [], True
    with tempfile.TemporaryFile("w+", errors="replace") as out:
        code, wall, _, _ = measure(tool.cmd, cwd, stdout=out, stderr=out)
        tool.check_code(code, cwd)
        out.seek(0)
        for line in out:  # line by line: this process must stay small (see measure)
            plain = re.sub(r"\x1b\[[0-9;]*m", "", line)
            empty = empty and not plain.strip()
            checked += re.findall(r"checked (\d+) source files?", plain)
            issues += re.findall(r"Found (\d+) issues? in (\d+) files?", plain)
    if checked and int(checked[-1]) != stats["files"]:
        raise Failure(f"squawk checked {checked[-1]} files, the corpus has {stats['files']}")
    if checked:
        tool.note = f"checked {checked[-1]} files" + (f", {issues[-1][0]} issues" if issues else "")
    elif empty and code == 0:
        tool.note = "no output (no violations)"
    else:
        tool.note = "could not read squawk's file count from its output"
        say("warning: " + tool.note)
    step(f"warm-up squawk: {wall:.2f} s, {tool.note}")


# ---------------------------------------------------------------------------------------
# Reporting


def machine_info():
    model = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.lower().startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        usable = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        usable = os.cpu_count() or 0
    mem = ""
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemTotal:"):
                    mem = f"{int(line.split()[1]) / 2**20:.0f} GiB RAM"
                    break
    except OSError:
        pass
    return {"nproc": usable, "cpu": model, "memory": mem, "os": f"{platform.system()} {platform.release()}"}


def git_revision():
    proc = subprocess.run(["git", "-C", ROOT, "describe", "--always", "--dirty"], stdout=subprocess.PIPE,
                          stderr=subprocess.DEVNULL, text=True)
    return proc.stdout.strip() if proc.returncode == 0 else "unknown"


def report(tools, stats, rounds, machine, args):
    say()
    say(f"{'tool':<24} {'median (s)':>10} {'min (s)':>9} {'max (s)':>9} {'peak RSS (MB)':>14} {'CPU (s)':>9}")
    for tool in tools:
        say(f"{tool.version:<24} {tool.median:>10.3f} {min(tool.walls):>9.3f} {max(tool.walls):>9.3f} "
            f"{tool.peak_mb:>14.1f} {tool.cpu_median:>9.3f}")
    say("(wall: elapsed time; CPU: user + system time summed over all threads, median)")
    say(f"(peak RSS floor of this harness, measured on `true`: {machine['rss_floor_mb']:.1f} MB)")
    by_name = {tool.name: tool for tool in tools}
    ratio = None
    if "neonlint" in by_name and "squawk" in by_name:
        ratio = by_name["neonlint"].median / by_name["squawk"].median
        say(f"\nneonlint / squawk median wall time: {ratio:.3f}")

    neon = by_name.get("neonlint")
    verdicts = []
    if neon is not None:
        if ratio is not None:
            verdicts.append(("wall < 0.5 x squawk", ratio < WALL_RATIO_TARGET, f"{ratio:.3f} x"))
        verdicts.append((f"peak RSS < {RSS_TARGET_MB} MB", neon.peak_mb < RSS_TARGET_MB, f"{neon.peak_mb:.1f} MB"))

    mb = stats["bytes"] / 1e6
    say("\n----- summary (paste into README.md) -----")
    say(f"Corpus: {stats['files']:,} Supabase migration files, {mb:.1f} MB, {stats['statements']:,} statements "
        f"(`bench/gen_corpus.py --files {stats['files']} --seed {stats['seed']}`)")
    say(f"Machine: {machine['nproc']} CPUs, {machine['cpu']}" + (f", {machine['memory']}" if machine["memory"] else "")
        + f", {machine['os']}")
    say(f"Median of {rounds} rounds, tools run in turn in the same session:")
    say("")
    say("| tool | median wall | min | max | peak RSS | CPU time |")
    say("| --- | ---: | ---: | ---: | ---: | ---: |")
    for tool in tools:
        say(f"| {tool.version} | {tool.median:.3f} s | {min(tool.walls):.3f} s | {max(tool.walls):.3f} s | "
            f"{tool.peak_mb:.0f} MB | {tool.cpu_median:.3f} s |")
    say("")
    if ratio is not None:
        say(f"neonlint / squawk wall time: {ratio:.3f} ({1 / ratio:.1f}x faster), measured in the same run")
    for label, ok, value in verdicts:
        say(f"Target {label}: {'PASS' if ok else 'FAIL'} ({value})")
    say(f"neonlint revision: {git_revision()}")
    say("------------------------------------------")

    if args.json:
        data = {
            "corpus": stats, "rounds": rounds, "machine": machine, "ratio_neonlint_over_squawk": ratio,
            "tools": {t.name: {"version": t.version, "cmd": t.cmd[:4] + (["..."] if len(t.cmd) > 4 else []),
                               "walls_s": t.walls, "rss_kib": t.rss_kib, "cpu_s": t.cpus, "median_s": t.median,
                               "peak_rss_mb": t.peak_mb, "warm_up": t.note} for t in tools},
            "targets": {label: ok for label, ok, _ in verdicts},
        }
        with open(args.json, "w") as fh:
            json.dump(data, fh, indent=2)
            fh.write("\n")
    return all(ok for _, ok, _ in verdicts)


# ---------------------------------------------------------------------------------------


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5, help="timed rounds per tool (default 5)")
    parser.add_argument("--files", type=int, default=2000, help="corpus size in files (default 2000)")
    parser.add_argument("--seed", type=int, default=1, help="corpus seed (default 1)")
    parser.add_argument("--size-mb", type=float, default=None,
                        help="corpus size in MB (default 12 KB per file, so 24 MB for 2000 files)")
    only = parser.add_mutually_exclusive_group()
    only.add_argument("--neonlint-only", action="store_true", help="skip squawk (no ratio)")
    only.add_argument("--squawk-only", action="store_true", help="skip neonlint and its build")
    parser.add_argument("--no-targets", action="store_true", help="report only; exit 0 even when a target is missed")
    parser.add_argument("--no-build", action="store_true",
                        help="use the existing target/release/neonlint instead of running cargo build --release")
    parser.add_argument("--fresh-corpus", action="store_true", help="regenerate the corpus even when a cached one fits")
    parser.add_argument("--squawk-spec", default="squawk-cli",
                        help="what to pip install into bench/.venv when squawk is missing (default squawk-cli; "
                             "e.g. squawk-cli==2.70.0)")
    parser.add_argument("--json", metavar="FILE", help="also write the raw timings to FILE")
    args = parser.parse_args(argv)
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")

    try:
        tools = []
        neon_version = None
        if not args.squawk_only:
            if args.no_build:
                if not os.access(NEONLINT, os.X_OK):
                    raise Failure(f"--no-build: {NEONLINT} does not exist")
                neon_version = version_of([NEONLINT, "--version"])
            else:
                neon_version = build_neonlint()
            say(f"neonlint: {neon_version}")
        squawk = squawk_version = None
        if not args.neonlint_only:
            squawk, squawk_version = ensure_squawk(args.squawk_spec)
            say(f"squawk: {squawk_version}")

        corpus, stats = ensure_corpus(args.files, args.seed, args.size_mb, args.fresh_corpus)
        migrations = os.path.join(corpus, stats.get("migrations_dir", "supabase/migrations"))
        say(f"corpus: {migrations}: {stats['files']} files, {stats['bytes'] / 1e6:.2f} MB, "
            f"{stats['statements']} statements")

        if neon_version is not None:
            tools.append(Tool("neonlint", neon_version,
                              [NEONLINT, "check", migrations, "--format", "json"], ok_codes=(0, 1)))
        if squawk is not None:
            # squawk lints every file it is given and exits 1 when it found violations.
            tools.append(Tool("squawk", squawk_version, [squawk, *sql_files(migrations)], ok_codes=(0, 1)))

        machine = machine_info()
        say(f"machine: {machine['nproc']} CPUs, {machine['cpu']}, {machine['memory']}, {machine['os']}")

        # Run from an empty folder so that no neonlint.toml or .squawk.toml up the tree applies.
        with tempfile.TemporaryDirectory(prefix="neonlint-bench-") as cwd:
            true = shutil.which("true") or "/bin/true"
            machine["rss_floor_mb"] = measure([true], cwd)[2] * 1024 / 1e6
            for tool in tools:
                if tool.name == "neonlint":
                    warm_up_neonlint(tool, cwd, stats)
                else:
                    warm_up_squawk(tool, cwd, stats)
            for round_no in range(args.rounds):
                # Alternate which tool goes first so neither always follows the other.
                order = tools if round_no % 2 == 0 else list(reversed(tools))
                for tool in order:
                    tool.run(cwd)
                line = ", ".join(f"{t.name} {t.walls[-1]:.3f} s / {t.rss_kib[-1] * 1024 / 1e6:.0f} MB" for t in tools)
                step(f"round {round_no + 1}/{args.rounds}: {line}")

        ok = report(tools, stats, args.rounds, machine, args)
    except Failure as failure:
        print(f"error: {failure}", file=sys.stderr)
        return 2
    if not ok and not args.no_targets:
        print("error: neonlint missed a performance target (see above); --no-targets to report only",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
