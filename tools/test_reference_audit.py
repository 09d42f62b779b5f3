#!/usr/bin/env python3
"""Self-test of tools/reference_audit.py against every worked example of docs/RULES.md
(read from the page's table) and further cases of imperfect records, the analyst's
morning (docs/DECISIONS.md: direction words, one-digit hours, trailing delimiters, blank
and filler rows, `rejected_row`, --max-rejected and runs that used no row) and the treaty
limits of docs/RULES.md "Continuous limits by nationality".

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
     ["--max-rejected", "100%"],  # the bad rows are deliberate
     {"P9": dict(in_country="true", days_used="1", must_leave_by="2023-05-29")}),
    ("only ASCII digits and letters: these rows are rejected",
     HEADER + "P1,\ufb00a,entry,2023-03-01,,\nP2,RUS,entry,\u0662023-03-01,,\n"
              "P3,RUS,entry,2023-03-01 24:00,,\nP4,RUS,entry,2023-03-01Z,,\n"
              "P5,RUS,entry,1899-12-31,,\nP6,RUS,in,2023-03-01 10:00:00.1234567890,,\n"
              "P9,RUS,in,2023-03-01 10:00:00.123456789-1200,,\n",
     ["--max-rejected", "100%"],
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


class Exit:
    """The run must fail with this status and say `text` on stderr, writing no report."""

    def __init__(self, status, text):
        self.status, self.text = status, text


def no_rows(names):
    return {n: None for n in names}


# ---- the analyst's morning (docs/DECISIONS.md; README "stayaudit audit", "No silent
# all-clear"), and the treaty limits of docs/RULES.md "Continuous limits by nationality"
SEMI = HEADER.replace(",", ";")
GOOD = "".join(f"Q{i},USA,entry,2023-03-01,,\n" for i in range(99))  # 99 rows, no fault
CASES += [
    ("direction words: Russian and Kazakh, any case, Latin i, shygu without its letter",
     HEADER + "P1,RUS,ВЪЕЗД,2023-03-01,,\nP1,RUS,Выезд,2023-03-10,,\n"
              "P2,KGZ,кіру,2023-03-01,,\nP2,KGZ,ШЫҒУ,2023-03-05,,\n"
              "P3,KGZ,КIРУ,2023-03-01,,\nP3,KGZ,шыгу,2023-03-03,,\n"
              "P4,KGZ,кiру,2023-03-01,,\nP4,KGZ,ШыГу,2023-03-02,,\n"
              "P5,KGZ,КІРУ,2023-03-01,,\nP5,KGZ,вЫеЗд,2023-03-04,,\n"
              "P6,KGZ,Въезд,2023-03-01,,\nP6,KGZ,шығу,2023-03-06,,\n",
     [],
     {"P1": dict(longest_stay_days="10", in_country="false", anomalies=""),
      "P2": dict(longest_stay_days="5", in_country="false", anomalies=""),
      "P3": dict(longest_stay_days="3", in_country="false", anomalies=""),
      "P4": dict(longest_stay_days="2", in_country="false", anomalies=""),
      "P5": dict(longest_stay_days="4", in_country="false", anomalies=""),
      "P6": dict(longest_stay_days="6", in_country="false", anomalies=""),
      "#stderr": ["rows_read=12", "rejected=0", "used=12"]}),
    ("direction words: other words only with --direction-word",
     HEADER + "P1,RUS,прибытие,2023-03-01,,\nP1,RUS,УБЫТИЕ,2023-03-10,,\n"
              "P2,RUS,прибытие,2023-03-01,,\n",
     ["--direction-word", "Прибытие=entry", "--direction-word", "убытие=exit"],
     {"P1": dict(longest_stay_days="10", in_country="false"), "P2": dict(in_country="true")}),
    ("direction words: unknown without the option", HEADER + "P1,RUS,прибытие,2023-03-01,,\n",
     [], Exit(2, "no crossing row was used")),
    ("direction words: a word that means the other direction is refused",
     HEADER + "P1,RUS,entry,2023-03-01,,\n", ["--direction-word", "ВЫЕЗД=entry"],
     Exit(2, "already means")),
    ("one-digit hours; minutes and seconds keep two digits",
     HEADER + "P1,USA,entry,01.02.2023 9:05,,\nP1,USA,exit,2023-02-10 9:05:00,,\n"
              "P2,USA,entry,2023-02-01T9:05+05:00,,\nP2,USA,exit,2023-02-01T23:30:00Z,,\n"
              "P3,USA,entry,2023-02-01 9:5,,\nP4,USA,entry,01.02.2023 9:05:7,,\n"
              "P5,USA,entry,2023-02-01T9:05:00.5Z,,\nP6,USA,entry,2023-02-01 009:05,,\n",
     ["--max-rejected", "100%"],
     dict(no_rows(["P3", "P4", "P6"]),
          P1=dict(longest_stay_days="10", longest_stay_entry="2023-02-01"),
          P2=dict(longest_stay_days="2", longest_stay_entry="2023-02-01"),
          P5=dict(in_country="true", longest_stay_entry="2023-02-01"))),
    ("trailing delimiter on every data row (Excel's ';'), rows without it read too",
     SEMI + "P1;RUS;въезд;01.03.2023 9:05;KORDAY;;\nP1;RUS;выезд;10.03.2023 18:00;KORDAY;;\n"
            "P2;RUS;entry;2023-03-01;;\nP2;RUS;exit;2023-03-05;;;;\n"
            "P3;RUS;entry;2023-03-01;;;\nP3;RUS;exit;2023-03-05;;;x\n",
     ["--max-rejected", "100%"],
     {"P1": dict(longest_stay_days="10", anomalies="", in_country="false"),
      "P2": dict(in_country="true", anomalies="rejected_row"),
      "P3": dict(in_country="true", anomalies="rejected_row"),
      "#stderr": ["rows_read=6", "rejected=2", "used=4"]}),
    ("trailing delimiter: two on the first data row allow exactly two",
     HEADER + "P1,RUS,entry,2023-03-01,,,,\nP1,RUS,exit,2023-03-05,,,\n"
              "P2,RUS,entry,2023-03-01,,\nP2,RUS,exit,2023-03-05,,,,\n",
     ["--max-rejected", "100%"],
     {"P1": dict(in_country="true", anomalies="rejected_row"),
      "P2": dict(in_country="false", longest_stay_days="5", anomalies=""),
      "#stderr": ["rows_read=4", "rejected=1"]}),
    ("trailing delimiter: the first data row decides, blank rows before it aside",
     SEMI + ";;;;;;;\n\nP1;RUS;entry;2023-03-01;;;\nP1;RUS;exit;2023-03-05;;;\n",
     [],
     {"P1": dict(in_country="false", longest_stay_days="5", anomalies=""),
      "#stderr": ["rows_read=2", "rejected=0", "blank_rows=2"]}),
    ("no trailing delimiter on the first data row: a row with a field too many is rejected",
     HEADER + "P1,RUS,entry,2023-03-01,ALA,\nP1,RUS,exit,2023-03-10,ALA,,\n",
     ["--max-rejected", "100%"],
     {"P1": dict(in_country="true", anomalies="rejected_row"),
      "#stderr": ["rows_read=2", "rejected=1", "used=1"]}),
    ("blank lines and filler rows are skipped and not rows read",
     HEADER + "\nP1,RUS,entry,2023-03-01,,\n,,,,,\n  , ,,\t,,\n\n\"\",,,,,\n"
              "P1,RUS,exit,2023-03-10,,\n,,\n   \n",
     [],
     {"P1": dict(longest_stay_days="10", anomalies="", in_country="false"),
      "#stderr": ["rows_read=2", "rejected=0", "used=2", "blank_rows=7"]}),
    ("rejected_row: an id that can be read in a rejected row",
     HEADER.encode() +
     b"P1,RUS,entry,2023-03-01,,\nP1,RUS,sideways,2023-03-05,,\n"
     b"P2,RUS,entry,2023-03-01,,\n,RUS,exit,2023-03-05,,\n"
     b"P3,RUS,entry,2023-03-01,,\nP3,RUS,exit\n"
     b"P4,RUS,entry,2023-03-01,,\n P4 ,RU,exit,2023-03-05,,\n"
     b"P5,RUS,entry,2023-03-01,,\np5,RUS,exit,2023-03-05 25:00,,\n"
     b"P6,RUS,entry,2023-03-01,,\nP6\xff,RUS,exit,2023-03-05,,\n"
     b"P7,RUS,entry,2023-03-01,,\nP7,RUS,exit,2023-03-05,\xff,\n"
     b"P8,RUS,entry,2023-03-01,,\nP8,RUS,exit,2023-03-05,,,x\n"
     b"P9,RUS,entry,2023-03-01,,\nP9,RUS,exit,2023-03-05,,\nP9,RUS,entry,2023-02-30,,\n"
     b"X1,RUS,entry,2023-13-01,,\n",
     ["--max-rejected", "100%"],
     {"P1": dict(anomalies="rejected_row", in_country="true"),
      "P2": dict(anomalies="", in_country="true"),
      "P3": dict(anomalies="rejected_row"), "P4": dict(anomalies="rejected_row"),
      "P5": dict(anomalies=""), "P6": dict(anomalies=""),
      "P7": dict(anomalies="rejected_row"), "P8": dict(anomalies="rejected_row"),
      "P9": dict(anomalies="rejected_row", in_country="false"), "X1": None, "p5": None}),
    ("rejected_row: a wrong field count, the id column where the header puts it",
     "nationality,direction,crossed_at,person_id\n"
     "RUS,entry,2023-03-01,P1\nRUS,exit\n"
     "RUS,entry,2023-03-01,P2\nRUS,exit,2023-03-05,P2,x\n",
     ["--max-rejected", "100%"],
     {"P1": dict(anomalies=""), "P2": dict(anomalies="rejected_row", in_country="true")}),
    ("rejected_row among other anomalies, alphabetical",
     HEADER + "P1,RUS,exit,2023-03-01,,\nP1,KGZ,exit,2023-03-05,,\nP1,KGZ,exit,2023-03-05,,\n"
              "P1,KGZ,in,2023-03-07 9:60,,\n",
     ["--max-rejected", "100%"],
     {"P1": dict(anomalies="duplicate;missing_entry;nationality_changed;rejected_row")}),
    ("--max-rejected 1% by default: one bad row of two fails, no report",
     HEADER + "P1,RUS,entry,2023-03-01,,\nP1,RUS,sideways,2023-03-05,,\n", [],
     Exit(2, "more than --max-rejected 1%")),
    ("--max-rejected: 1 bad row of 100 is 1%, not more",
     HEADER + GOOD + "P1,RUS,sideways,2023-03-05,,\n", [],
     {"Q1": dict(in_country="true"), "#stderr": ["rows_read=100", "rejected=1"]}),
    ("--max-rejected: 2 bad rows of 100 fail",
     HEADER + GOOD[: GOOD.rindex("Q98")] + "P1,RUS,sideways,2023-03-05,,\n,RUS,in,2023-03-01,,\n",
     [], Exit(2, "more than --max-rejected")),
    ("--max-rejected COUNT", HEADER + "P1,RUS,entry,2023-03-01,,\nP1,RUS,sideways,2023-03-05,,\n",
     ["--max-rejected", "1"], {"P1": dict(anomalies="rejected_row")}),
    ("--max-rejected 0", HEADER + "P1,RUS,entry,2023-03-01,,\nP1,RUS,sideways,2023-03-05,,\n",
     ["--max-rejected", "0"], Exit(2, "more than --max-rejected 0")),
    ("--strict", HEADER + "P1,RUS,entry,2023-03-01,,\nP1,RUS,sideways,2023-03-05,,\n",
     ["--strict"], Exit(2, "more than --max-rejected")),
    ("--max-rejected 50%: one of two is not more",
     HEADER + "P1,RUS,entry,2023-03-01,,\nP1,RUS,sideways,2023-03-05,,\n",
     ["--max-rejected", "50%"], {"P1": dict(anomalies="rejected_row")}),
    ("--max-rejected 49.9%", HEADER + "P1,RUS,entry,2023-03-01,,\nP1,RUS,sideways,2023-03-05,,\n",
     ["--max-rejected", "49.9%"], Exit(2, "more than --max-rejected")),
    ("--max-rejected applies per file, not over the run",
     {"a.csv": HEADER + GOOD,
      "b.csv": HEADER + "P1,RUS,entry,2023-03-01,,\nP1,RUS,x,2023-03-05,,\n"},
     ["--max-rejected", "10%"], Exit(2, "b.csv: 1 of 2 rows rejected")),
    ("blank rows are no rows of the limit",
     HEADER + "P1,RUS,entry,2023-03-01,,\n" + ",,,,,\n" * 200 + "P1,RUS,x,2023-03-05,,\n",
     ["--max-rejected", "49%"], Exit(2, "1 of 2 rows rejected")),
    ("no crossing row used: a header only", HEADER, ["--max-rejected", "100%"],
     Exit(2, "no crossing row was used")),
    ("no crossing row used: blank rows only", HEADER + "\n,,,,,\n", [],
     Exit(2, "no crossing row was used")),
    ("no crossing row used: every row rejected, whatever the limit",
     HEADER + "P1,RUS,sideways,2023-03-05,,\n", ["--max-rejected", "100%"],
     Exit(2, "no crossing row was used")),
    ("no crossing row used: every row after --as-of",
     HEADER + "P1,RUS,entry,2023-03-05,,\n", ["--as-of", "2023-03-04"],
     Exit(2, "no crossing row was used")),
    ("a rule set that cannot bite: kz-2023 audited before its effective date is refused",
     HEADER + "P1,RUS,entry,2022-11-01,,\n", [], Exit(2, "after the audit date")),
    ("... on its effective date it is not",
     HEADER + "P1,RUS,entry,2022-11-01,,\n", ["--as-of", "2023-01-27"],
     {"P1": dict(in_country="true", days_used="0")}),
    ("... and schengen has no effective date",
     HEADER + "P1,RUS,entry,2022-11-01,,\n", ["--rules", "schengen"],
     {"P1": dict(in_country="true", days_used="1")}),
    ("every reason that holds is said",
     HEADER + "P1,RUS,x,2022-11-01,,\n", ["--as-of", "2022-12-01"],
     Exit(2, "more than --max-rejected 1% allows\nreference_audit: error: rule set kz-2023")),
    ("treaty limits: GEO, MDA, MNG, UKR 90 days; HKG 14; CHN 30",
     HEADER + "G,GEO,entry,2023-03-01,,\nG,GEO,exit,2023-05-29,,\n"
              "M,MDA,entry,2023-03-01,,\nM,MDA,exit,2023-05-30,,\n"
              "N,MNG,entry,2023-03-01,,\nN,MNG,exit,2023-04-15,,\n"
              "U,UKR,entry,2023-03-01,,\nU,UKR,exit,2023-05-30,,\n"
              "H,HKG,entry,2023-03-01,,\nH,HKG,exit,2023-03-14,,\n"
              "C,CHN,entry,2023-03-01,,\nC,CHN,exit,2023-03-30,,\n"
              "D,CHN,entry,2023-03-01,,\nD,CHN,exit,2023-03-31,,\n"
              "K,KAZ,entry,2023-03-01,,\nK,KAZ,exit,2023-03-31,,\n",
     ["--as-of", "2023-07-01"],
     {"G": dict(violations="", longest_stay_days="90"),
      "M": dict(violations="cumulative;continuous", longest_stay_days="91"),
      "N": dict(violations="", longest_stay_days="46"),
      "U": dict(violations="cumulative;continuous", longest_stay_days="91"),
      "H": dict(violations="", longest_stay_days="14"),
      "C": dict(violations="", longest_stay_days="30"),
      "D": dict(violations="continuous", longest_stay_days="31"),
      "K": dict(violations="continuous", longest_stay_days="31")}),
    ("treaty limits: an open HKG stay must leave on its 14th day",
     HEADER + "H,HKG,entry,2023-03-01,,\nX,RUS,entry,2023-03-05,,\n", [],
     {"H": dict(in_country="true", days_used="5", must_leave_by="2023-03-14")}),
]


def run_case(tmp, name, content, args, expected):
    """content: the CSV (text or bytes), or {file name: content} for several inputs.
    expected: {person: fields or None}, where the key "#stderr" lists texts the last
    stderr line (the accounting) must hold; or Exit(status, text of stderr)."""
    files = content if isinstance(content, dict) else {"in.csv": content}
    paths = []
    for file_name, data in files.items():
        path = os.path.join(tmp, file_name)
        with open(path, "wb") as f:
            f.write(data if isinstance(data, bytes) else data.encode())
        paths.append(path)
    out = os.path.join(tmp, "out.csv")
    if os.path.exists(out):
        os.remove(out)
    cmd = [sys.executable, REFERENCE] + paths + ["-o", out] + args
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if isinstance(expected, Exit):
        if proc.returncode != expected.status or expected.text not in proc.stderr:
            return [" ".join(cmd), f"expected exit {expected.status} with "
                    f"{expected.text!r} on stderr, got exit {proc.returncode}: {proc.stderr}"]
        if os.path.exists(out):
            return [" ".join(cmd), "a failed run wrote a report"]
        return []
    if proc.returncode != 0:
        return [f"exit {proc.returncode}: {proc.stderr}"]
    with open(out, newline="", encoding="utf-8") as f:
        rows = {r["person_id"]: r for r in csv.DictReader(f)}
    problems = []
    expected = dict(expected)
    last = (proc.stderr.strip().splitlines() or [""])[-1]
    for text in expected.pop("#stderr", []):
        if text not in last.split():
            problems.append(f"accounting: expected {text!r} in {last!r}")
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
        proc = subprocess.run([sys.executable, REFERENCE, path, "-o", os.devnull,
                               "--max-rejected", "100%"], capture_output=True, text=True)
        if "rows_read=9 rejected=8 " not in proc.stderr or "used=1 " not in proc.stderr:
            failures += 1
            print("FAIL rejects accounting\n    " + proc.stderr.replace("\n", "\n    "))
        else:
            print("ok   rejects accounting")
    print(f"{len(CASES) + 1 - failures} passed, {failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
