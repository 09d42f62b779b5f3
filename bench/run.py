"""The benchmark: stayaudit against the floor (polars reading the CSV, nothing else) and
the alternative an analyst would write (duckdb_audit.sql), on the same generated export.

    python3 -m venv bench/.venv && bench/.venv/bin/pip install -r bench/requirements.txt
    cargo build --release
    bench/.venv/bin/python bench/run.py --rows 1000000 5000000 20000000

Wall time and peak memory (the child's max RSS, from wait4) are measured on one fresh
process per measurement; with --repeat N each program runs N times, interleaved, and the
fastest run counts (this machine's timings vary from run to run; the fastest is the
least disturbed). stayaudit runs with all cores and with --threads 1; its summary's
stage_seconds give each stage's time, so the table shows how read, group and evaluate
scale with threads. Before timing anything, the DuckDB query is checked to flag exactly
the persons stayaudit flags on a small file.

--reference BINARY also runs another stayaudit build (say, the last release) on every
file and checks that the report, the rejects file and the summary (timings aside) are
byte-identical to this build's, at 1, 2 and 8 threads. Generated files are kept in
bench/data/.
"""
import argparse
import json
import os
import pathlib
import platform
import subprocess
import sys
import tempfile
import time

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent
BINARY = pathlib.Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target")) / "release" / "stayaudit"
DATA = HERE / "data"
ROWS_PER_PERSON = 18  # what `stayaudit generate` writes on average

POLARS_READ = "import polars as pl, sys; print(pl.read_csv(sys.argv[1], infer_schema_length=0).height)"
STAGES = ("read", "group", "evaluate", "write")


def measure(label, command):
    """Runs a command: (wall seconds, peak MiB). wait4 gives this child's own peak RSS."""
    started = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    stderr = child.stderr.read()
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"{label} failed ({status}):\n{stderr.decode(errors='replace')[-2000:]}")
    return seconds, usage.ru_maxrss / 1024  # ru_maxrss is in KiB on Linux


def generate(rows):
    DATA.mkdir(exist_ok=True)
    path = DATA / f"crossings-{rows}.csv"
    if not path.exists():
        persons = max(rows // ROWS_PER_PERSON, 1)
        subprocess.run([str(BINARY), "generate", "--persons", str(persons), "--seed", "1", "-o", str(path)], check=True)
    return path


def flagged_by_stayaudit(path):
    report = subprocess.run([str(BINARY), "audit", str(path), "-q"], capture_output=True, text=True, check=True).stdout
    return sorted(line.split(",")[0] for line in report.splitlines()[1:])


def flagged_by_duckdb(path):
    out = subprocess.run([sys.executable, str(HERE / "duckdb_audit.py"), str(path)], capture_output=True, text=True, check=True).stdout
    return sorted(out.split())


def audit_command(binary, path, summary, threads=None):
    command = [str(binary), "audit", str(path), "-o", "/dev/null", "--rejects", "/dev/null", "--summary", str(summary), "-q"]
    return command + (["--threads", str(threads)] if threads else [])


def fastest(runs, label, command, summary=None):
    """The fastest of `runs` runs: (seconds, peak MiB, stage seconds or None)."""
    best = None
    for _ in range(runs):
        seconds, mib = measure(label, command)
        stages = json.loads(summary.read_text())["stage_seconds"] if summary else None
        if best is None or seconds < best[0]:
            best = (seconds, mib, stages)
    return best


def without_timings(summary_text):
    summary = json.loads(summary_text)
    summary.pop("stage_seconds", None)
    summary.pop("elapsed_seconds", None)
    return summary


def check_identical(reference, path):
    """This build's report, rejects and summary equal the reference build's, at 1, 2, 8 threads."""
    with tempfile.TemporaryDirectory() as tmp:
        tmp = pathlib.Path(tmp)

        def outputs(binary, name, threads):
            report, rejects, summary = (tmp / f"{name}.{kind}" for kind in ("report.csv", "rejects.csv", "summary.json"))
            command = [str(binary), "audit", str(path), "-o", str(report), "--rejects", str(rejects), "--summary", str(summary), "-q"]
            subprocess.run(command + ["--threads", str(threads)], check=True)
            return report.read_bytes(), rejects.read_bytes(), without_timings(summary.read_text())

        expected = outputs(reference, "reference", 2)
        for threads in (1, 2, 8):
            if outputs(BINARY, f"this-{threads}", threads) != expected:
                sys.exit(f"{path.name}: outputs at --threads {threads} differ from {reference}'s")
    print(f"check: {path.name}: report, rejects and summary identical to {reference} at 1, 2 and 8 threads", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000, 5_000_000, 20_000_000])
    parser.add_argument("--repeat", type=int, default=1, help="runs per measurement; the fastest counts")
    parser.add_argument("--skip-duckdb-above", type=int, default=None, help="rows above which DuckDB is not run")
    parser.add_argument("--reference", type=pathlib.Path, help="another stayaudit binary whose outputs must be identical")
    args = parser.parse_args()
    if not BINARY.exists():
        sys.exit(f"build first: cargo build --release (no {BINARY})")

    small = generate(50_000)
    ours, theirs = flagged_by_stayaudit(small), flagged_by_duckdb(small)
    if ours != theirs:
        sys.exit(f"DuckDB query and stayaudit disagree on {small}: {len(ours)} vs {len(theirs)} flagged")
    print(f"check: DuckDB query and stayaudit flag the same {len(ours)} persons in {small.name}")
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.processor())
    versions = subprocess.run([sys.executable, "-c", "import polars, duckdb; print(polars.__version__, duckdb.__version__)"],
                              capture_output=True, text=True, check=True).stdout.split()
    print(f"machine: {cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"polars {versions[0]}, duckdb {versions[1]}; fastest of {args.repeat} run(s) each", flush=True)

    rows_out = []
    for rows in args.rows:
        path = generate(rows)
        if args.reference:
            check_identical(args.reference, path)
        summary = DATA / "summary.json"
        audit_s, audit_mb, stages = fastest(args.repeat, "stayaudit", audit_command(BINARY, path, summary), summary)
        single_s, _, single = fastest(args.repeat, "stayaudit --threads 1", audit_command(BINARY, path, summary, 1), summary)
        read_s, read_mb, _ = fastest(args.repeat, "polars read", [sys.executable, "-c", POLARS_READ, str(path)])
        if args.skip_duckdb_above is None or rows <= args.skip_duckdb_above:
            duck_s, duck_mb, _ = fastest(1, "duckdb", [sys.executable, str(HERE / "duckdb_audit.py"), str(path), "--count"])
            duck, ratio = f"{duck_s:.1f} | {duck_mb:.0f}", f"{duck_s / audit_s:.1f}x"
        else:
            duck, ratio = "- | -", "-"
        stage_text = " / ".join(f"{stages[s]:.2f}" for s in STAGES)
        scaling = " / ".join(f"{single[s] / stages[s]:.2f}" for s in ("read", "group", "evaluate"))
        rows_out.append(
            f"| {rows:,} | {path.stat().st_size / 1e6:.0f} | {audit_s:.2f} | {audit_mb:.0f} | {read_s:.2f} | {read_mb:.0f} | {duck} | "
            f"{audit_s / read_s:.2f} | {audit_mb / read_mb:.2f} | {ratio} | {stage_text} | {single_s:.2f} | {single_s / audit_s:.2f} | {scaling} |"
        )
        print(rows_out[-1], flush=True)

    print()
    print("| rows | CSV MB | stayaudit s | MiB | polars read s | MiB | DuckDB s | MiB | audit/read time | audit/read mem "
          "| DuckDB/audit time | stages s (read / group / evaluate / write) | 1 thread s | 1/2 threads | 1/2 threads by stage (read / group / evaluate) |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for row in rows_out:
        print(row)


if __name__ == "__main__":
    main()
