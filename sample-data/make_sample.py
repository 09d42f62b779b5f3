#!/usr/bin/env python3
"""Deterministic generator of the bundled sample export, sample-data/crossings.csv.

    python3 sample-data/make_sample.py [-o sample-data/crossings.csv]

A small, plausible border-crossing export: about 300 travellers between 2022-06-01 and
2024-03-31, rows in crossing-time order as a border system writes them. It mixes the
situations stayaudit must handle: tourists, business travellers, visa-runners before and
after the 27 January 2023 rule change, EAEU nationals with long stays, visa and permit
holders, continuous-stay overstayers, people still inside at the end, duplicates (one of
them the same instant written with `Z` and with `+05:00`), missing exits and entries, a
nationality change, mixed timestamp forms, and six broken rows in the middle of the file
(one with an invalid UTF-8 byte, hence the file is written as bytes).

Fixed seed, standard library only: every run writes the same bytes.
"""

import argparse
import bisect
import datetime as dt
import os
import random

SEED = 20230127
START = dt.datetime(2022, 6, 1)
END = dt.datetime(2024, 3, 31, 23, 59, 59)  # export window, local time (+05:00)
EFFECTIVE = dt.datetime(2023, 1, 27)

HEADER = "person_id,nationality,direction,crossed_at,checkpoint,basis"

AIRPORTS = ["ALA-AIRPORT", "ALA-AIRPORT", "ALA-AIRPORT", "NQZ-AIRPORT", "NQZ-AIRPORT",
            "CIT-AIRPORT"]
LAND = {  # land crossings by the neighbour they lead to
    "KGZ": ["KORDAY"],
    "UZB": ["ZHIBEK-ZHOLY"],
    "CHN": ["KHORGOS"],
    "RUS": ["PETROPAVL"],
}

TOURIST_NATS = ["USA", "DEU", "GBR", "TUR", "KOR", "FRA", "ITA", "JPN", "ARE", "NLD",
                "ESP", "POL", "ISR", "AUS", "CAN", "MYS", "SGP", "CHE", "AUT", "SWE"]
BUSINESS_NATS = ["DEU", "GBR", "USA", "TUR", "KOR", "FRA", "ITA", "NLD", "JPN", "ARE"]
RUNNER_NATS = ["UZB", "UZB", "TJK", "TUR", "AZE", "UKR", "GEO", "MNG", "UZB", "TJK"]
EAEU = ["RUS", "RUS", "RUS", "KGZ", "KGZ", "ARM", "BLR"]
VISA_NATS = ["CHN", "IND", "IRN", "PAK", "VNM", "EGY", "NGA", "IND", "CHN"]

rng = random.Random(SEED)


# ------------------------------------------------------------------ small helpers

_used_ids = set()


def new_person_id():
    while True:
        style = rng.random()
        if style < 0.45:
            pid = rng.choice("NPCKGA") + "".join(rng.choice("0123456789") for _ in range(7))
        elif style < 0.75:
            pid = "P7" + "".join(rng.choice("0123456789ABCDEFGHJKLMNPRSTUVWXYZ")
                                 for _ in range(6))
        else:
            pid = ("".join(rng.choice("ABCDEFGHJKLMNPRSTUVWXYZ") for _ in range(2))
                   + "".join(rng.choice("0123456789") for _ in range(7)))
        if pid not in _used_ids:
            _used_ids.add(pid)
            return pid


def day(y, m, d):
    return dt.datetime(y, m, d)


def rand_day(lo, hi):
    """A random midnight between lo and hi (datetimes), both included."""
    span = (hi.date() - lo.date()).days
    return dt.datetime.combine(lo.date() + dt.timedelta(days=rng.randint(0, max(span, 0))),
                               dt.time())


def at(d, lo_hour=0, hi_hour=23):
    """d (a date-like datetime) at a random time between lo_hour:00 and hi_hour:59."""
    return dt.datetime.combine(d.date(), dt.time(rng.randint(lo_hour, hi_hour),
                                                 rng.randint(0, 59), rng.randint(0, 59)))


def checkpoint_for(nat, land_share=0.3):
    if nat in LAND and rng.random() < land_share:
        return rng.choice(LAND[nat])
    return rng.choice(AIRPORTS)


class Person:
    def __init__(self, nat, kind):
        self.pid = new_person_id()
        self.nat = nat
        self.kind = kind
        self.events = []  # dicts: when, direction, checkpoint, basis, nat

    def cross(self, when, direction, checkpoint, basis=""):
        self.events.append({"when": when, "direction": direction, "checkpoint": checkpoint,
                            "basis": basis, "nat": self.nat})

    def stay(self, entry_day, days, basis="", cp_in=None, cp_out=None, land=0.3,
             exit_after=None):
        """A stay of `days` days (entry and exit day both counted). Returns the exit
        datetime. exit_after forces the exit later than that moment (same-day run)."""
        cp_in = cp_in or checkpoint_for(self.nat, land)
        cp_out = cp_out or checkpoint_for(self.nat, land)
        t_in = at(entry_day, 6, 21) if cp_in in sum(LAND.values(), []) else at(entry_day)
        if exit_after is not None and t_in <= exit_after:
            t_in = exit_after + dt.timedelta(hours=rng.randint(1, 4), minutes=rng.randint(0, 59))
        exit_day = entry_day + dt.timedelta(days=days - 1)
        t_out = at(exit_day, 6, 21) if cp_out in sum(LAND.values(), []) else at(exit_day)
        if days == 1 and t_out <= t_in:
            t_out = t_in + dt.timedelta(hours=rng.randint(2, 6))
        self.cross(t_in, "entry", cp_in, basis)
        self.cross(t_out, "exit", cp_out, basis)
        return t_out


people = []


def person(nat, kind):
    p = Person(nat, kind)
    people.append(p)
    return p


# -------------------------------------------------------------------- populations

def tourists(n):
    for _ in range(n):
        p = person(rng.choice(TOURIST_NATS), "tourist")
        d = rand_day(START, day(2024, 3, 20))
        for _ in range(rng.choice([1, 1, 1, 2, 2, 3])):
            if d > END:
                break
            length = rng.randint(3, 16)
            p.stay(d, length, land=0.1)
            d = d + dt.timedelta(days=length + rng.randint(40, 250))


def business(n, heavy=False):
    for _ in range(n):
        p = person(rng.choice(BUSINESS_NATS), "business-heavy" if heavy else "business")
        d = rand_day(START, day(2022, 12, 31) if not heavy else day(2023, 3, 1))
        while d <= END:
            if heavy:  # project staff flying in and out: counts up past 90/180
                length, gap = rng.randint(12, 24), rng.randint(3, 9)
            else:
                length, gap = rng.randint(2, 7), rng.randint(10, 45)
            p.stay(d, length, cp_in=rng.choice(AIRPORTS[:5]), cp_out=rng.choice(AIRPORTS[:5]))
            d = d + dt.timedelta(days=length - 1 + gap)


def run_cycle(p, d, length, same_day, basis="", cp=None, prev_exit=None):
    """One visa-run stay starting on day d; returns (exit datetime, next entry day)."""
    cp = cp or rng.choice(LAND.get(p.nat, ["KORDAY", "ZHIBEK-ZHOLY"]))
    t_out = p.stay(d, length, basis=basis, cp_in=cp, cp_out=cp, exit_after=prev_exit)
    next_day = t_out.replace(hour=0, minute=0, second=0) + dt.timedelta(
        days=0 if same_day else rng.choice([1, 1, 2]))
    return t_out, next_day


def visa_runners(n_stop, n_keep, n_permit, n_comply):
    """Visa-free nationals living on 29-day stays with border runs, from 2022."""
    for i in range(n_stop + n_keep + n_permit + n_comply):
        fate = ("stop" if i < n_stop else "keep" if i < n_stop + n_keep
                else "permit" if i < n_stop + n_keep + n_permit else "comply")
        p = person(rng.choice(RUNNER_NATS), "runner-" + fate)
        same_day = rng.random() < 0.6
        cp = rng.choice(LAND.get(p.nat, ["KORDAY", "ZHIBEK-ZHOLY"]))  # their usual crossing
        d = rand_day(day(2022, 6, 5), day(2022, 11, 30))
        prev = None
        stop_at = {"stop": rand_day(day(2023, 2, 1), day(2023, 4, 30)),
                   "keep": rand_day(day(2023, 6, 1), day(2024, 6, 1)),
                   "permit": rand_day(day(2023, 2, 15), day(2023, 7, 1)),
                   "comply": rand_day(day(2023, 1, 27), day(2023, 3, 15))}[fate]
        while d < stop_at and d <= END:
            prev, d = run_cycle(p, d, rng.choice([28, 29, 29, 29, 30]), same_day, cp=cp,
                                prev_exit=prev)
        if fate == "permit" and d <= END:
            # came back on a temporary residence permit (work contract, study, ...)
            d = d + dt.timedelta(days=rng.randint(1, 20))
            while d <= END:
                length = rng.randint(120, 300)
                p.stay(d, length, basis=rng.choice(["residence_permit", "Residence Permit"]))
                d = d + dt.timedelta(days=length + rng.randint(5, 30))
        elif fate == "comply" and d <= END:
            # learned the new rule: 90 days in, at least 90 out
            d = d + dt.timedelta(days=rng.randint(95, 140))
            while d <= END:
                length = rng.randint(10, 29)
                p.stay(d, length)
                d = d + dt.timedelta(days=length + rng.randint(100, 150))
        elif fate == "stop" and rng.random() < 0.4:
            d = rand_day(day(2023, 9, 1), day(2024, 3, 1))
            p.stay(d, rng.randint(5, 14))


def relocants(n_keep, n_permit, n_left, n_comply):
    """Russians arriving in autumn 2022 on 90-day visa-free stays, running every 3 months."""
    for i in range(n_keep + n_permit + n_left + n_comply):
        fate = ("keep" if i < n_keep else "permit" if i < n_keep + n_permit
                else "left" if i < n_keep + n_permit + n_left else "comply")
        p = person("RUS", "relocant-" + fate)
        d = rand_day(day(2022, 9, 21), day(2022, 10, 20))
        stop_at = {"keep": END, "permit": rand_day(day(2023, 2, 1), day(2023, 6, 1)),
                   "left": rand_day(day(2023, 1, 1), day(2023, 8, 1)),
                   "comply": rand_day(day(2023, 1, 27), day(2023, 4, 1))}[fate]
        prev = None
        cp = rng.choice(["PETROPAVL", "KORDAY", "ALA-AIRPORT"])  # their usual way out
        while d < stop_at and d <= END:
            same = cp != "ALA-AIRPORT" and rng.random() < 0.3
            prev, d = run_cycle(p, d, rng.randint(80, 89), same, cp=cp, prev_exit=prev)
        if fate == "permit":
            d = d + dt.timedelta(days=rng.randint(1, 10))  # back with the permit
            while d <= END:
                length = rng.randint(150, 365)
                p.stay(d, length, basis="residence_permit")
                d = d + dt.timedelta(days=length + rng.randint(3, 20))
        elif fate == "comply":
            d = d + dt.timedelta(days=rng.randint(92, 120))
            while d <= END:
                length = rng.randint(60, 88)
                p.stay(d, length, land=0.5)
                d = d + dt.timedelta(days=length + rng.randint(95, 110))


def eaeu_long(n, n_overstay):
    for i in range(n):
        p = person(rng.choice(EAEU), "eaeu" if i >= n_overstay else "eaeu-continuous")
        d = rand_day(START, day(2023, 6, 1))
        first = True
        while d <= END:
            if i < n_overstay and first:
                length = rng.randint(95, 140)  # past the 90-day continuous limit
            else:
                length = rng.randint(10, 85)
            first = False
            p.stay(d, length, land=0.5)
            d = d + dt.timedelta(days=length + rng.randint(90, 200))


def continuous_overstayers(n):
    """Visa-free nationals (30-day limit) staying 31..60 days."""
    for i in range(n):
        p = person(rng.choice(["UZB", "TJK", "AZE", "TUR", "USA", "GEO"]), "continuous")
        d = rand_day(day(2022, 7, 1) if i % 2 == 0 else day(2023, 2, 1), day(2023, 12, 1))
        p.stay(d, rng.randint(31, 60), land=0.5)
        if rng.random() < 0.5:
            d = d + dt.timedelta(days=rng.randint(150, 220))
            if d <= END:
                p.stay(d, rng.randint(5, 20))


def permit_holders(n_visa, n_permit, n_diplomatic):
    for _ in range(n_visa):
        p = person(rng.choice(VISA_NATS), "visa")
        d = rand_day(START, day(2024, 2, 1))
        while d <= END:
            length = rng.randint(10, 120)
            p.stay(d, length, basis=rng.choice(["visa", "visa", "VISA", "Visa"]))
            d = d + dt.timedelta(days=length + rng.randint(20, 200))
    for _ in range(n_permit):
        p = person(rng.choice(["CHN", "TUR", "IND", "KOR", "DEU", "UZB", "RUS", "USA"]),
                   "permit")
        d = rand_day(START, day(2023, 10, 1))
        while d <= END:
            length = rng.randint(60, 320)
            p.stay(d, length, basis="residence_permit")
            d = d + dt.timedelta(days=length + rng.randint(3, 40))
    for nat in ["USA", "DEU"][:n_diplomatic]:
        p = person(nat, "diplomatic")
        d = rand_day(day(2022, 6, 1), day(2022, 9, 1))
        while d <= END:
            length = rng.randint(150, 300)
            p.stay(d, length, basis="diplomatic", cp_in="NQZ-AIRPORT", cp_out="NQZ-AIRPORT")
            d = d + dt.timedelta(days=length + rng.randint(10, 30))


def arrivals_at_end(n):
    """People arriving in the last weeks of the export: still inside on as_of."""
    for _ in range(n):
        nat = rng.choice(TOURIST_NATS + EAEU + ["UZB", "KGZ"])
        p = person(nat, "arrival")
        p.cross(at(rand_day(day(2024, 3, 3), day(2024, 3, 30))), "entry",
                checkpoint_for(nat, 0.4))


def special_cases():
    # entered before the export began: the history opens with an exit (missing_entry)
    for nat in ["KGZ", "RUS", "TUR"]:
        p = person(nat, "entered-before-export")
        p.cross(at(rand_day(day(2022, 6, 1), day(2022, 6, 20))), "exit", checkpoint_for(nat))
        d = rand_day(day(2022, 9, 1), day(2023, 6, 1))
        p.stay(d, rng.randint(5, 25))

    # a lost exit record mid-history (entry followed by entry: missing_exit)
    for nat in ["DEU", "KGZ"]:
        p = person(nat, "lost-exit")
        d = rand_day(day(2022, 8, 1), day(2023, 1, 1))
        for _ in range(3):
            length = rng.randint(5, 20)
            p.stay(d, length)
            d = d + dt.timedelta(days=length + rng.randint(60, 120))
        del p.events[3]  # the second stay's exit

    # a lost entry record mid-history (exit after exit: missing_entry)
    for nat in ["GBR", "ARM"]:
        p = person(nat, "lost-entry")
        d = rand_day(day(2023, 2, 1), day(2023, 6, 1))
        for _ in range(3):
            length = rng.randint(5, 20)
            p.stay(d, length)
            d = d + dt.timedelta(days=length + rng.randint(40, 90))
        del p.events[2]  # the second stay's entry

    # nationality change: a Kyrgyz national naturalised as Russian, same linked id
    p = person("KGZ", "nationality-change")
    d = day(2022, 7, 11)
    for _ in range(5):
        length = rng.randint(20, 60)
        p.stay(d, length, land=0.7)
        d = d + dt.timedelta(days=length + rng.randint(60, 100))
    for e in p.events[6:]:
        e["nat"] = "RUS"

    # a regional checkpoint that exports dates only: same-day visa runs at KORDAY, so
    # exit and re-entry carry the very same timestamp and only the tie rule of docs/RULES.md
    # orders them (one pair is even written entry-first, as an unsorted feed might)
    p = person("KGZ", "date-only-runner")
    p.date_only = True
    d = day(2023, 3, 2)
    for length in [40, 35, 30]:
        p.cross(d, "entry", "KORDAY")
        d = d + dt.timedelta(days=length - 1)
        p.cross(d, "exit", "KORDAY")
    d = day(2023, 10, 2)
    for length in [45, 50]:
        p.cross(d, "entry", "KORDAY")
        d = d + dt.timedelta(days=length - 1)
        p.cross(d, "exit", "KORDAY")
    p.events[-3], p.events[-2] = p.events[-2], p.events[-3]  # 2023-11-15: entry, exit


# ------------------------------------------------------------------------ render

def render(when, form):
    """Text of a local (+05:00) datetime in one of the export's timestamp forms."""
    if form == "plain":
        return when.strftime("%Y-%m-%d %H:%M:%S")
    if form == "iso+05":
        return when.strftime("%Y-%m-%dT%H:%M:%S") + "+05:00"
    if form == "iso-ms":
        return when.strftime("%Y-%m-%dT%H:%M:%S") + f".{rng.randint(0, 999):03d}+05:00"
    if form == "Z":
        return (when - dt.timedelta(hours=5)).strftime("%Y-%m-%dT%H:%M:%SZ")
    if form == "msk":  # a Russian-side feed writing Moscow time
        return (when - dt.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%S+0300")
    if form == "dotted":
        return when.strftime("%d.%m.%Y %H:%M")
    if form == "date":
        return when.strftime("%Y-%m-%d")
    raise ValueError(form)


def sort_instant(when, form):
    """The instant the rendered text stands for (local +05:00), for export order."""
    if form == "dotted":
        return when.replace(second=0)
    if form == "date":
        return when.replace(hour=0, minute=0, second=0)
    return when


def choose_form(p, i):
    """Timestamp form of the person's i-th event. Date-only only where it cannot change
    the order of the person's own records (no other record of theirs that day)."""
    if getattr(p, "date_only", False):
        return "date"
    e = p.events[i]
    r = rng.random()
    if e["checkpoint"] == "PETROPAVL" and r < 0.12:
        return "msk"
    if r < 0.72:
        return "plain"
    if r < 0.80:
        return "iso+05"
    if r < 0.85:
        return "Z"
    if r < 0.87:
        return "iso-ms"
    if r < 0.96:
        return "dotted"
    same_day_neighbour = any(
        0 <= j < len(p.events) and p.events[j]["when"].date() == e["when"].date()
        for j in (i - 1, i + 1))
    return "plain" if same_day_neighbour else "date"


def build_rows():
    rows = []  # (sort_instant, seq, bytes line)
    seq = 0
    for p in people:
        p.events.sort(key=lambda e: e["when"])
        for i, e in enumerate(p.events):
            if not (START <= e["when"] <= END):
                continue
            form = choose_form(p, i)
            line = ",".join([p.pid, e["nat"], e["direction"], render(e["when"], form),
                             e["checkpoint"], e["basis"]])
            rows.append((sort_instant(e["when"], form), seq, line.encode()))
            seq += 1
    return rows


def add_duplicates(rows):
    """Three records exported twice, and one exported by two feeds: Z and +05:00."""
    rows.sort()
    picks = rng.sample(range(100, len(rows) - 100), 4)
    extra = []
    for k in picks[:3]:
        inst, seq, line = rows[k]
        extra.append((inst, seq, line))  # the very same record again
    inst, seq, line = rows[picks[3]]
    fields = line.decode().split(",")
    when = inst.replace(microsecond=0)
    fields[3] = render(when, "Z")
    rows[picks[3]] = (inst, seq, ",".join(fields).encode())
    fields[3] = render(when, "iso+05")
    extra.append((inst, seq, ",".join(fields).encode()))
    rows.extend(extra)


def broken_rows():
    """Six rows a real feed produces now and then, each with the moment it would sit at
    in the export; every one must be rejected."""
    a, b, c, d, e = (new_person_id() for _ in range(5))
    return [
        (day(2023, 3, 14), b",USA,entry,2023-03-14 11:20:05,ALA-AIRPORT,"),  # no person_id
        (day(2023, 4, 2), f"{a},TUR,sideways,2023-04-02 09:12:44,NQZ-AIRPORT,".encode()),
        (day(2023, 3, 1), f"{b},DEU,exit,2023-02-30 10:00,ALA-AIRPORT,".encode()),  # no such day
        (day(2023, 5, 19), f"{c},KOR,entry,2023-05-19 23:05:10,ALA-AIRPORT, T2,".encode()),  # 7 fields
        (day(2023, 6, 7), f"{d},GBR,exit,2023-06-07 06:40:00".encode()),  # 4 fields
        # checkpoint written in Latin-1 by an old terminal: 0xD6 is not valid UTF-8
        (day(2023, 7, 21), e.encode() + b",RUS,entry,2023-07-21 14:02:37,\xd6SKEMEN-AIRPORT,"),
    ]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-o", "--out",
                    default=os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                         "crossings.csv"))
    args = ap.parse_args()

    tourists(100)
    business(34)
    business(5, heavy=True)
    visa_runners(n_stop=9, n_keep=9, n_permit=5, n_comply=4)
    relocants(n_keep=5, n_permit=6, n_left=5, n_comply=4)
    eaeu_long(40, n_overstay=4)
    continuous_overstayers(7)
    permit_holders(n_visa=25, n_permit=14, n_diplomatic=2)
    arrivals_at_end(12)
    special_cases()

    rows = build_rows()
    add_duplicates(rows)
    rows.sort(key=lambda r: (r[0], r[1]))
    instants = [r[0] for r in rows]
    lines = [r[2] for r in rows]
    # broken rows sit where their moment puts them: in the middle of the file
    for when, bad in sorted(broken_rows(), reverse=True):
        pos = bisect.bisect_left(instants, when)
        lines.insert(pos, bad)

    with open(args.out, "wb") as f:
        f.write(HEADER.encode() + b"\n")
        for line in lines:
            f.write(line + b"\n")
    print(f"wrote {args.out}: {len(people)} persons, {len(lines)} rows "
          f"(6 broken, 4 duplicates)")


if __name__ == "__main__":
    main()
