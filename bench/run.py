"""The benchmark: stayaudit against the floor (polars reading the CSV, nothing else) and
the alternative an analyst would write (duckdb_audit.sql), on the same generated export.

    python3 -m venv bench/.venv && bench/.venv/bin/pip install -r bench/requirements.txt
    cargo build --release
    bench/.venv/bin/python bench/run.py --rows 1000000 5000000 20000000

Wall time and peak memory (the child's max RSS, from wait4) are measured on one fresh
process per measurement. Before timing anything, the DuckDB query is checked to flag exactly the
persons stayaudit flags on a small file. Generated files are kept in bench/data/.
"""
import argparse
import os
import pathlib
import platform
import subprocess
import sys
import time

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent
BINARY = ROOT / "target" / "release" / "stayaudit"
DATA = HERE / "data"
ROWS_PER_PERSON = 18  # what `stayaudit generate` writes on average

POLARS_READ = "import polars as pl, sys; print(pl.read_csv(sys.argv[1], infer_schema_length=0).height)"


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


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000, 5_000_000, 20_000_000])
    parser.add_argument("--skip-duckdb-above", type=int, default=None, help="rows above which DuckDB is not run")
    args = parser.parse_args()
    if not BINARY.exists():
        sys.exit(f"build first: cargo build --release (no {BINARY})")

    small = generate(50_000)
    ours, theirs = flagged_by_stayaudit(small), flagged_by_duckdb(small)
    if ours != theirs:
        sys.exit(f"DuckDB query and stayaudit disagree on {small}: {len(ours)} vs {len(theirs)} flagged")
    print(f"check: DuckDB query and stayaudit flag the same {len(ours)} persons in {small.name}")
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.processor())
    print(f"machine: {cpu}, {subprocess.run(['nproc'], capture_output=True, text=True).stdout.strip()} cores, Python {platform.python_version()}")

    print("| rows | CSV MB | stayaudit s | MiB | polars read s | MiB | DuckDB s | MiB | audit/read time | audit/read mem | DuckDB/audit time | 1 thread s | 1/2 threads |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for rows in args.rows:
        path = generate(rows)
        size_mb = path.stat().st_size / 1e6
        audit = [str(BINARY), "audit", str(path), "-o", "/dev/null", "--rejects", "/dev/null", "--summary", str(DATA / "summary.json"), "-q"]
        audit_s, audit_mb = measure("stayaudit", audit)
        single_s, _ = measure("stayaudit --threads 1", audit + ["--threads", "1"])
        read_s, read_mb = measure("polars read", [sys.executable, "-c", POLARS_READ, str(path)])
        if args.skip_duckdb_above is None or rows <= args.skip_duckdb_above:
            duck_s, duck_mb = measure("duckdb", [sys.executable, str(HERE / "duckdb_audit.py"), str(path), "--count"])
            duck = f"{duck_s:.1f} | {duck_mb:.0f} | " 
            ratio = f"{duck_s / audit_s:.1f}x"
        else:
            duck, ratio = "- | - | ", "-"
        print(
            f"| {rows:,} | {size_mb:.0f} | {audit_s:.1f} | {audit_mb:.0f} | {read_s:.1f} | {read_mb:.0f} | {duck}"
            f"{audit_s / read_s:.2f} | {audit_mb / read_mb:.2f} | {ratio} | {single_s:.1f} | {single_s / audit_s:.2f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
