"""The spot-check service's benchmark: how long the index takes to load and how much
memory it holds, against the audit of the same export, and how fast lookups are
answered under load.

    cargo build --release
    python3 bench/serve.py --rows 20000000          # needs wrk: apt-get install wrk

On the export `stayaudit generate --persons ROWS/18 --seed 1` (bench/run.py's file):

- the audit, `audit FILE -o /dev/null --rejects /dev/null -q`, fastest of --repeat runs,
  with its peak RSS (wait4);
- `serve FILE --access-log LOG`: wall time from the start of the process until /readyz
  answers 200 (polled every 10 ms), and the service's peak RSS (VmHWM) once loaded and
  after the load test;
- wrk with --connections clients (8) on 2 threads for --duration seconds, each request
  for a random person (bench/serve_random_person.lua), over loopback, client and service
  on the same 2 cores: requests a second, and the client's p50/p99 latency; then the
  service's own `query_ms` of every lookup from the access log (p50/p99/max);
- every answer counted by status: all must be 200 (the persons asked for all exist).

Prints a Markdown table row and a JSON line; BENCHMARKS.md has the figures.
"""
import argparse
import json
import os
import pathlib
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from run import BINARY, ROWS_PER_PERSON, generate, measure  # noqa: E402


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def peak_rss_mib(pid):
    for line in pathlib.Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM")


def ready(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
            sock.sendall(f"GET /readyz HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n".encode())
            return sock.recv(64).startswith(b"HTTP/1.1 200")
    except OSError:
        return False


WRK_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3}


def wrk_latency_ms(output, percent):
    match = re.search(rf"^\s+{percent}%\s+([\d.]+)(us|ms|s)\s*$", output, re.M)
    return float(match.group(1)) * WRK_UNITS[match.group(2)]


def percentile(sorted_values, share):
    return sorted_values[min(len(sorted_values) - 1, int(share * len(sorted_values)))]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=20_000_000)
    parser.add_argument("--repeat", type=int, default=3, help="audit runs and service loads; the fastest counts")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--duration", type=int, default=20, help="seconds of load")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("bench/serve.py needs wrk: apt-get install wrk")
    path = generate(args.rows)
    persons = max(args.rows // ROWS_PER_PERSON, 1)

    audits = [measure("audit", [str(BINARY), "audit", str(path), "-o", "/dev/null", "--rejects", "/dev/null", "-q"])
              for _ in range(args.repeat)]
    audit_seconds = min(seconds for seconds, _ in audits)
    audit_mib = max(mib for _, mib in audits)

    work = pathlib.Path(tempfile.mkdtemp(prefix="stayaudit-serve-bench-"))
    loads = []
    for attempt in range(args.repeat):
        port = free_port()
        log = work / f"access-{attempt}.jsonl"
        started = time.perf_counter()
        service = subprocess.Popen(
            [str(BINARY), "serve", str(path), "--listen", f"127.0.0.1:{port}", "--access-log", str(log), "-q"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        while not ready(port):
            if service.poll() is not None:
                sys.exit(f"serve stopped: {service.stderr.read().decode(errors='replace')}")
            time.sleep(0.01)
        load_seconds = time.perf_counter() - started
        loaded_mib = peak_rss_mib(service.pid)
        loads.append(load_seconds)
        if attempt < args.repeat - 1:
            service.terminate()
            service.wait()
    # The last service takes the load.
    environment = dict(os.environ, STAYAUDIT_PERSONS=str(persons))
    wrk = subprocess.run(
        ["wrk", "-t2", f"-c{args.connections}", f"-d{args.duration}s", "--latency", "-s",
         str(HERE / "serve_random_person.lua"), f"http://127.0.0.1:{port}"],
        capture_output=True, text=True, env=environment, check=True).stdout
    after_mib = peak_rss_mib(service.pid)
    service.terminate()
    if service.wait(timeout=30) != 0:
        sys.exit(f"serve did not stop cleanly: {service.stderr.read().decode(errors='replace')}")
    requests_per_second = float(re.search(r"Requests/sec:\s+([\d.]+)", wrk).group(1))
    if "Non-2xx" in wrk or "Socket errors" in wrk:
        sys.exit(f"not every request was answered with 200:\n{wrk}")
    records = [json.loads(line) for line in log.read_text().splitlines()]
    statuses = {}
    for record in records:
        statuses[record["status"]] = statuses.get(record["status"], 0) + 1
    if set(statuses) != {200}:
        sys.exit(f"answers by status: {statuses}")
    query_ms = sorted(record["query_ms"] for record in records)
    shutil.rmtree(work)

    result = {
        "rows": args.rows,
        "persons": persons,
        "audit_seconds": round(audit_seconds, 2),
        "audit_peak_mib": round(audit_mib),
        "load_seconds": round(min(loads), 2),
        "loads": [round(seconds, 2) for seconds in loads],
        "load_over_audit": round(min(loads) / audit_seconds, 2),
        "loaded_peak_mib": round(loaded_mib),
        "peak_mib_after_load_test": round(after_mib),
        "peak_over_audit": round(after_mib / audit_mib, 2),
        "connections": args.connections,
        "lookups": len(records),
        "requests_per_second": round(requests_per_second),
        "client_p50_ms": wrk_latency_ms(wrk, 50),
        "client_p99_ms": wrk_latency_ms(wrk, 99),
        "query_ms_p50": round(percentile(query_ms, 0.50), 3),
        "query_ms_p99": round(percentile(query_ms, 0.99), 3),
        "query_ms_max": round(query_ms[-1], 3),
    }
    print("| rows | audit s | audit MiB | load s (1.5x audit) | serve MiB | req/s | client p50 / p99 ms | query_ms p50 / p99 / max |")
    print("|---|---|---|---|---|---|---|---|")
    print(f"| {args.rows:,} | {result['audit_seconds']} | {result['audit_peak_mib']} | {result['load_seconds']} "
          f"({result['load_over_audit']}x) | {result['peak_mib_after_load_test']} ({result['peak_over_audit']}x) | "
          f"{result['requests_per_second']:,} | {result['client_p50_ms']} / {result['client_p99_ms']} | "
          f"{result['query_ms_p50']} / {result['query_ms_p99']} / {result['query_ms_max']} |")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
