"""Shards and passes: what one shard of N costs against the whole audit, what --passes
costs in time and saves in memory, and what merge costs.

    cargo build --release
    python3 bench/shards.py --rows 20000000 100000000 --repeat 3

On each export (bench/run.py's, `stayaudit generate --persons ROWS/18 --seed 1`), fastest
of --repeat runs, wall seconds and peak RSS (wait4) of:
- the audit in one pass: `audit FILE -o R --rejects J --summary S -q --passes 1`;
- the same with `--passes 2` and `--passes 4`;
- one shard of 8: `--shard 0/8` (each shard reads the whole export, judges 1/8 of the
  persons);
- with --merge: the 8 shards one after another, then `merge` of their summaries (the
  merge alone is timed), checked byte-identical to the one-pass report and rejects.
Every --passes run is checked byte-identical to the one-pass report and rejects.
"""
import argparse
import filecmp
import pathlib
import sys
import tempfile

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from run import BINARY, generate, measure  # noqa: E402


def fastest(repeat, label, command):
    runs = [measure(label, command) for _ in range(repeat)]
    return min(seconds for seconds, _ in runs), max(mib for _, mib in runs)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, nargs="+", default=[20_000_000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--merge", action="store_true", help="also run all 8 shards and time the merge")
    args = parser.parse_args()
    print("| rows | one pass s | MiB | --passes 2 s (x) | MiB | --passes 4 s (x) | MiB | shard 0/8 s (x) | MiB | merge of 8 s |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for rows in args.rows:
        path = generate(rows)
        work = pathlib.Path(tempfile.mkdtemp(prefix="stayaudit-shards-bench-"))

        def audit(tag, *extra):
            return [str(BINARY), "audit", str(path), "-o", str(work / f"{tag}.csv"), "--rejects",
                    str(work / f"{tag}-rejects.csv"), "--summary", str(work / f"{tag}.json"), "-q", *extra]

        def same(tag):
            for suffix in (".csv", "-rejects.csv"):
                if not filecmp.cmp(work / f"one{suffix}", work / f"{tag}{suffix}", shallow=False):
                    sys.exit(f"{tag}{suffix} differs from one pass's")

        one = fastest(args.repeat, "one pass", audit("one", "--passes", "1"))
        figures = [one]
        for passes in (2, 4):
            tag = f"passes{passes}"
            figures.append(fastest(args.repeat, tag, audit(tag, "--passes", str(passes))))
            same(tag)
        figures.append(fastest(args.repeat, "shard 0/8", audit("shard0", "--shard", "0/8")))
        merge_seconds = "-"
        if args.merge:
            for index in range(1, 8):
                measure(f"shard {index}/8", audit(f"shard{index}", "--shard", f"{index}/8"))
            seconds, _ = measure("merge", [str(BINARY), "merge", *(str(work / f"shard{i}.json") for i in range(8)),
                                           "-o", str(work / "merged.csv"), "--rejects", str(work / "merged-rejects.csv"), "-q"])
            same("merged")
            merge_seconds = f"{seconds:.2f}"
        cells = [f"{rows:,}", f"{one[0]:.2f}", f"{one[1]:.0f}"]
        for seconds, mib in figures[1:]:
            cells += [f"{seconds:.2f} ({seconds / one[0]:.2f}x)", f"{mib:.0f}"]
        cells.append(merge_seconds)
        print("| " + " | ".join(cells) + " |", flush=True)
        for file in work.iterdir():
            file.unlink()
        work.rmdir()


if __name__ == "__main__":
    main()
