#!/usr/bin/env python3
"""Runs `stayaudit audit` as N person shards on Dask, then merges them into one run's
outputs.

    python3 tools/dask_audit.py --shards N [--scheduler ADDRESS] [--workdir DIR] -- AUDIT_ARGS...

AUDIT_ARGS are `stayaudit audit`'s: the inputs and options, and the outputs the merged
result goes to (-o, --rejects, --due, --summary; --fail-on-flagged and -q are the
merge's too). Each of the N tasks runs the stayaudit binary (from $STAYAUDIT, else PATH)
with `--shard K/N` and its outputs in WORKDIR/shard-K-of-N/, on a worker that sees the
same files at the same paths (shared storage: the inputs, WORKDIR). A task depends only
on (inputs, K, N): it writes into a folder of its own attempt and renames it into place
at the end, so a retried or duplicated task is harmless (the first to finish wins, the
others are dropped). When every shard is in, `stayaudit merge` runs here and writes the
outputs AUDIT_ARGS name: byte for byte what one `stayaudit audit AUDIT_ARGS` writes.

Without --scheduler a LocalCluster of two worker processes is started here and stopped
at the end. With one (`tcp://host:8786`), the same tasks go to that cluster: one started
by `dask scheduler` and `dask worker`, by dask-jobqueue on Slurm or PBS, or by
dask-kubernetes. The exit status is the merge's (0, 1 with --fail-on-flagged and someone
flagged, 2 on an error); a shard that fails after its retries fails the run with its
stderr.
"""
import argparse
import os
import shutil
import subprocess
import sys
import uuid

# Audit options whose value is an output: each shard writes its own, merge writes these.
OUTPUTS = {"-o": "report", "--out": "report", "--rejects": "rejects", "--due": "due", "--summary": "summary"}
# Options of the audit that merge takes too.
MERGE_FLAGS = {"--fail-on-flagged", "-q", "--quiet"}
SHARD_FILES = {"report": "report", "rejects": "rejects.csv", "due": "due", "summary": "summary.json"}


def split_outputs(args):
    """AUDIT_ARGS -> (the other arguments, {output name: path})."""
    rest, outputs = [], {}
    i = 0
    while i < len(args):
        arg = args[i]
        name, value = arg, None
        if arg.startswith("--") and "=" in arg:
            name, value = arg.split("=", 1)
        if name in OUTPUTS:
            if value is None:
                if i + 1 >= len(args):
                    sys.exit(f"dask_audit: {name} needs a value")
                value = args[i + 1]
                i += 1
            outputs[OUTPUTS[name]] = value
        elif name in ("--shard", "--shard-index-from-env", "--shards"):
            sys.exit(f"dask_audit: {name} is this tool's to set")
        else:
            rest.append(arg)
        i += 1
    return rest, outputs


def extension_of(path):
    base = os.path.basename(path)
    return base[base.index("."):] if "." in base else ""


def run_shard(binary, args, outputs, index, count, workdir, cwd):
    """One shard, published whole: returns its summary's path."""
    final = os.path.join(workdir, f"shard-{index}-of-{count}")
    summary = os.path.join(final, SHARD_FILES["summary"])
    if os.path.exists(summary):
        return summary  # an earlier attempt finished it
    attempt = os.path.join(workdir, f".shard-{index}-of-{count}.{uuid.uuid4().hex}")
    os.makedirs(attempt)
    command = [binary, "audit", *args, "--shard", f"{index}/{count}", "-q"]
    # Every shard writes a report (the merged one may go to standard output), and the
    # other outputs asked for; each keeps the output's extension, which sets its format.
    for name, flag in (("report", "-o"), ("rejects", "--rejects"), ("due", "--due")):
        if name == "report" or name in outputs:
            extension = "" if name == "rejects" else extension_of(outputs.get(name, "report.csv"))
            command += [flag, os.path.join(attempt, SHARD_FILES[name] + extension)]
    command += ["--summary", os.path.join(attempt, SHARD_FILES["summary"])]
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True)
    if done.returncode != 0:
        shutil.rmtree(attempt, ignore_errors=True)
        raise RuntimeError(f"shard {index}/{count} failed ({done.returncode}): {done.stderr.strip()}")
    try:
        os.rename(attempt, final)
    except OSError:
        # Another attempt published first: its files are the same bytes.
        shutil.rmtree(attempt, ignore_errors=True)
    return summary


def main():
    argv = sys.argv[1:]
    if "--" not in argv:
        sys.exit(__doc__)
    split = argv.index("--")
    parser = argparse.ArgumentParser(description="stayaudit's shards on Dask")
    parser.add_argument("--shards", type=int, required=True)
    parser.add_argument("--scheduler", help="a Dask scheduler's address; default: a LocalCluster here")
    parser.add_argument("--workdir", default="stayaudit-shards", help="shared folder for the shards' files")
    parser.add_argument("--retries", type=int, default=2, help="times Dask runs a failed shard again")
    options = parser.parse_args(argv[:split])
    audit_args = argv[split + 1:]
    if options.shards < 1:
        sys.exit("dask_audit: --shards is at least 1")
    binary = os.environ.get("STAYAUDIT") or shutil.which("stayaudit")
    if not binary:
        sys.exit("dask_audit: no stayaudit binary: set STAYAUDIT or put it on PATH")
    binary = os.path.abspath(binary)
    rest, outputs = split_outputs(audit_args)
    merge_flags = [arg for arg in rest if arg in MERGE_FLAGS]
    shard_args = [arg for arg in rest if arg not in MERGE_FLAGS]
    workdir = os.path.abspath(os.path.join(options.workdir, f"run-{uuid.uuid4().hex[:12]}"))
    os.makedirs(workdir)
    cwd = os.getcwd()

    from dask.distributed import Client, LocalCluster

    cluster = None
    if options.scheduler:
        client = Client(options.scheduler)
    else:
        cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
        client = Client(cluster)
    try:
        futures = [
            client.submit(run_shard, binary, shard_args, outputs, index, options.shards, workdir, cwd,
                          key=f"stayaudit-shard-{index}-of-{options.shards}-{os.path.basename(workdir)}",
                          retries=options.retries, pure=False)
            for index in range(options.shards)
        ]
        summaries = client.gather(futures)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    command = [binary, "merge", *summaries]
    for name, flag in (("report", "-o"), ("rejects", "--rejects"), ("due", "--due"), ("summary", "--summary")):
        if name in outputs:
            command += [flag, outputs[name]]
    command += merge_flags
    merged = subprocess.run(command, cwd=cwd)
    if merged.returncode in (0, 1):
        shutil.rmtree(workdir, ignore_errors=True)
    sys.exit(merged.returncode)


if __name__ == "__main__":
    main()
