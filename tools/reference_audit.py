#!/usr/bin/env python3
"""Slow, obviously-correct reference auditor for stayaudit.

Deliberately independent of the Rust engine: it reads the literal definitions of
docs/RULES.md (and the reasons in docs/DECISIONS.md) and evaluates them DAY BY DAY with Python
sets of day numbers (date ordinals). No interval arithmetic, no clever shortcuts: it
exists so the fast engine can be checked against something a reviewer can verify by eye.

    python3 tools/reference_audit.py INPUT.csv [INPUT2.csv ...] [--as-of YYYY-MM-DD]
        [--gaps min|max] [--grandfather stays-entered-before|days-before]
        [--tz +05:00] [--rules kz-2023|schengen] [--max-rejected 1%|COUNT] [--strict]
        [--direction-word WORD=entry|exit]... [-d ,|;|tab|'|'] -o OUT.csv

Writes one report row for EVERY person with at least one used row (like
`stayaudit audit --all-persons`), sorted by person_id, with the README's report columns.
Row accounting goes to stderr (its last line). Like the binary (README "No silent
all-clear"), it fails with exit 2 and writes no report when no crossing row was used
(stderr: `no crossing row was used`), when a file has more rejected rows than
--max-rejected allows (`more than --max-rejected`), or when the rule set's effective date
is after the audit date (`after the audit date`, docs/DECISIONS.md); one line for each
reason that holds. Reads UTF-8 only (invalid bytes reject the row when in a field the
audit reads), the delimiter detected from the header line; blank lines and filler rows
are skipped (`blank_rows`), and Excel's trailing delimiter is read as the first data row
shows it. Standard library only (Python 3.11).
"""

import argparse
import csv
import datetime as dt
import io
import re
import sys
from fractions import Fraction

# --------------------------------------------------------------------------- rules

# docs/RULES.md, "Continuous limits by nationality": 90 days for EAEU nationals and
# where a treaty says so, 14 for Hong Kong passports recorded as HKG, 30 for the rest.
NINETY_DAYS = {"ARM", "BLR", "KGZ", "RUS", "GEO", "MDA", "MNG", "UKR"}
FOURTEEN_DAYS = {"HKG"}


def kz_continuous(nat):
    if nat in NINETY_DAYS:
        return 90
    if nat in FOURTEEN_DAYS:
        return 14
    return 30

RULE_SETS = {
    "kz-2023": {
        "window": 180,
        "limit": 90,
        "effective_from": dt.date(2023, 1, 27),
        "default_grandfather": "stays-entered-before",
        "continuous": kz_continuous,
    },
    "schengen": {
        "window": 180,
        "limit": 90,
        "effective_from": None,
        "default_grandfather": "stays-entered-before",
        "continuous": lambda nat: None,  # no continuous limit
    },
}

REPORT_COLUMNS = [
    "person_id", "nationality", "violations", "first_violation_date",
    "max_days_in_window", "overstay_days", "longest_stay_days", "longest_stay_entry",
    "entries_over_limit", "in_country", "days_used", "must_leave_by", "anomalies",
]

REQUIRED = ["person_id", "nationality", "direction", "crossed_at"]
OPTIONAL = ["checkpoint", "basis"]

# docs/RULES.md "Records, days and stays" and the README's input section: the English
# words, the border system's Russian and Kazakh ones (`кiру` with a Latin i as typed,
# `шыгу` as Windows-1251 writes `шығу`), any case; looked up after Unicode case folding.
DIRECTIONS = {
    "entry": "entry", "in": "entry", "exit": "exit", "out": "exit",
    "въезд": "entry", "выезд": "exit",
    "кіру": "entry",  # Cyrillic і (U+0456)
    "кiру": "entry",  # Latin i
    "шығу": "exit",
    "шыгу": "exit",
}


class UsageError(Exception):
    """Bad arguments, unreadable input, a missing or doubled required column (exit 2)."""


class RunFailed(UsageError):
    """The run read its inputs but must not give a report (exit 2), for every reason that
    holds (the docs give no order among them): no crossing row was used, a file has more
    rejected rows than --max-rejected allows, or the rule set cannot bite (its
    effective_from is after the audit date)."""

    def __init__(self, reasons):
        super().__init__("\nreference_audit: error: ".join(reasons))


# --------------------------------------------------------------------- timestamps

# docs/DECISIONS.md 3: T/Z may be lower case, the fraction (after '.' or ',') needs seconds,
# and a space may stand before the offset.
# The README's input section: the hour has one digit or two (`01.02.2023 9:05`, as Excel
# writes it); minutes and seconds keep two (docs/DECISIONS.md "One-digit hours").
ISO_RE = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})"
    r"(?:[Tt ](\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?"
    r" ?([Zz]|[+-]\d{2}(?::\d{2}|\d{2})?)?)?$", re.ASCII
)
DOTTED_RE = re.compile(r"^(\d{2})\.(\d{2})\.(\d{4})(?: (\d{1,2}):(\d{2})(?::(\d{2}))?)?$",
                       re.ASCII)
OFFSET_RE = re.compile(r"^([+-])(\d{2})(?::?(\d{2}))?$", re.ASCII)

EPOCH = dt.datetime(1970, 1, 1)


def parse_offset_minutes(text):
    """'+05:00', '+0500', '+05' or 'Z' -> minutes east of UTC; None when invalid."""
    if text in ("Z", "z"):
        return 0
    m = OFFSET_RE.match(text)
    if not m:
        return None
    sign, hh, mm = m.group(1), int(m.group(2)), int(m.group(3) or 0)
    if mm > 59:
        return None
    minutes = hh * 60 + mm
    if sign == "-":
        minutes = -minutes
    if not (-12 * 60 <= minutes <= 14 * 60):
        return None
    return minutes


def parse_timestamp(text, tz_minutes):
    """Returns (instant_ns_utc, local_day_ordinal) or raises ValueError(reason)."""
    m = ISO_RE.match(text)
    if m:
        y, mo, d, hh, mi, ss, frac, off = m.groups()
        year, month, day = int(y), int(mo), int(d)
    else:
        m = DOTTED_RE.match(text)
        if not m:
            raise ValueError(f"unrecognised timestamp '{text}'")
        d, mo, y, hh, mi, ss = m.groups()
        frac, off = None, None
        year, month, day = int(y), int(mo), int(d)
    if not (1900 <= year <= 2199):
        raise ValueError(f"year {year} out of range 1900..2199")
    hour = int(hh) if hh is not None else 0
    minute = int(mi) if mi is not None else 0
    second = int(ss) if ss is not None else 0
    try:
        naive = dt.datetime(year, month, day, hour, minute, second)
    except ValueError as e:
        raise ValueError(f"invalid date/time '{text}': {e}")
    nanos = int(frac.ljust(9, "0")) if frac else 0
    if off is None:
        offset = tz_minutes  # no offset: already local
    else:
        offset = parse_offset_minutes(off)
        if offset is None:
            raise ValueError(f"invalid offset '{off}'")
    utc = naive - dt.timedelta(minutes=offset)
    delta = utc - EPOCH
    instant = (delta.days * 86400 + delta.seconds) * 1_000_000_000 + nanos
    local = utc + dt.timedelta(minutes=tz_minutes)
    return instant, local.date().toordinal()


def day_str(ordinal):
    return dt.date.fromordinal(ordinal).isoformat()


# ------------------------------------------------------------------------ ingest

class Record:
    __slots__ = ("seq", "source", "line", "person", "nat", "direction", "instant", "day",
                 "basis", "checkpoint", "canon")


def has_invalid_utf8(field):
    # the file was decoded with 'surrogateescape': each undecodable byte became a
    # lone surrogate U+DC80..U+DCFF, which valid UTF-8 can never produce.
    return any("\udc80" <= c <= "\udcff" for c in field)


def is_blank(fields):
    """docs/RULES.md "Records that don't fit": a blank line, or a filler row whose every
    field is empty (Excel's `;;;;;;`), holds no data."""
    return all(not f.strip() for f in fields)


def readable_id(fields, col):
    """The person id a rejected row still shows (docs/DECISIONS.md "The analyst's
    morning", `rejected_row`): the person_id column, where the header puts it, trimmed,
    non-empty and valid UTF-8; None when there is none."""
    idx = col["person_id"]
    if idx >= len(fields):
        return None
    pid = fields[idx].strip()
    if not pid or has_invalid_utf8(pid):
        return None
    return pid


DELIMITER_CANDIDATES = [";", "\t", "|"]


def header_names(line, delimiter):
    fields = next(csv.reader([line], delimiter=delimiter), [])
    return [h.strip().lstrip("\ufeff").strip().lower() for h in fields]


def detect_delimiter(path, text, forced):
    """docs/DECISIONS.md "Delimiters and encodings": --delimiter wins; a .tsv/.tab name
    means tab; else the header line decides: comma when split at ',' it holds any
    required name, else the one of ';', tab and '|' that does (two: an error); none keeps
    comma."""
    if forced is not None:
        return forced
    if path.lower().endswith((".tsv", ".tab")):  # the reference reads no compressed file
        return "\t"
    first = text.split("\n", 1)[0].rstrip("\r")
    if any(n in REQUIRED for n in header_names(first, ",")):
        return ","
    hits = [d for d in DELIMITER_CANDIDATES if any(n in REQUIRED for n in header_names(first, d))]
    if len(hits) > 1:
        raise UsageError(f"{path}: the header could be split at {' or '.join(map(repr, hits))};"
                         " choose with --delimiter")
    return hits[0] if hits else ","


class FileStats:
    __slots__ = ("path", "rows_read", "rejected", "blank_rows")

    def __init__(self, path):
        self.path, self.rows_read, self.rejected, self.blank_rows = path, 0, 0, 0


def read_inputs(paths, tz_minutes, directions, delimiter=None):
    """Returns (records, rejects, stats). rejects = [(source, line, reason, readable id or
    None)]; stats = one FileStats per input (rows read, rejected, blank rows)."""
    records, rejects, stats = [], [], []
    seq = 0
    for path in paths:
        try:
            data = sys.stdin.buffer.read() if path == "-" else open(path, "rb").read()
        except OSError as e:
            raise UsageError(f"cannot read {path}: {e}")
        text = data.decode("utf-8", "surrogateescape")
        if text.startswith("\ufeff"):
            text = text[1:]  # a UTF-8 byte-order mark is no part of the header
        delim = detect_delimiter(path, text, delimiter)
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delim)
        file_stats = FileStats(path)
        stats.append(file_stats)
        header = None
        trailing = None  # empty fields beyond the header's that the first data row has
        for fields in reader:
            if header is None:
                header = fields
                names = [h.strip().lstrip("\ufeff").strip().lower() for h in header]
                col = {}
                for want in REQUIRED + OPTIONAL:
                    idx = [i for i, n in enumerate(names) if n == want]
                    if len(idx) > 1:  # docs/DECISIONS.md 4: any column the audit reads
                        raise UsageError(f"{path}: column '{want}' appears twice")
                    if idx:
                        col[want] = idx[0]
                    elif want in REQUIRED:
                        raise UsageError(f"{path}: missing required column '{want}'")
                continue
            if is_blank(fields):
                # blank line or filler row: not a row read (docs/RULES.md)
                file_stats.blank_rows += 1
                continue
            if trailing is None:
                # the first data row decides how many trailing empty fields every row
                # may have (docs/DECISIONS.md "A trailing delimiter ...")
                extra = fields[len(header):]
                trailing = len(extra) if extra and is_blank(extra) else 0
            file_stats.rows_read += 1
            line = reader.line_num
            reason = check_and_build(fields, header, col, tz_minutes, directions, trailing)
            if isinstance(reason, str):
                file_stats.rejected += 1
                rejects.append((path, line, reason, readable_id(fields, col)))
                continue
            rec = reason
            rec.seq, rec.source, rec.line = seq, path, line
            seq += 1
            records.append(rec)
        if header is None:
            raise UsageError(f"{path}: empty input, no header row")
    return records, rejects, stats


def check_and_build(fields, header, col, tz_minutes, directions, trailing=0):
    """A Record, or a rejection reason (str)."""
    if (trailing and len(fields) == len(header) + trailing
            and is_blank(fields[len(header):])):
        fields = fields[:len(header)]  # the file's trailing delimiter(s)
    if len(fields) != len(header):
        return f"record: expected {len(header)} fields, found {len(fields)}"
    for name in REQUIRED + OPTIONAL:
        if name in col and has_invalid_utf8(fields[col[name]]):
            return f"{name}: invalid UTF-8"
    person = fields[col["person_id"]].strip()
    if not person:
        return "person_id: empty"
    nat = fields[col["nationality"]].strip()
    if not (len(nat) == 3 and all("A" <= c <= "Z" or "a" <= c <= "z" for c in nat)):
        return f"nationality: not three ASCII letters '{nat}'"
    nat = nat.upper()
    raw_dir = fields[col["direction"]].strip()
    direction = directions.get(raw_dir.casefold())
    if direction is None:
        return f"direction: unknown value '{raw_dir}'"
    try:
        instant, day = parse_timestamp(fields[col["crossed_at"]].strip(), tz_minutes)
    except ValueError as e:
        return f"crossed_at: {e}"
    basis = fields[col["basis"]].strip() if "basis" in col else ""
    basis = basis.lower().replace("-", "_").replace(" ", "_") or "visa_free"
    rec = Record()
    rec.person, rec.nat, rec.direction = person, nat, direction
    rec.instant, rec.day, rec.basis = instant, day, basis
    rec.checkpoint = fields[col["checkpoint"]].strip() if "checkpoint" in col else ""
    return rec


# ------------------------------------------------------------------------- stays

class Stay:
    __slots__ = ("entry", "exit", "basis", "open")

    def __init__(self, entry, exit_, basis, open_=False):
        self.entry, self.exit, self.basis, self.open = entry, exit_, basis, open_

    def days(self):
        return set(range(self.entry, self.exit + 1))

    def length(self):
        return self.exit - self.entry + 1


def canonical_key(r):
    """docs/DECISIONS.md 'Duplicates and the canonical order': by instant, then nationality,
    basis and checkpoint as text (the values as read: nationality upper-cased, basis
    normalized, checkpoint trimmed). Input position only separates identical rows, where
    it cannot change anything."""
    return (r.instant, r.nat, r.basis, r.checkpoint, r.seq)


def order_records(recs):
    """Sort by instant; at equal instants exit first while inside, entry first while
    outside (docs/RULES.md 'Order of a person's records')."""
    recs = sorted(recs, key=lambda r: (r.instant, r.canon))
    out, inside, i = [], False, 0
    while i < len(recs):
        j = i
        while j < len(recs) and recs[j].instant == recs[i].instant:
            j += 1
        group = recs[i:j]
        while group:
            want = "exit" if inside else "entry"
            pick = next((r for r in group if r.direction == want), group[0])
            group.remove(pick)
            out.append(pick)
            inside = pick.direction == "entry"
        i = j
    return out


def build_stays(ordered, gaps, as_of, earliest_day):
    """Returns (stays, anomalies:set)."""
    stays, anomalies = [], set()
    open_entry = None  # the entry Record of the stay in progress
    prev_exit_day = None
    for r in ordered:
        if r.direction == "entry":
            if open_entry is not None:
                anomalies.add("missing_exit")
                end = open_entry.day if gaps == "min" else r.day
                stays.append(Stay(open_entry.day, end, open_entry.basis))
            open_entry = r
        else:
            if open_entry is not None:
                stays.append(Stay(open_entry.day, r.day, open_entry.basis))
                open_entry = None
            else:
                anomalies.add("missing_entry")
                if gaps == "min":
                    start = r.day
                else:
                    start = earliest_day
                    if prev_exit_day is not None:
                        start = max(start, prev_exit_day)
                # the lost entry's basis is unknown: the exit record's stands in for it
                stays.append(Stay(start, r.day, r.basis))
            prev_exit_day = r.day
    if open_entry is not None:
        stays.append(Stay(open_entry.day, as_of, open_entry.basis, open_=True))
    return stays, anomalies


# ------------------------------------------------------------------------ engine

def counted_days(stays, rules, grandfather):
    """docs/RULES.md 'Which days count': every day covered by some counted stay (not
    exempt, not grandfathered), whatever other stays share it; under days-before only
    days on or after effective_from."""
    eff = rules["effective_from"]
    eff = eff.toordinal() if eff is not None else None
    counted = set()
    for s in stays:
        if s.basis == "visa_free" and not is_grandfathered(s, rules, grandfather):
            counted |= s.days()
    if grandfather == "days-before" and eff is not None:
        counted = {d for d in counted if d >= eff}
    return counted


def is_grandfathered(stay, rules, grandfather):
    eff = rules["effective_from"]
    return (grandfather == "stays-entered-before" and eff is not None
            and stay.entry < eff.toordinal())


def used(counted, day, window):
    """Counted days in [day-window+1, day], one membership test per day."""
    return sum(1 for d in range(day - window + 1, day + 1) if d in counted)


def evaluate(person, recs, anomalies_in, rules, gaps, grandfather, as_of, earliest_day):
    window, limit = rules["window"], rules["limit"]
    # deciding nationality: latest used record, ties -> the last in the canonical order
    latest = max(recs, key=lambda r: (r.instant, r.canon))
    nat = latest.nat
    anomalies = set(anomalies_in)
    if len({r.nat for r in recs}) > 1:
        anomalies.add("nationality_changed")

    ordered = order_records(recs)
    stays, gap_anoms = build_stays(ordered, gaps, as_of, earliest_day)
    anomalies |= gap_anoms

    counted = counted_days(stays, rules, grandfather)
    used_on = {d: used(counted, d, window) for d in counted}

    # cumulative
    viol_days = sorted(d for d in counted if used_on[d] > limit)
    max_in_window = max(used_on.values()) if used_on else 0

    # entry_over_limit: counted stays (not exempt, not grandfathered, entry day counted)
    entries_over = 0
    for s in stays:
        if s.basis != "visa_free" or is_grandfathered(s, rules, grandfather):
            continue
        if s.entry not in counted:
            continue
        used_before = sum(1 for d in range(s.entry - window + 1, s.entry) if d in counted)
        if used_before >= limit:
            entries_over += 1

    # continuous (non-exempt stays, grandfathered included)
    cont_limit = rules["continuous"](nat)
    non_exempt = [s for s in stays if s.basis == "visa_free"]
    continuous = cont_limit is not None and any(s.length() > cont_limit for s in non_exempt)
    longest_days, longest_entry = 0, None
    for s in non_exempt:
        if s.length() > longest_days or (s.length() == longest_days and s.entry < longest_entry):
            longest_days, longest_entry = s.length(), s.entry

    violations = []
    if viol_days:
        violations.append("cumulative")
    if continuous:
        violations.append("continuous")
    if entries_over:
        violations.append("entry_over_limit")

    in_country = bool(stays) and stays[-1].open
    days_used = must_leave = None
    if in_country:
        days_used = used(counted, as_of, window)
        cur = stays[-1]
        if cur.basis == "visa_free":
            must_leave = must_leave_by(stays, rules, grandfather, as_of, cont_limit)

    return {
        "person_id": person,
        "nationality": nat,
        "violations": ";".join(violations),
        "first_violation_date": day_str(viol_days[0]) if viol_days else "",
        "max_days_in_window": str(max_in_window),
        "overstay_days": str(len(viol_days)),
        "longest_stay_days": str(longest_days),
        "longest_stay_entry": day_str(longest_entry) if longest_entry is not None else "",
        "entries_over_limit": str(entries_over),
        "in_country": "true" if in_country else "false",
        "days_used": str(days_used) if days_used is not None else "",
        "must_leave_by": day_str(must_leave) if must_leave is not None else "",
        "anomalies": ";".join(sorted(anomalies)),
    }


def must_leave_by(stays, rules, grandfather, as_of, cont_limit):
    """docs/RULES.md 'A person in the country on as_of', by simulation day by day."""
    window, limit = rules["window"], rules["limit"]
    cur = stays[-1]

    def first_break(stays_now, last_day):
        """First day of the current stay, up to last_day, that breaks a rule, or None."""
        counted = counted_days(stays_now, rules, grandfather)
        for d in range(cur.entry, last_day + 1):
            if cont_limit is not None and d - cur.entry + 1 > cont_limit:
                return d
            if d in counted and used(counted, d, window) > limit:
                return d
        return None

    already = first_break(stays, as_of)
    if already is not None:
        return already - 1
    last_ok = as_of
    guard = as_of + 20000  # every rule set bounds a stay; this only stops a runaway loop
    while last_ok < guard:
        candidate = last_ok + 1
        extended = stays[:-1] + [Stay(cur.entry, candidate, cur.basis, open_=True)]
        if first_break(extended, candidate) is not None:
            break
        last_ok = candidate
    return last_ok


# -------------------------------------------------------------------------- main

def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("inputs", nargs="+")
    p.add_argument("--as-of")
    p.add_argument("--gaps", choices=["min", "max"], default="min")
    p.add_argument("--grandfather", choices=["stays-entered-before", "days-before"])
    p.add_argument("--tz", default="+05:00")
    p.add_argument("--rules", choices=sorted(RULE_SETS), default="kz-2023")
    p.add_argument("-o", "--out", default="-")
    p.add_argument("--max-rejected", default="1%",
                   help="PERCENT%% of a file's rows, or a COUNT (default 1%%)")
    p.add_argument("--strict", action="store_true", help="= --max-rejected 0")
    p.add_argument("--direction-word", action="append", default=[],
                   metavar="WORD=entry|exit")
    p.add_argument("-d", "--delimiter")
    return p.parse_args(argv)


def parse_max_rejected(text):
    """README "No silent all-clear": `N%` a share of each file's rows (0% to 100%), a
    number a count. Returns a function (rows_read, rejected) -> True when over it."""
    text = text.strip()
    if text.endswith("%"):
        try:
            share = Fraction(text[:-1])
        except (ValueError, ZeroDivisionError):
            raise UsageError(f"--max-rejected {text}: expected PERCENT% or COUNT")
        if not 0 <= share <= 100:
            raise UsageError(f"--max-rejected {text}: a percentage is 0% to 100%")
        return lambda rows, rejected: rejected * 100 > share * rows
    if not text.isascii() or not text.isdigit():
        raise UsageError(f"--max-rejected {text}: expected PERCENT% or COUNT")
    count = int(text)
    return lambda rows, rejected: rejected > count


def parse_direction_words(pairs):
    """The built-in words plus `--direction-word WORD=entry|exit`; a word that already
    means the other direction is refused (README)."""
    words = dict(DIRECTIONS)
    for pair in pairs:
        word, sep, meaning = pair.rpartition("=")
        word = word.strip().casefold()
        meaning = meaning.strip().lower()
        if not sep or not word or meaning not in ("entry", "exit"):
            raise UsageError(f"--direction-word {pair}: expected WORD=entry or WORD=exit")
        if words.get(word, meaning) != meaning:
            raise UsageError(f"--direction-word {pair}: '{word}' already means "
                             f"{words[word]}")
        words[word] = meaning
    return words


def parse_delimiter(text):
    if text is None:
        return None
    if text in ("\\t", "tab", "\t"):
        return "\t"
    if text in (",", ";", "|"):
        return text
    raise UsageError(f"--delimiter {text!r}: expected , ; | or a tab")


def run(argv):
    args = parse_args(argv)
    tz = parse_offset_minutes(args.tz) if args.tz != "Z" else 0
    if tz is None:
        raise UsageError(f"--tz: invalid offset '{args.tz}'")
    rules = RULE_SETS[args.rules]
    grandfather = args.grandfather or rules["default_grandfather"]
    as_of = None
    if args.as_of is not None:
        try:
            as_of = dt.date.fromisoformat(args.as_of).toordinal()
        except ValueError:
            raise UsageError(f"--as-of: invalid date '{args.as_of}'")

    over_limit = parse_max_rejected("0" if args.strict else args.max_rejected)
    directions = parse_direction_words(args.direction_word)
    delimiter = parse_delimiter(args.delimiter)

    records, rejects, stats = read_inputs(args.inputs, tz, directions, delimiter)
    rows_read = sum(f.rows_read for f in stats)
    blank_rows = sum(f.blank_rows for f in stats)
    if as_of is None and records:
        as_of = max(r.day for r in records)
    earliest_day = min((r.day for r in records), default=None)

    # accounting, in order: rejected, after_as_of, duplicate, used
    after_as_of = duplicates = 0
    on_or_before = {}
    for r in records:  # input order
        if r.day > as_of:
            after_as_of += 1
            continue
        on_or_before.setdefault(r.person, []).append(r)
    # duplicates: the kept one is the first in the canonical order, not in input order
    used_by_person = {}
    dup_persons = set()
    for person, recs in on_or_before.items():
        seen = set()
        for r in sorted(recs, key=canonical_key):
            key = (r.direction, r.instant)
            if key in seen:
                duplicates += 1
                dup_persons.add(person)
                continue
            seen.add(key)
            r.canon = len(used_by_person.setdefault(person, []))
            used_by_person[person].append(r)
    rows_used = sum(len(v) for v in used_by_person.values())

    for source, line, reason, _pid in rejects:
        print(f"rejected {source}:{line}: {reason}", file=sys.stderr)
    assert rows_read == rows_used + len(rejects) + duplicates + after_as_of
    # README "No silent all-clear": a run that used no crossing row fails whatever the
    # limit, and so does a file with more rejected rows than --max-rejected allows;
    # docs/DECISIONS.md "A rule set that cannot bite is refused": an effective_from after
    # the audit date leaves no day to count. No report; every reason that holds is said.
    failures = []
    if rows_used == 0:
        failures.append(
            f"no crossing row was used ({rows_read} read: {len(rejects)} rejected, "
            f"{after_as_of} after as_of, {duplicates} duplicates)")
    for f in stats:
        if over_limit(f.rows_read, f.rejected):
            failures.append(
                f"{f.path}: {f.rejected} of {f.rows_read} rows rejected, more than "
                f"--max-rejected {'0' if args.strict else args.max_rejected} allows")
    eff = rules["effective_from"]
    if eff is not None and as_of is not None and eff.toordinal() > as_of:
        failures.append(f"rule set {args.rules}: the cumulative rule takes effect on "
                        f"{eff.isoformat()}, after the audit date {day_str(as_of)}")
    if failures:
        raise RunFailed(failures)

    # docs/RULES.md "rejected_row": a rejected row in which the person's id can be read
    rejected_ids = {pid for _s, _l, _r, pid in rejects if pid is not None}

    rows = []
    for person in sorted(used_by_person):
        anoms = {"duplicate"} if person in dup_persons else set()
        if person in rejected_ids:
            anoms.add("rejected_row")
        rows.append(evaluate(person, used_by_person[person], anoms, rules, args.gaps,
                             grandfather, as_of, earliest_day))

    out = sys.stdout if args.out == "-" else open(args.out, "w", newline="", encoding="utf-8")
    w = csv.writer(out, lineterminator="\n")
    w.writerow(REPORT_COLUMNS)
    for row in rows:
        w.writerow([row[c] for c in REPORT_COLUMNS])
    if out is not sys.stdout:
        out.close()

    flagged = {v: sum(1 for r in rows if v in r["violations"].split(";"))
               for v in ("cumulative", "continuous", "entry_over_limit")}
    print(f"as_of={day_str(as_of) if as_of is not None else ''} rows_read={rows_read} "
          f"rejected={len(rejects)} after_as_of={after_as_of} duplicates={duplicates} "
          f"used={rows_used} blank_rows={blank_rows} persons={len(rows)} "
          f"flagged={sum(1 for r in rows if r['violations'])} "
          f"cumulative={flagged['cumulative']} continuous={flagged['continuous']} "
          f"entry_over_limit={flagged['entry_over_limit']} "
          f"in_country={sum(1 for r in rows if r['in_country'] == 'true')}",
          file=sys.stderr)
    return 0


def main():
    try:
        return run(sys.argv[1:])
    except UsageError as e:
        print(f"reference_audit: error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
