#!/usr/bin/env python3
"""Randomized differential tester: stayaudit (Rust) against tools/reference_audit.py.

    python3 tools/differential.py --seed 1 --rounds 3000

Each round generates a small random crossing export aimed at the corners of docs/RULES.md and
docs/DECISIONS.md (same-day visa runs, date-only ties, grandfathering around 2023-01-27,
exempt bases, duplicates written with different offsets, lost entries/exits, nationality
changes and the treaty limits (GEO, MDA, MNG, UKR 90 days, HKG 14), offsets that move the
local day, bad rows, shuffled row order; and the analyst's morning: Russian and Kazakh
direction words in any case, one-digit hours, `;` files, Excel's trailing delimiter,
blank lines and filler rows, rows of a person rejected for a field other than the id),
picks random options (as_of, gaps, grandfather, tz, rules, --direction-word), runs both
tools with `--all-persons` and compares the CSV reports byte for byte.

The generator's bad rows are deliberate, so both tools get `--max-rejected 100%` (the
binary's default, 1% of a file's rows, would fail most rounds); one round in ten gives
another limit instead. A tool that fails is compared by its exit status and, for the
failures both tools name (FAILURE_KINDS), their kind: `exit 2 (nothing to audit)` (no
crossing row was used: every row rejected or after --as-of, README "No silent
all-clear"), `exit 2 (too many rejected rows)` (more than --max-rejected), `exit 2 (rule
set cannot bite)` (kz-2023 audited before its effective date, docs/DECISIONS.md). The
binary names one reason, the reference every one that holds; they agree when the
binary's is among them. So when both tools say there is nothing to audit, the round
passes.

On a mismatch the input, both outputs and the options (with the commands to replay it)
are saved under FAILURES_DIR/<round>/ (default /tmp/differential-failures), a short diff is
printed, and the input is minimized greedily (rows deleted one at a time while the
mismatch persists); the minimized input and its outputs (and each tool's stderr) are saved
next to the original.
The last line printed is `N passed, M failed`; the exit status is 1 if any round failed.

Every round has its own random generator seeded by (seed, round), so one round can be
replayed alone with `--seed S --only-round R`. The binary is copied once at start (it may
be rebuilt while the rounds run) and its hash printed. `--exclude FEATURE` switches off a
generator feature whose mismatch class is already known, to hunt for the next one;
`--check-accounting` also compares the row accounting of both run summaries.
Standard library only (Python 3.11).
"""

import argparse
import datetime as dt
import difflib
import hashlib
import json
import os
import random
import shlex
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
DEFAULT_RUST = os.path.join(ROOT, "target", "release", "stayaudit")
DEFAULT_REFERENCE = os.path.join(HERE, "reference_audit.py")

# Nationalities with a 90-day continuous limit (EAEU and treaty partners: docs/RULES.md
# "Continuous limits by nationality"), and others: 30 days, or 14 for HKG (CHN, which a
# Hong Kong passport's MRZ shows, keeps 30).
NINETY_DAY = ["RUS", "KGZ", "ARM", "BLR", "UKR", "GEO", "MDA", "MNG", "UKR", "GEO"]
OTHERS = ["USA", "DEU", "CHN", "TUR", "KOR", "IND", "UZB", "GBR", "HKG", "HKG", "CHN"]

# Direction words (README "stayaudit audit"): the border system's Russian and Kazakh ones,
# `кiру` with a Latin i, `шыгу` as Windows-1251 writes `шығу`; any case.
ENTRY_WORDS = {"english": ["entry"] * 6 + ["in", "Entry", "IN"],
               "russian": ["въезд"], "kazakh": ["кіру", "кіру", "кiру"]}
EXIT_WORDS = {"english": ["exit"] * 6 + ["out", "EXIT", "Out"],
              "russian": ["выезд"], "kazakh": ["шығу", "шығу", "шыгу"]}
# words that look like one but are not (a soft sign for the hard one, Latin e, a typo)
NEAR_MISS_DIRECTIONS = ["вьезд", "въeзд", "выезд.", "кіpу", "шиғу", "кіру1", "ентри", "exit now",
                        "въезд выезд"]
# --direction-word options a round may give (README), and the words they add
EXTRA_WORDS = [("прибытие", "entry"), ("убытие", "exit"), ("келу", "entry"),
               ("ARRIVAL", "entry"), ("departure", "exit")]
EFFECTIVE = dt.date(2023, 1, 27)  # kz-2023 effective_from: start dates cluster around it
FIRST_DAY = dt.date(2022, 6, 1)
LAST_DAY = dt.date(2024, 6, 30)
KZ = dt.timedelta(hours=5)

# offsets a timestamp may be written with (minutes east of UTC)
OFFSETS = [0, 300, 300, 840, -720, -180, 330, 60, -300]
TZ_CHOICES = ["+05:00", "-03:00", "+14:00"]


# ------------------------------------------------------------------ generation

def fmt_offset(minutes, style):
    if minutes == 0 and style == "z":
        return "Z"
    sign = "+" if minutes >= 0 else "-"
    hh, mm = divmod(abs(minutes), 60)
    if style == "hhmm":
        return f"{sign}{hh:02d}{mm:02d}"
    if style == "hh" and mm == 0:
        return f"{sign}{hh:02d}"
    return f"{sign}{hh:02d}:{mm:02d}"


def render(rng, wall, form, short_hour=False):
    """Writes the Kazakhstan wall-clock datetime `wall` (+05:00) in one of the CLI forms.

    Naive forms keep the wall clock (they are read in the audit's tz, whatever it is);
    forms with an offset keep the instant. short_hour: an hour below 10 with one digit
    (`9:05`, as Excel writes it); minutes and seconds keep two."""
    def hour(t):
        return str(t.hour) if short_hour else f"{t.hour:02d}"

    if form == "date":
        return wall.strftime("%Y-%m-%d")
    if form == "dotted_date":
        return wall.strftime("%d.%m.%Y")
    if form == "naive":
        return wall.strftime("%Y-%m-%d ") + hour(wall) + wall.strftime(":%M:%S")
    if form == "naive_t":
        return wall.strftime("%Y-%m-%dT") + hour(wall) + wall.strftime(":%M")
    if form == "dotted":
        return wall.strftime("%d.%m.%Y ") + hour(wall) + wall.strftime(":%M")
    if form == "dotted_s":
        return wall.strftime("%d.%m.%Y ") + hour(wall) + wall.strftime(":%M:%S")
    # ISO with an offset: same instant, other zone
    minutes = rng.choice(OFFSETS)
    local = wall - KZ + dt.timedelta(minutes=minutes)
    style = rng.choice(["z", "colon", "colon", "hhmm", "hh"])
    frac = ""
    if rng.random() < 0.05:
        frac = "." + "".join(rng.choice("0123456789") for _ in range(rng.randint(1, 9)))
    seconds = local.strftime(":%M:%S")
    if short_hour and rng.random() < 0.3:
        seconds, frac = local.strftime(":%M"), ""  # `2023-02-01T9:05+05:00`; no fraction
    return local.strftime("%Y-%m-%dT") + hour(local) + seconds + frac + fmt_offset(minutes, style)


def vary_case(rng, word):
    """A word as typed: lower, upper, title or mixed case (compared after case folding)."""
    r = rng.random()
    if r < 0.4:
        return word
    if r < 0.65:
        return word.upper()
    if r < 0.85:
        return word[:1].upper() + word[1:]
    return "".join(c.upper() if rng.random() < 0.5 else c for c in word)


def render_same_instant_other_way(rng, wall, original):
    """The instant of a crossing written with an explicit offset, differently from
    `original` when possible (Z vs +05:00 and friends)."""
    for _ in range(10):
        minutes = rng.choice([0, 300, 840, -720, -180])
        local = wall - KZ + dt.timedelta(minutes=minutes)
        text = local.strftime("%Y-%m-%dT%H:%M:%S") + fmt_offset(minutes, rng.choice(
            ["z", "colon", "hhmm"]))
        if text != original:
            return text
    return original


def pick_time(rng, kind):
    """A wall-clock time of day; near midnight often, so offsets move the local day."""
    r = rng.random()
    if r < 0.35:
        return dt.time(rng.choice([23, 0]), rng.randint(0, 59), rng.randint(0, 59))
    if r < 0.45:
        return dt.time(rng.choice([1, 2, 3, 4, 19, 20, 21, 22]), rng.randint(0, 59))
    if kind == "exit":
        return dt.time(rng.randint(5, 11), rng.randint(0, 59), rng.randint(0, 59))
    return dt.time(rng.randint(12, 18), rng.randint(0, 59), rng.randint(0, 59))


def pick_length(rng):
    r = rng.random()
    if r < 0.3:
        return rng.choice([1, 2, 13, 14, 15, 16, 29, 30, 31, 32, 60, 88, 89, 90, 91, 92])
    if r < 0.55:
        return rng.randint(1, 15)
    return rng.randint(1, 120)


def pick_gap(rng):
    r = rng.random()
    if r < 0.2:
        return 0  # same-day visa run
    if r < 0.3:
        return 1
    if r < 0.45:
        return rng.choice([2, 30, 60, 88, 89, 90, 91, 92, 150, 178, 179, 180, 181])
    if r < 0.7:
        return rng.randint(0, 20)
    return rng.randint(0, 200)


def threshold_plan(rng):
    """(length, gap) pairs whose days add up to about 90 and whose later entries fall
    about 180 days after the first: the off-by-one corners of docs/RULES.md examples 4-5."""
    k = rng.randint(1, 4)
    total = rng.choice([88, 89, 90, 90, 91, 92, 120, 178, 179, 180, 181])
    cuts = sorted(rng.sample(range(1, total), k - 1)) if k > 1 else []
    lengths = [b - a for a, b in zip([0] + cuts, cuts + [total])]
    plan = []
    for length in lengths:
        plan.append([length, rng.choice([0, 0, 1, 2, rng.randint(0, 40)])])
    # then a later return near the window edge: 180 days after the first entry, +-2
    span = sum(length + gap - 1 for length, gap in plan)
    back = 180 + rng.randint(-2, 2) - span
    if back > 0 and rng.random() < 0.8:
        plan[-1][1] = back
        plan.append([rng.choice([1, 2, 5, 10, 30, 91]), rng.randint(0, 5)])
    return [tuple(x) for x in plan]


def pick_start(rng):
    r = rng.random()
    if r < 0.35:  # straddle the effective date
        lo, hi = dt.date(2022, 10, 1), dt.date(2023, 1, 28)
    elif r < 0.45:
        return EFFECTIVE + dt.timedelta(days=rng.randint(-2, 1))
    else:
        lo, hi = FIRST_DAY, dt.date(2024, 5, 1)
    return lo + dt.timedelta(days=rng.randint(0, (hi - lo).days))


def pick_basis(rng):
    r = rng.random()
    if r < 0.45:
        return ""
    if r < 0.65:
        return rng.choice(["visa_free", "Visa-Free", "VISA FREE", " visa_free "])
    return rng.choice(["visa", "residence_permit", "diplomatic", "Residence Permit", "VISA",
                       "work"])


def person_ids(rng, n):
    pool = ["P1", "P2", "P10", "p3", "A-7", "Z", "9", "10", "b", "B", "K 5", "Q,1", "M\"x",
            "N0042", "n0042", "X_1", "é1"]
    rng.shuffle(pool)
    return pool[:n]


def gen_person(rng, pid, file_style, on, ctx):
    """The rows of one person: list of dicts (wall, direction, nat, basis, ts, ...).
    ctx: the file's habits (its direction words, one-digit hours, extra words)."""
    nat_pool = NINETY_DAY if rng.random() < 0.5 else OTHERS
    nat = rng.choice(nat_pool)
    n_records = rng.randint(1, 25)
    style = file_style if file_style != "mixed" else rng.choice(
        ["dates", "times", "times", "mixed"])
    rows = []
    day = pick_start(rng)
    change_at = rng.randint(0, n_records) if rng.random() < 0.15 else None
    new_nat = rng.choice([n for n in NINETY_DAY + OTHERS if n != nat])
    basis = pick_basis(rng)
    plan = threshold_plan(rng) if rng.random() < 0.35 else None
    while len(rows) < n_records and day <= LAST_DAY:
        if plan is not None:
            if not plan:
                break
            length, gap = plan.pop(0)
        else:
            length, gap = pick_length(rng), pick_gap(rng)
        if rng.random() < 0.4:  # a person mostly keeps the same basis
            basis = pick_basis(rng)
        entry_day = day
        exit_day = min(entry_day + dt.timedelta(days=length - 1), max(entry_day, LAST_DAY))
        entry_time = pick_time(rng, "entry")
        exit_time = pick_time(rng, "exit")
        if exit_day == entry_day and exit_time < entry_time:
            entry_time, exit_time = exit_time, entry_time
        rows.append(dict(dir="entry", wall=dt.datetime.combine(entry_day, entry_time),
                         basis=basis, style=style))
        rows.append(dict(dir="exit", wall=dt.datetime.combine(exit_day, exit_time),
                         basis=basis if rng.random() < 0.3 else "", style=style))
        # gap 0: a same-day run (re-entry on the exit day)
        day = exit_day + dt.timedelta(days=gap)
    rows = rows[:n_records]
    # the last stay is often left open (no exit): drop a trailing exit sometimes
    if rows and rows[-1]["dir"] == "exit" and rng.random() < 0.3:
        rows.pop()
    # lost records (half of the persons have clean records)
    dirty = rng.random() < 0.5
    for r in rows:
        if dirty and rng.random() < 0.08:
            r["drop"] = True
    rows = [r for r in rows if not r.get("drop")] or rows[:1]
    # nationality change
    for i, r in enumerate(rows):
        r["nat"] = new_nat if change_at is not None and i >= change_at else nat
        if rng.random() < 0.05:
            r["nat"] = r["nat"].lower()
    # same-day visa runs with an exit later in the day than the entry: make sure exits of
    # a run precede the next entry when times are written
    for a, b in zip(rows, rows[1:]):
        if a["dir"] == "exit" and b["dir"] == "entry" and a["wall"].date() == b["wall"].date():
            if a["wall"] > b["wall"] and rng.random() < 0.85:
                a["wall"], b["wall"] = b["wall"], a["wall"]
    # timestamps
    for r in rows:
        st = r["style"]
        if st == "dates":
            form = "date" if rng.random() < 0.85 else "dotted_date"
        elif st == "times":
            form = rng.choice(["naive", "naive", "iso", "iso", "dotted", "naive_t"])
        else:
            form = rng.choice(["date", "naive", "iso", "iso", "dotted", "dotted_date",
                               "naive_t", "dotted_s"])
        short = ctx["short_hours"] > 0 and rng.random() < ctx["short_hours"]
        r["ts"] = render(rng, r["wall"], form, short)
        r["form"] = form
        r["pid"] = pid
        r["cp"] = rng.choice(["ALA-AIRPORT", "NQZ-AIRPORT", "KORDAY", "KHORGOS", ""])
        words = ENTRY_WORDS if r["dir"] == "entry" else EXIT_WORDS
        language = ctx["words"] if ctx["words"] != "mixed" else rng.choice(list(words))
        r["dirtext"] = rng.choice(words[language])
        if language != "english":
            r["dirtext"] = vary_case(rng, r["dirtext"])
        extra_words = [w for w, meaning in ctx["extra_words"] if meaning == r["dir"]]
        if extra_words and rng.random() < 0.3:
            r["dirtext"] = vary_case(rng, rng.choice(extra_words))
    # duplicates
    extra = []
    for r in rows:
        if dirty and rng.random() < 0.08:
            d = dict(r)
            k = rng.random()
            if k < 0.4:
                pass  # identical row
            else:
                d["ts"] = render_same_instant_other_way(rng, r["wall"], r["ts"])
            # a duplicate differing in basis, checkpoint or nationality (docs/DECISIONS.md: still
            # a duplicate; the kept one is the first in the canonical order)
            variant = on["duplicate-variants"]
            if rng.random() < 0.2 and variant:
                d["basis"] = pick_basis(rng)
            if rng.random() < 0.15 and variant:
                d["cp"] = "DUP-CP"
            if rng.random() < 0.1 and variant:
                d["nat"] = rng.choice(NINETY_DAY + OTHERS)
            if rng.random() < 0.2 and variant:  # the same crossing in other words
                words = ENTRY_WORDS if d["dir"] == "entry" else EXIT_WORDS
                d["dirtext"] = vary_case(rng, rng.choice(rng.choice(list(words.values()))))
            extra.append(d)
    rows.extend(extra)
    return rows


BAD_ROWS = [
    lambda pid: [pid, "RUS", "entry", "2023-02-30 10:00", "KORDAY", ""],
    lambda pid: ["", "RUS", "entry", "2023-03-01", "KORDAY", ""],
    lambda pid: ["  ", "RUS", "entry", "2023-03-01", "KORDAY", ""],
    lambda pid: [pid, "RUS", "sideways", "2023-03-01", "KORDAY", ""],
    lambda pid: [pid, "RUS", "", "2023-03-01", "KORDAY", ""],
    lambda pid: [pid, "RU", "exit", "2023-03-01", "KORDAY", ""],
    lambda pid: [pid, "R1S", "exit", "2023-03-01", "KORDAY", ""],
    lambda pid: [pid, "RUS", "exit", "2023-03-01T10:00:00+15:00", "KORDAY", ""],
    lambda pid: [pid, "RUS", "exit", "2023-03-01T10:00:00-12:30", "KORDAY", ""],
    lambda pid: [pid, "RUS", "entry", "2023-03-01 25:00", "KORDAY", ""],
    lambda pid: [pid, "RUS", "entry", "2023-03-01 10:60", "KORDAY", ""],
    lambda pid: [pid, "RUS", "entry", "yesterday", "KORDAY", ""],
    lambda pid: [pid, "RUS", "entry", "", "KORDAY", ""],
    lambda pid: [pid, "RUS", "entry", "2023-13-01", "KORDAY", ""],
    lambda pid: [pid, "RUS", "entry", "29.02.2023 10:00", "KORDAY", ""],
    lambda pid: [pid, "RUS", "entry", "1899-12-31", "KORDAY", ""],
]
# rows with a number of fields of their own, whatever the layout (written as they are)
RAGGED_ROWS = [
    lambda pid: [pid, "RUS", "entry", "2023-03-01", "KORDAY", "", "extra"],
    lambda pid: [pid, "RUS", "entry"],
]

# Timestamps just outside the forms the README lists (`YYYY-MM-DD[T ]HH:MM[:SS[.fff]]` with
# optional `Z` or `+-HH:MM`, or `DD.MM.YYYY[ HH:MM[:SS]]`; docs/DECISIONS.md 3 adds +-HHMM and
# +-HH): a tool accepting one of them is more lenient than the contract.
NEAR_MISS_TIMESTAMPS = [
    "2023-03-01t10:00:00", "2023-03-01T10:00:00z", "2023-03-01T10:00:00,5",
    "2023-03-01 10:00:00 +05:00", "2023-03-01T10:00.5", "2023-3-1", "2023-03-01T10",
    "01.03.2023 10:00Z", "01.03.2023T10:00", "2023-03-01T10:00:00+5:00",
    "2023-03-01T10:00:00+05:0", "2023-03-01T10:00:00.", "2023-03-01  10:00",
    "1.3.2023", "01.03.2023 10:00:00.5", "2023-03-01T10:00:00UTC",
]
# One-digit hours are read (`9:05`); one-digit minutes or seconds, or three-digit hours,
# are not (docs/DECISIONS.md "One-digit hours"). The first ones are valid: a tool that
# rejects them is stricter than the contract.
SHORT_HOUR_TIMESTAMPS = [
    "01.03.2023 9:05", "2023-03-01 9:05:00", "2023-03-01T9:05+05:00", "2023-03-01 0:00",
    "01.03.2023 0:59:59", "2023-03-01T9:05:00.5Z",
]
NEAR_MISS_SHORT_HOURS = [
    "01.03.2023 9:5", "2023-03-01 9:05:7", "2023-03-01T9:5Z", "2023-03-01 009:05",
    "01.03.2023 9:05:7", "2023-03-01 :05", "01.03.2023 24:00", "2023-03-01T9",
]

# Generator features that can be switched off (--exclude) once a mismatch class is known.
FEATURES = {
    "near-miss-timestamps": "bad rows with timestamps just outside the README's forms",
    "invalid-utf8": "invalid UTF-8 bytes in a mapped or an unmapped field",
    "extra-column": "an unmapped extra column (notes)",
    "duplicate-optional-column": "a header naming basis or checkpoint twice",
    "padding": "spaces around field values",
    "duplicate-variants": "duplicates differing from the first row in basis, checkpoint or "
                          "nationality",
    "blank-lines": "blank lines between rows",
    "direction-words": "Russian and Kazakh direction words (въезд/выезд, кіру/шығу, кiру, "
                       "шыгу) in any case, and near misses of them",
    "direction-word-option": "--direction-word options and the words they add",
    "one-digit-hours": "timestamps with a one-digit hour (9:05), and near misses of them",
    "trailing-delimiter": "every data row ending with one or two empty fields the header "
                          "lacks (Excel's trailing ';'), and rows that do not fit it",
    "filler-rows": "filler rows of delimiters or spaces only, anywhere after the first data "
                   "row",
    "filler-first": "a filler row before the first data row, as wide as the data rows or "
                    "not (docs: it is no data row, so it cannot decide the trailing fields)",
    "rejected-row": "a row of a person, id readable, rejected for another field (wrong "
                    "field count included), in place of or beside their real row",
    "semicolon": "';' (sometimes tab or '|') between fields, detected from the header",
    "rejected-limit": "another --max-rejected than 100% (the default 1%, a share, a count)",
}


def csv_field(value, quote_all, delimiter=","):
    if quote_all or any(c in value for c in delimiter + '"\r\n'):
        return '"' + value.replace('"', '""') + '"'
    return value


def corrupt(rng, values, cols, trailing):
    """The fields of a real row made unreadable in one field other than person_id (the
    id stays readable, maybe padded): docs/RULES.md `rejected_row`."""
    values = dict(values)
    if rng.random() < 0.2:
        values["person_id"] = " " + values["person_id"].strip() + rng.choice(["", " "])
    kind = rng.choice(["direction", "timestamp", "nationality", "short", "long", "trailing"])
    if kind == "direction":
        values["direction"] = rng.choice(NEAR_MISS_DIRECTIONS + ["sideways", ""])
    elif kind == "timestamp":
        values["crossed_at"] = rng.choice(["2023-02-30", "31.04.2023 9:05", "2023-03-01 9:5",
                                           values["crossed_at"].strip() + "x", "2023-03-01 24:00"])
    elif kind == "nationality":
        values["nationality"] = rng.choice(["RU", "R1S", "RUSS", "РУС"])
    fields = [values[c] for c in cols]
    if kind == "short":
        fields = fields[:rng.randint(1, len(fields) - 1)]  # the id column may be cut off
    elif kind == "long":
        fields = fields + ["x"] + [""] * trailing  # an extra field that is not empty
    elif kind == "trailing":
        fields = fields + [""] * (trailing + 1)  # one empty field more than the file's
    return fields, kind in ("short", "long", "trailing")


def filler_row(rng, delimiter, width):
    """A row that holds no data: delimiters only, spaces, or quoted empty fields."""
    r = rng.random()
    if r < 0.6:
        n = width if rng.random() < 0.7 else rng.randint(1, width + 2)
        return delimiter * (n - 1) if n > 1 else '""'
    if r < 0.8:
        return delimiter.join(rng.choice(["", " ", "  "]) for _ in range(rng.randint(1, width)))
    if r < 0.9:
        return " " * rng.randint(1, 3)
    return delimiter.join('""' for _ in range(rng.randint(1, width)))


def gen_export(rng, exclude=frozenset()):
    """Returns (csv_text, earliest_wall_day, latest_wall_day, file_options). The text may
    hold lone surrogates U+DC80..U+DCFF: invalid UTF-8 bytes, written with
    'surrogateescape'. file_options: options the file needs (--direction-word)."""
    on = {f: f not in exclude for f in FEATURES}
    n_persons = rng.randint(1, 8)
    file_style = rng.choice(["mixed", "mixed", "dates", "times"])
    # the file's habits: an office writes its own words and its own hours
    ctx = {"words": "english", "short_hours": 0.0, "extra_words": []}
    if on["direction-words"] and rng.random() < 0.3:
        ctx["words"] = rng.choice(["russian", "kazakh", "mixed", "mixed"])
    if on["one-digit-hours"] and rng.random() < 0.25:
        ctx["short_hours"] = rng.choice([1.0, 1.0, 0.5])
    file_options = {}
    if on["direction-word-option"] and rng.random() < 0.05:
        ctx["extra_words"] = rng.sample(EXTRA_WORDS, rng.randint(1, 3))
        file_options["direction_words"] = [f"{vary_case(rng, w)}={m}"
                                           for w, m in ctx["extra_words"]]
        if rng.random() < 0.1:  # a word that already means the other direction: refused
            file_options["direction_words"].append(rng.choice(["in=exit", "ВЫЕЗД=entry",
                                                               "Кіру=exit"]))
    rows = []
    for pid in person_ids(rng, n_persons):
        rows.extend(gen_person(rng, pid, file_style, on, ctx))
    # order: mostly by crossing time (ties in generation order), sometimes shuffled
    r = rng.random()
    if r < 0.7:
        rows.sort(key=lambda x: x["wall"])
    elif r < 0.85:
        rows.sort(key=lambda x: (x["pid"], x["wall"]))
    else:
        rng.shuffle(rows)
    # date-only ties: sometimes write the entry of a same-day run before its exit
    if rng.random() < 0.5:
        for i in range(len(rows) - 1):
            a, b = rows[i], rows[i + 1]
            if (a["pid"] == b["pid"] and a["dir"] == "exit" and b["dir"] == "entry"
                    and a["ts"] == b["ts"] and rng.random() < 0.7):
                rows[i], rows[i + 1] = b, a
    cols = ["person_id", "nationality", "direction", "crossed_at", "checkpoint", "basis"]
    layout = rng.random()
    if layout < 0.1:
        cols = cols[:4]  # no checkpoint, no basis
    elif layout < 0.2:
        cols = cols[:4] + ["basis"]
    if rng.random() < 0.15 and on["extra-column"]:
        cols.insert(rng.randint(0, len(cols)), "notes")
    if rng.random() < 0.01 and on["duplicate-optional-column"]:
        cols.append(rng.choice(["basis", "checkpoint"]))
    if rng.random() < 0.2:
        rng.shuffle(cols)
    header = [c if rng.random() < 0.9 else c.upper() for c in cols]
    quote_all = rng.random() < 0.1
    padded = rng.random() < 0.1 and on["padding"]
    eol = "\r\n" if rng.random() < 0.1 else "\n"
    delim = ","
    if on["semicolon"] and rng.random() < 0.2:
        delim = rng.choice([";", ";", ";", "\t", "|"])
    # Excel's trailing delimiter: every data row ends with `trailing` empty fields the
    # header lacks; the first data row decides (docs/DECISIONS.md)
    trailing = 0
    if on["trailing-delimiter"] and rng.random() < 0.15:
        trailing = rng.choice([1, 1, 1, 2])

    def line_of(fields, extra=0, quote=quote_all):
        return delim.join(csv_field(f, quote, delim) for f in fields) + delim * extra

    # rows of real persons rejected for a field other than the id (docs/RULES.md
    # `rejected_row`): in place of the row (a rejected exit leaves them inside) or beside it
    if rows and on["rejected-row"] and rng.random() < 0.15:
        for _ in range(rng.randint(1, 2)):
            i = rng.randrange(len(rows))
            if rng.random() < 0.5:
                rows[i] = dict(rows[i], corrupt=True)
            else:
                rows.insert(rng.randint(0, len(rows)), dict(rows[i], corrupt=True))
    lines = [delim.join(header)]
    for x in rows:
        values = {"person_id": x["pid"], "nationality": x["nat"], "direction": x["dirtext"],
                  "crossed_at": x["ts"], "checkpoint": x["cp"], "basis": x["basis"],
                  "notes": rng.choice(["", "ok", "late, bus", "checked", "ночь; автобус"])}
        if padded and rng.random() < 0.5:
            values = {k: rng.choice([" ", "  ", "\t"]) + v + rng.choice(["", " "])
                      for k, v in values.items()}
        extra = trailing if rng.random() < 0.9 or len(lines) == 1 else 0
        if x.get("corrupt"):
            fields, ragged = corrupt(rng, values, cols, trailing)
            lines.append(line_of(fields, 0 if ragged else extra))
        else:
            lines.append(line_of([values[c] for c in cols], extra))
    names = ["person_id", "nationality", "direction", "crossed_at", "checkpoint", "basis"]
    if rng.random() < 0.2:
        for _ in range(rng.randint(1, 2)):
            pid = rng.choice(rows)["pid"] if rows else "P1"
            kind = rng.random()
            notes = ""
            if kind < 0.3 and on["near-miss-timestamps"]:
                pool = NEAR_MISS_TIMESTAMPS
                if on["one-digit-hours"] and rng.random() < 0.4:
                    pool = NEAR_MISS_SHORT_HOURS + SHORT_HOUR_TIMESTAMPS
                bad = [pid, "RUS", rng.choice(["entry", "exit"]), rng.choice(pool), "KORDAY", ""]
            elif kind < 0.4 and on["direction-words"]:
                bad = [pid, "RUS", rng.choice(NEAR_MISS_DIRECTIONS), "2023-03-01", "KORDAY", ""]
            elif kind < 0.55 and on["invalid-utf8"]:
                bad = [pid, "RUS", "entry", "2023-03-01 10:00", "KORDAY", ""]
                target = "notes" if "notes" in cols and rng.random() < 0.5 else rng.choice(cols)
                if target in names:
                    bad[names.index(target)] += "\udcff"
                else:
                    notes = "n\udce9"
            elif kind < 0.65:
                bad = None
                fields = rng.choice(RAGGED_ROWS)(pid)  # a wrong number of fields
                if len(fields) in (len(cols), len(cols) + trailing):
                    fields = fields + ["x"]
            else:
                bad = rng.choice(BAD_ROWS)(pid)
            if bad is not None:
                full = dict(zip(names, bad), notes=notes)
                fields = [full[c] for c in cols]
                line = line_of(fields, trailing if rng.random() < 0.9 else 0, False)
            else:
                line = line_of(fields, 0, False)
            lines.insert(rng.randint(1, len(lines)), line)
    # rows that hold no data (docs/RULES.md: skipped, counted as blank_rows): filler rows
    # after the first data row (lines[1] here), blank lines anywhere, and (filler-first)
    # a filler row before the first data row
    width = len(cols) + trailing
    if rng.random() < 0.12 and on["filler-rows"]:
        for _ in range(rng.randint(1, 4)):
            lines.insert(rng.randint(2, max(2, len(lines))), filler_row(rng, delim, width))
    if rng.random() < 0.1 and on["blank-lines"]:
        for _ in range(rng.randint(1, 3)):
            lines.insert(rng.randint(1, len(lines)), "")
    if rng.random() < 0.04 and on["filler-first"]:
        lines.insert(1, filler_row(rng, delim, width))
    text = eol.join(lines) + eol
    if rng.random() < 0.05:
        text = "\ufeff" + text
    walls = [x["wall"].date() for x in rows]
    return text, min(walls), max(walls), file_options


def gen_options(rng, first, last, file_options=None, exclude=frozenset()):
    opts = dict(file_options or {})
    r = rng.random()
    if r < 0.4:
        pass  # default as_of
    elif r < 0.85:
        span = max(0, (last - first).days)
        opts["as_of"] = (first + dt.timedelta(days=rng.randint(0, span))).isoformat()
    else:
        opts["as_of"] = (last + dt.timedelta(days=rng.randint(0, 200))).isoformat()
    # an audit date before kz-2023's effective date is refused (docs/DECISIONS.md "A rule
    # set that cannot bite"): keep such rounds, but not so many that the rounds of
    # grandfathered stays audited later get few
    if "as_of" in opts and opts["as_of"] < EFFECTIVE.isoformat() and rng.random() < 0.75:
        span = max(0, (last - EFFECTIVE).days)
        opts["as_of"] = (EFFECTIVE + dt.timedelta(days=rng.randint(0, span))).isoformat()
    opts["gaps"] = rng.choice([None, "min", "max"])
    opts["grandfather"] = rng.choice([None, "stays-entered-before", "days-before"])
    opts["tz"] = rng.choice([None] + TZ_CHOICES)
    opts["rules"] = rng.choice([None, "kz-2023", "kz-2023", "schengen"])
    # README "No silent all-clear": a file with more rejected rows than --max-rejected
    # (default 1%) fails the run; the generator's bad rows are deliberate, so rounds give
    # 100%, and sometimes another limit (both tools must then agree on the failure)
    opts["max_rejected"] = "100%"
    if "rejected-limit" not in exclude and rng.random() < 0.1:
        opts["max_rejected"] = rng.choice([None, None, "0", "1", "2", "5%", "10%", "50%",
                                           "33.4%", "0.5%"])
    return {k: v for k, v in opts.items() if v is not None}


def option_args(opts):
    args = []
    if "as_of" in opts:
        args += ["--as-of", opts["as_of"]]
    if "gaps" in opts:
        args += ["--gaps", opts["gaps"]]
    if "grandfather" in opts:
        args += ["--grandfather", opts["grandfather"]]
    if "tz" in opts:
        args += [f"--tz={opts['tz']}"]  # '=': argparse reads '-03:00' as an option
    if "rules" in opts:
        args += ["--rules", opts["rules"]]
    if "max_rejected" in opts:
        args += ["--max-rejected", opts["max_rejected"]]
    for word in opts.get("direction_words", []):
        args += ["--direction-word", word]
    return args


# ------------------------------------------------------------------ running

ACCOUNTING = ["as_of", "rows_read", "rows_used", "rows_rejected", "duplicates",
              "after_as_of", "blank_rows", "persons"]

# Failures both tools name alike: README "No silent all-clear" and docs/DECISIONS.md "A
# rule set that cannot bite is refused". The status alone would let one tool's "nothing to
# audit" pass for the other's "too many rejected rows". The docs give no order among them,
# so the binary names one and the reference every one that holds: they agree when the
# binary's is among the reference's.
FAILURE_KINDS = [("no crossing row was used", "nothing to audit"),
                 ("more than --max-rejected", "too many rejected rows"),
                 ("after the audit date", "rule set cannot bite")]


def failure_kinds(stderr):
    text = stderr.decode("utf-8", "replace")
    return {kind for needle, kind in FAILURE_KINDS if needle in text}


def failure_texts(rust, ref):
    """The results of two failed runs, (status, kinds) each, as the texts to compare."""
    (r_status, r_kinds), (p_status, p_kinds) = rust, ref
    if r_status == p_status and (r_kinds & p_kinds or not (r_kinds or p_kinds)):
        common = " | ".join(sorted(r_kinds & p_kinds)) or "error"
        return [f"exit {r_status} ({common})\n".encode()] * 2
    return [f"exit {status} ({' | '.join(sorted(kinds)) or 'error'})\n".encode()
            for status, kinds in (rust, ref)]


class Runner:
    def __init__(self, rust, reference, workdir, check_accounting=False):
        self.rust, self.reference, self.workdir = rust, reference, workdir
        self.check_accounting = check_accounting
        # The latest error message of each tool, for a look by hand at a failure.
        self.last_errors = {}
        self.label = rust

    def commands(self, input_path, opts, rust_out, ref_out):
        rust = [self.rust, "audit", input_path, "--all-persons", "-q"]
        rust += [] if rust_out == "-" else ["-o", rust_out]
        ref = [sys.executable, self.reference, input_path, "-o", ref_out]
        return rust + option_args(opts), ref + option_args(opts)

    def run_both(self, text, opts):
        """Returns (rust_result, reference_result): the report bytes, or 'exit N' when a
        tool fails (the tools word their errors differently: the status is what must
        agree; the messages are kept in last_errors). With check_accounting, a last line
        '# accounting ...' holds the row accounting of the run summary."""
        path = os.path.join(self.workdir, "input.csv")
        with open(path, "wb") as f:
            f.write(text.encode("utf-8", "surrogateescape"))
        rust_out = os.path.join(self.workdir, "rust.csv")
        ref_out = os.path.join(self.workdir, "ref.csv")
        summary = os.path.join(self.workdir, "summary.json")
        rust_cmd, ref_cmd = self.commands(path, opts, rust_out, ref_out)
        if self.check_accounting:
            rust_cmd += ["--summary", summary]
        results = []
        for which, cmd, out in [("rust", rust_cmd, rust_out), ("ref", ref_cmd, ref_out)]:
            for stale in (out, summary):
                if os.path.exists(stale):
                    os.remove(stale)
            try:
                proc = subprocess.run(cmd, capture_output=True, timeout=300)
            except subprocess.TimeoutExpired:
                results.append(b"timeout after 300 s\n")
                continue
            self.last_errors[which] = proc.stderr
            if proc.returncode != 0:
                # the tools word their errors differently: the status, and the kind of a
                # failure both name (FAILURE_KINDS), is what must agree
                kinds = failure_kinds(proc.stderr) if proc.returncode == 2 else set()
                results.append((proc.returncode, kinds))
                continue
            with open(out, "rb") as f:
                data = f.read()
            if self.check_accounting:
                data += self.accounting(which, summary, proc.stderr)
            results.append(data)
        if all(isinstance(r, tuple) for r in results):
            results = failure_texts(*results)
        results = [failure_texts(r, (None, set()))[0] if isinstance(r, tuple) else r
                   for r in results]
        return tuple(results)

    @staticmethod
    def accounting(which, summary, stderr):
        if which == "rust":
            with open(summary, encoding="utf-8") as f:
                values = json.load(f)
        else:
            last = stderr.decode("utf-8", "replace").strip().splitlines()[-1]
            pairs = dict(item.split("=", 1) for item in last.split() if "=" in item)
            renamed = {"rejected": "rows_rejected", "used": "rows_used"}
            values = {renamed.get(k, k): v for k, v in pairs.items()}
        line = " ".join(f"{k}={values.get(k) if values.get(k) is not None else ''}"
                        for k in ACCOUNTING)
        return f"# accounting {line}\n".encode()


def short_diff(rust, ref, limit=12):
    a = rust.decode("utf-8", "replace").splitlines()
    b = ref.decode("utf-8", "replace").splitlines()
    lines = list(difflib.unified_diff(b, a, "reference", "rust", lineterm="", n=0))
    if len(lines) > limit:
        lines = lines[:limit] + [f"... ({len(lines) - limit} more diff lines)"]
    return "\n".join(lines)


def split_rows(text):
    """Header line and data lines (one physical line per row: the generator never writes
    a newline inside a field)."""
    eol = "\r\n" if "\r\n" in text else "\n"
    lines = text.split(eol)
    if lines and lines[-1] == "":
        lines.pop()
    return lines[0], lines[1:], eol


def minimize(runner, text, opts):
    header, rows, eol = split_rows(text)

    def build(rs):
        return eol.join([header] + rs) + eol

    def mismatch(rs):
        rust, ref = runner.run_both(build(rs), opts)
        return rust != ref

    # first whole persons' blocks would be faster, but rows one at a time is simple and
    # the inputs are small; repeat passes until no single deletion keeps the mismatch
    changed = True
    while changed:
        changed = False
        i = 0
        while i < len(rows):
            candidate = rows[:i] + rows[i + 1:]
            if candidate and mismatch(candidate):
                rows = candidate
                changed = True
            else:
                i += 1
    return build(rows)


def save_failure(directory, runner, seed, rnd, text, opts, rust, ref, minimized, errors):
    if os.path.isdir(directory):
        shutil.rmtree(directory)
    os.makedirs(directory)

    def write(name, data):
        if isinstance(data, str):
            data = data.encode("utf-8", "surrogateescape")
        with open(os.path.join(directory, name), "wb") as f:
            f.write(data)

    write("input.csv", text)
    write("rust.csv", rust)
    write("reference.csv", ref)
    lines = [f"seed={seed} round={rnd}", f"options={opts}", f"binary={runner.label}"]
    for name in ["input.csv", "minimized.csv"]:
        path = os.path.join(directory, name)
        r_cmd, p_cmd = runner.commands(path, opts, "-", "-")
        r_cmd[0] = "target/release/stayaudit"
        lines.append(f"rust      ({name}): " + shlex.join(r_cmd))
        lines.append(f"reference ({name}): " + shlex.join(p_cmd))
    write("rust-stderr.txt", errors.get("rust", b""))
    write("reference-stderr.txt", errors.get("ref", b""))
    if minimized is not None:
        write("minimized.csv", minimized)
        m_rust, m_ref = runner.run_both(minimized, opts)
        write("minimized-rust.csv", m_rust)
        write("minimized-reference.csv", m_ref)
        write("minimized-rust-stderr.txt", runner.last_errors.get("rust", b""))
        write("minimized-reference-stderr.txt", runner.last_errors.get("ref", b""))
    write("options.txt", "\n".join(lines) + "\n")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--rounds", type=int, default=100)
    p.add_argument("--only-round", type=int, help="replay this one round of --seed")
    p.add_argument("--rust", default=DEFAULT_RUST)
    p.add_argument("--reference", default=DEFAULT_REFERENCE)
    p.add_argument("--failures-dir", default="/tmp/differential-failures")
    p.add_argument("--no-minimize", action="store_true")
    p.add_argument("--exclude", action="append", default=[], choices=sorted(FEATURES),
                   help="switch a generator feature off (repeatable): "
                   + "; ".join(f"{k}: {v}" for k, v in FEATURES.items()))
    p.add_argument("--check-accounting", action="store_true",
                   help="also compare the row accounting (as_of, rows read/used/rejected, "
                   "duplicates, after_as_of, persons) of both tools' run summaries")
    p.add_argument("-v", "--verbose", action="store_true", help="print every round")
    args = p.parse_args()
    exclude = frozenset(args.exclude)

    rounds = [args.only_round] if args.only_round is not None else range(args.rounds)
    passed = failed = 0
    with tempfile.TemporaryDirectory(prefix="differential-") as work:
        # The binary may be rebuilt while we run: test one snapshot of it, and say which.
        rust = os.path.join(work, "stayaudit")
        shutil.copy2(args.rust, rust)
        with open(rust, "rb") as f:
            digest = hashlib.sha256(f.read()).hexdigest()[:16]
        print(f"stayaudit snapshot of {args.rust}: sha256 {digest}")
        runner = Runner(rust, args.reference, work, args.check_accounting)
        runner.label = f"{args.rust} (sha256 {digest})"
        for rnd in rounds:
            rng = random.Random(f"{args.seed}:{rnd}")
            text, first, last, file_options = gen_export(rng, exclude)
            opts = gen_options(rng, first, last, file_options, exclude)
            rust, ref = runner.run_both(text, opts)
            errors = dict(runner.last_errors)
            if rust == ref:
                passed += 1
                if args.verbose:
                    print(f"round {rnd}: ok {opts}")
                continue
            failed += 1
            directory = os.path.join(args.failures_dir, str(rnd))
            print(f"round {rnd}: MISMATCH {opts} -> {directory}")
            print(short_diff(rust, ref))
            minimized = None if args.no_minimize else minimize(runner, text, opts)
            save_failure(directory, runner, args.seed, rnd, text, opts, rust, ref, minimized,
                         errors)
            if minimized is not None:
                m_rust, m_ref = runner.run_both(minimized, opts)
                n = len(split_rows(minimized)[1])
                print(f"  minimized to {n} row(s): {os.path.join(directory, 'minimized.csv')}")
                print("  " + short_diff(m_rust, m_ref).replace("\n", "\n  "))
            sys.stdout.flush()
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
