#!/usr/bin/env python3
"""Self-test of tools/reference_audit.py against every worked example of docs/RULES.md
(read from the page's table) and further cases of imperfect records.

    python3 tools/test_reference_audit.py

Each case writes a small CSV in a temporary folder, runs the reference as a separate
process, parses the report back and compares the fields the case states. Exits 1 on any
failure, printing the command, the expected and the actual row.
"""

import csv
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
REFERENCE = os.path.join(HERE, "reference_audit.py")
HEADER = "person_id,nationality,direction,crossed_at,checkpoint,basis\n"


def stays_csv(stays, nat="RUS", basis="", person="P1"):
    """Rows for stays [(entry, exit_or_None)], entries at 10:00, exits at 18:00."""
    lines = [HEADER]
    for entry, exit_ in stays:
        lines.append(f"{person},{nat},entry,{entry} 10:00:00,ALA-AIRPORT,{basis}\n")
        if exit_ is not None:
            lines.append(f"{person},{nat},exit,{exit_} 18:00:00,ALA-AIRPORT,{basis}\n")
    return "".join(lines)


RULES_PAGE = os.path.join(HERE, "..", "docs", "RULES.md")


def worked_examples():
    """The table under '## Worked examples' of docs/RULES.md, as cases: dates only,
    one person P1, each stay 'entry..exit' ('entry..' open, '..exit' entry lost) with an
    optional '(basis)'; expected 'field=value' pairs, '(none)' an empty cell."""
    with open(RULES_PAGE, encoding="utf-8") as f:
        section = f.read().split("## Worked examples", 1)[1]
    rows = [line for line in section.splitlines() if line.startswith("|")][2:]
    cases = []
    for line in rows:
        ident, nat, stays, as_of, options, expected, _why = (
            c.strip() for c in line.strip().strip("|").split("|"))
        lines = [HEADER]
        for stay in stays.split(", "):
            span, _, basis = stay.partition(" (")
            basis = basis.rstrip(")")
            entry, exit_ = span.split("..")
            if entry:
                lines.append(f"P1,{nat},entry,{entry},KORDAY,{basis}\n")
            if exit_:
                lines.append(f"P1,{nat},exit,{exit_},KORDAY,{basis}\n")
        fields = {}
        for pair in expected.split(", "):
            field, value = pair.split("=", 1)
            fields[field] = "" if value == "(none)" else value
        cases.append((f"docs/RULES.md example {ident}", "".join(lines),
                      ["--as-of", as_of] + options.split(), {"P1": fields}))
    return cases


EXAMPLES = worked_examples()
assert [c[0].rsplit(" ", 1)[1] for c in EXAMPLES] == [
    "1", "2", "3", "4", "5a", "5b", "6", "6b", "7", "8", "9", "10", "11", "12", "13", "13b",
    "14", "15", "16",
], "the worked examples of docs/RULES.md"

CASES = EXAMPLES + [
    # (name, csv text or bytes, extra args, {person_id: expected fields} or expected row count)
    # example 10 with clock times: out in the morning, back in the afternoon
    ("10", HEADER + "P1,KGZ,entry,2023-03-01 10:00:00,KORDAY,\n"
                    "P1,KGZ,exit,2023-03-20 09:00:00,KORDAY,\nP1,KGZ,entry,2023-03-20 15:00:00,KORDAY,\n"
                    "P1,KGZ,exit,2023-04-30 09:00:00,KORDAY,\nP1,KGZ,entry,2023-04-30 15:00:00,KORDAY,\n"
                    "P1,KGZ,exit,2023-05-31 18:00:00,KORDAY,\n",
     ["--as-of", "2023-06-30"],
     {"P1": dict(violations="cumulative", first_violation_date="2023-05-30",
                 overstay_days="2", max_days_in_window="92", longest_stay_days="42",
                 longest_stay_entry="2023-03-20", anomalies="")}),
    # 10 again, date-only rows written entry-before-exit on the shared days: the tie
    # rule must read them as exit-then-entry (same-day visa runs).
    ("10 date-only, tie rule",
     HEADER + "P1,KGZ,entry,2023-03-01,,\n"
              "P1,KGZ,entry,2023-03-20,,\nP1,KGZ,exit,2023-03-20,,\n"
              "P1,KGZ,entry,2023-04-30,,\nP1,KGZ,exit,2023-04-30,,\n"
              "P1,KGZ,exit,2023-05-31,,\n",
     ["--as-of", "2023-06-30"],
     {"P1": dict(violations="cumulative", first_violation_date="2023-05-30",
                 overstay_days="2", max_days_in_window="92", longest_stay_days="42",
                 longest_stay_entry="2023-03-20", anomalies="")}),
    # ---- beyond the table: ingest and imperfect records
    ("default as_of = latest day; open stay",
     HEADER + "P1,RUS,in,2023-03-01T05:00:00Z,,\nP2,USA,out,2023-05-15 09:00,,\n"
              "P2,USA,in,2023-05-01 09:00,,\n",
     [],
     {"P1": dict(in_country="true", days_used="76", must_leave_by="2023-05-29"),
      "P2": dict(in_country="false", longest_stay_days="15", anomalies="")}),
    ("duplicate via Z and +05:00, after_as_of dropped",
     HEADER + "P1,RUS,entry,2023-03-01T07:00:00Z,A,\nP1,RUS,entry,2023-03-01T12:00:00+05:00,B,\n"
              "P1,RUS,exit,2023-03-10 12:00,A,\nP1,RUS,entry,2023-07-01 12:00,A,\n",
     ["--as-of", "2023-06-01"],
     {"P1": dict(anomalies="duplicate", longest_stay_days="10", max_days_in_window="10",
                 in_country="false")}),
    # docs/DECISIONS.md "Duplicates and the canonical order": the kept duplicate is the first by
    # (instant, nationality, basis, checkpoint) as text, whatever the input order; basis
    # 'visa' sorts before 'visa_free' (the value of an empty basis), so the stay is exempt.
    ("canonical order: duplicate differing in basis, visa-free row first",
     HEADER + "P1,RUS,entry,2023-03-01T07:00:00Z,A,\nP1,RUS,entry,2023-03-01T12:00:00+05:00,B,visa\n"
              "P1,RUS,exit,2023-03-10 12:00,A,\n",
     ["--as-of", "2023-06-01"],
     {"P1": dict(anomalies="duplicate", longest_stay_days="0", longest_stay_entry="",
                 max_days_in_window="0")}),
    ("canonical order: duplicate differing in basis, visa row first",
     HEADER + "P1,RUS,entry,2023-03-01T12:00:00+05:00,B,visa\nP1,RUS,entry,2023-03-01T07:00:00Z,A,\n"
              "P1,RUS,exit,2023-03-10 12:00,A,\n",
     ["--as-of", "2023-06-01"],
     {"P1": dict(anomalies="duplicate", longest_stay_days="0", longest_stay_entry="",
                 max_days_in_window="0")}),
    # equal instants: the deciding nationality is the last in the canonical order (USA
    # after KOR), not the later input row
    ("canonical order: nationality at equal instants, input order KOR, USA",
     HEADER + "B,KOR,entry,2023-02-21,,\nB,USA,exit,2023-02-21,,\n", [],
     {"B": dict(nationality="USA", anomalies="nationality_changed", longest_stay_days="1")}),
    ("canonical order: nationality at equal instants, input order USA, KOR",
     HEADER + "B,USA,entry,2023-02-21,,\nB,KOR,exit,2023-02-21,,\n", [],
     {"B": dict(nationality="USA", anomalies="nationality_changed", longest_stay_days="1")}),
    ("utc midnight crossing moves the local day",
     HEADER + "P1,USA,entry,2023-03-01T20:00:00Z,,\nP1,USA,exit,2023-03-02T20:00:00-03,,\n",
     [],
     {"P1": dict(longest_stay_days="2", longest_stay_entry="2023-03-02")}),
    ("missing_exit gaps=min", HEADER + "P1,USA,entry,2023-03-01,,\nP1,USA,entry,2023-03-20,,\n"
     "P1,USA,exit,2023-03-25,,\n", [],
     {"P1": dict(anomalies="missing_exit", max_days_in_window="7", longest_stay_days="6")}),
    ("missing_exit gaps=max", HEADER + "P1,USA,entry,2023-03-01,,\nP1,USA,entry,2023-03-20,,\n"
     "P1,USA,exit,2023-03-25,,\n", ["--gaps", "max"],
     {"P1": dict(anomalies="missing_exit", max_days_in_window="25", longest_stay_days="20")}),
    ("missing_entry gaps=min/max, previous exit bounds the lost entry",
     HEADER + "P0,USA,entry,2023-01-01,,\nP0,USA,exit,2023-01-02,,\n"
              "P1,USA,exit,2023-03-10,,\nP1,USA,exit,2023-03-20,,\n",
     ["--gaps", "max"],
     # 2023-01-01..03-10 is grandfathered; 03-10..03-20 is counted, all 11 days of it
     # (the day it shares with the grandfathered stay counts: docs/RULES.md)
     {"P1": dict(anomalies="missing_entry", longest_stay_days="69",
                 longest_stay_entry="2023-01-01", max_days_in_window="11",
                 violations="continuous")}),
    ("missing_entry gaps=min", HEADER + "P1,USA,exit,2023-03-10,,\nP1,USA,exit,2023-03-20,,\n", [],
     {"P1": dict(anomalies="missing_entry", longest_stay_days="1", max_days_in_window="2")}),
    ("nationality_changed: latest record decides",
     HEADER + "P1,KGZ,entry,2023-03-01,,\nP1,rus,exit,2023-05-01,,\n", [],
     {"P1": dict(nationality="RUS", anomalies="nationality_changed", violations="")}),
    ("rejected rows are skipped",
     HEADER.encode() +
     b",RUS,entry,2023-03-01,,\nP2,RUS,sideways,2023-03-01,,\nP3,RUS,entry,2023-02-30 10:00,,\n"
     b"P4,RUS,entry,2023-03-01,A,,x\nP5,RUS,entry\nP6,RUS,entry,2023-03-01,ALA\xff,\n"
     b"P7,RU,entry,2023-03-01,,\nP8,RUS,entry,2023-03-01 10:00+15:00,,\n"
     b"P9,RUS,Entry,01.03.2023 10:00,,Visa-Free\n",
     [],
     {"P9": dict(in_country="true", days_used="1", must_leave_by="2023-05-29")}),
    ("only ASCII digits and letters: these rows are rejected",
     HEADER + "P1,\ufb00a,entry,2023-03-01,,\nP2,RUS,entry,\u0662023-03-01,,\n"
              "P3,RUS,entry,2023-03-01 24:00,,\nP4,RUS,entry,2023-03-01Z,,\n"
              "P5,RUS,entry,1899-12-31,,\nP6,RUS,in,2023-03-01 10:00:00.1234567890,,\n"
              "P9,RUS,in,2023-03-01 10:00:00.123456789-1200,,\n",
     [],
     {"P9": dict(in_country="true")}),
    ("exempt open stay: no must_leave_by; days_used still reported",
     stays_csv([("2023-02-01", "2023-03-01"), ("2023-04-01", None)], basis="residence_permit"),
     ["--as-of", "2023-05-01"],
     {"P1": dict(in_country="true", days_used="0", must_leave_by="", longest_stay_days="0")}),
    ("already in violation: day before the first violation of the current stay",
     stays_csv([("2023-02-01", "2023-04-01"), ("2023-04-10", None)]),
     ["--as-of", "2023-05-20"],
     {"P1": dict(violations="cumulative", first_violation_date="2023-05-10",
                 must_leave_by="2023-05-09", in_country="true", days_used="101")}),
    ("schengen: no continuous limit, no grandfathering",
     stays_csv([("2022-12-01", "2023-02-27")], nat="USA"),
     ["--rules", "schengen", "--as-of", "2023-06-01"],
     {"P1": dict(violations="", max_days_in_window="89", longest_stay_days="89")}),
    ("grandfathered open stay: continuous limit alone",
     stays_csv([("2023-01-20", None)], nat="USA"), ["--as-of", "2023-02-10"],
     {"P1": dict(days_used="0", must_leave_by="2023-02-18")}),
]


def run_case(tmp, name, content, args, expected):
    path = os.path.join(tmp, "in.csv")
    out = os.path.join(tmp, "out.csv")
    with open(path, "wb") as f:
        f.write(content if isinstance(content, bytes) else content.encode())
    cmd = [sys.executable, REFERENCE, path, "-o", out] + args
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        return [f"exit {proc.returncode}: {proc.stderr}"]
    with open(out, newline="", encoding="utf-8") as f:
        rows = {r["person_id"]: r for r in csv.DictReader(f)}
    problems = []
    for person, fields in expected.items():
        row = rows.get(person)
        if fields is None:  # this person's rows must all be rejected
            if row is not None:
                problems.append(f"unexpected row for {person}: {row}")
            continue
        if row is None:
            problems.append(f"no row for {person}; rows: {sorted(rows)}")
            continue
        for k, v in fields.items():
            if row[k] != v:
                problems.append(f"{person}.{k}: expected {v!r}, got {row[k]!r}")
        if problems:
            problems.append(f"row: {row}")
    if problems:
        problems.insert(0, " ".join(cmd))
        problems.append("stderr: " + proc.stderr.strip())
    return problems


def main():
    failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        for name, content, args, expected in CASES:
            if name.endswith("these rows are rejected"):
                expected = dict(expected, **{f"P{i}": None for i in range(1, 7)})
            problems = run_case(tmp, name, content, args, expected)
            if problems:
                failures += 1
                print(f"FAIL {name}")
                for p in problems:
                    print("    " + p)
            else:
                print(f"ok   {name}")
    # the rejects case must close its accounting with exactly 8 rejected rows
    with tempfile.TemporaryDirectory() as tmp:
        content = next(c[1] for c in CASES if c[0] == "rejected rows are skipped")
        path = os.path.join(tmp, "in.csv")
        with open(path, "wb") as f:
            f.write(content)
        proc = subprocess.run([sys.executable, REFERENCE, path, "-o", os.devnull],
                              capture_output=True, text=True)
        if "rows_read=9 rejected=8 " not in proc.stderr or "used=1 " not in proc.stderr:
            failures += 1
            print("FAIL rejects accounting\n    " + proc.stderr.replace("\n", "\n    "))
        else:
            print("ok   rejects accounting")
    print(f"{len(CASES) + 1 - failures} passed, {failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
