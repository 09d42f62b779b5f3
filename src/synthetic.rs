//! Synthetic crossing exports for benchmarks and tests (`stayaudit generate`).
//!
//! Same persons count and seed, same bytes: the random stream is a hand-written
//! SplitMix64, so no dependency upgrade can change a generated file. The population mixes
//! the behaviours the audit must handle; rows come out in crossing-time order, as a
//! border system exports them, with optional noise (duplicates, lost and broken rows).

use std::io::Write;

use anyhow::Result;

use crate::day::{civil_from_days, days_from_civil, Day};

/// SplitMix64: tiny, fast, and fixed forever.
pub struct Random(u64);

impl Random {
    pub fn new(seed: u64) -> Random {
        Random(seed ^ 0x9E37_79B9_7F4A_7C15)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `low..high` (`high > low`).
    pub fn range(&mut self, low: i64, high: i64) -> i64 {
        low + (self.next_u64() % (high - low) as u64) as i64
    }

    pub fn chance(&mut self, probability: f64) -> bool {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64 > 1.0 - probability
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.range(0, items.len() as i64) as usize]
    }
}

pub struct Population {
    pub persons: u64,
    pub seed: u64,
    /// Probability per row of each kind of noise: duplicate, lost, malformed.
    pub noise: f64,
}

const EAEU: [&str; 4] = ["RUS", "KGZ", "ARM", "BLR"];
const OTHERS: [&str; 14] = [
    "UZB", "TJK", "CHN", "TUR", "USA", "DEU", "GBR", "KOR", "IND", "FRA", "ITA", "ISR", "ARE",
    "AZE",
];
const CHECKPOINTS: [&str; 8] = [
    "ALA-AIRPORT",
    "NQZ-AIRPORT",
    "KORDAY",
    "ZHIBEK-ZHOLY",
    "KHORGOS",
    "PETROPAVL",
    "CIT-AIRPORT",
    "SHY-AIRPORT",
];

/// One crossing before it is written: seconds since the epoch (local), and its fields.
struct Row {
    local_seconds: i64,
    person: u64,
    nationality: &'static str,
    is_entry: bool,
    checkpoint: &'static str,
    basis: &'static str,
}

/// Writes the export. Rows are held in memory to be sorted by time (about 40 bytes each).
pub fn generate(options: &Population, out: &mut dyn Write) -> Result<u64> {
    let mut random = Random::new(options.seed);
    let first = days_from_civil(2022, 1, 1);
    let last = days_from_civil(2024, 6, 30);
    let mut rows: Vec<Row> = Vec::new();
    for person in 0..options.persons {
        person_rows(&mut random, person, first, last, &mut rows);
    }
    rows.sort_by_key(|row| (row.local_seconds, row.person, row.is_entry));

    writeln!(
        out,
        "person_id,nationality,direction,crossed_at,checkpoint,basis"
    )?;
    let mut written = 0;
    let mut line = String::with_capacity(96);
    for row in &rows {
        if options.noise > 0.0 && random.chance(options.noise) {
            continue; // a lost record
        }
        line.clear();
        format_row(&mut random, row, &mut line);
        if options.noise > 0.0 && random.chance(options.noise) {
            break_row(&mut random, &mut line);
        }
        out.write_all(line.as_bytes())?;
        written += 1;
        if options.noise > 0.0 && random.chance(options.noise) {
            out.write_all(line.as_bytes())?;
            written += 1;
        }
    }
    Ok(written)
}

/// The crossings of one person, by behaviour.
fn person_rows(random: &mut Random, person: u64, first: Day, last: Day, rows: &mut Vec<Row>) {
    let kind = random.range(0, 100);
    let eaeu = random.chance(0.35);
    let nationality = if eaeu {
        *random.pick(&EAEU)
    } else {
        *random.pick(&OTHERS)
    };
    let home_checkpoint = *random.pick(&CHECKPOINTS);
    let change = days_from_civil(2023, 1, 27);
    let mut day = first + random.range(0, 400) as Day;
    // A trip's entry comes after the previous trip's exit, even on the same day.
    let mut last_exit_seconds = i64::MIN;
    let mut trip =
        |random: &mut Random, entry: Day, length: Day, basis: &'static str, open: bool| {
            let checkpoint = if random.chance(0.7) {
                home_checkpoint
            } else {
                *random.pick(&CHECKPOINTS)
            };
            let earliest = last_exit_seconds.saturating_add(1800);
            let entry_seconds =
                (i64::from(entry) * 86_400 + random.range(6 * 3600, 22 * 3600)).max(earliest);
            rows.push(Row {
                local_seconds: entry_seconds,
                person,
                nationality,
                is_entry: true,
                checkpoint,
                basis,
            });
            if !open {
                let exit_day = entry + length - 1;
                let exit_seconds = (i64::from(exit_day) * 86_400 + random.range(0, 86_400))
                    .max(entry_seconds + 3600);
                rows.push(Row {
                    local_seconds: exit_seconds,
                    person,
                    nationality,
                    is_entry: false,
                    checkpoint,
                    basis: "",
                });
                last_exit_seconds = exit_seconds;
            }
        };
    match kind {
        // Tourists: one to three short trips.
        0..=39 => {
            for _ in 0..random.range(1, 4) {
                day += random.range(20, 200) as Day;
                let length = random.range(3, 21) as Day;
                if day + length < last {
                    trip(random, day, length, "", false);
                }
                day += length;
            }
        }
        // Business travellers: many short trips.
        40..=59 => {
            while day < last - 10 {
                let length = random.range(2, 9) as Day;
                trip(random, day, length, "", false);
                day += length + random.range(7, 40) as Day;
            }
        }
        // Visa runners: ~29-day stays, out and back within a day or two; some stop in 2023.
        60..=74 => {
            let stops = random.chance(0.5);
            while day < last - 30 && !(stops && day > change + 60) {
                let length = random.range(25, 31) as Day;
                trip(random, day, length, "", false);
                day += length - 1 + random.range(0, 3) as Day;
            }
        }
        // Visa and permit holders: long exempt stays.
        75..=84 => {
            let basis = if random.chance(0.5) {
                "residence_permit"
            } else {
                "visa"
            };
            while day < last - 30 {
                let length = random.range(60, 300) as Day;
                trip(random, day, length.min(last - day), basis, false);
                day += length + random.range(5, 60) as Day;
            }
        }
        // Overstayers: one long stay past the continuous limit.
        85..=92 => {
            let length = random.range(40, 160) as Day;
            if day + length < last {
                trip(random, day, length, "", false);
            }
        }
        // Still inside at the end of the export.
        _ => {
            let entry = last - random.range(5, 120) as Day;
            trip(random, entry, 0, "", true);
        }
    }
}

/// One CSV line, with the timestamp in one of the forms border systems write.
fn format_row(random: &mut Random, row: &Row, line: &mut String) {
    use std::fmt::Write as _;
    let day = row.local_seconds.div_euclid(86_400) as Day;
    let seconds = row.local_seconds.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(day);
    let (hh, mm, ss) = (seconds / 3600, seconds / 60 % 60, seconds % 60);
    let _ = write!(
        line,
        "P{:08},{},{},",
        row.person,
        row.nationality,
        if row.is_entry { "entry" } else { "exit" }
    );
    match random.range(0, 20) {
        0 => {
            // UTC, as some systems store it: five hours earlier.
            let utc = row.local_seconds - 5 * 3600;
            let (ud, us) = (utc.div_euclid(86_400) as Day, utc.rem_euclid(86_400));
            let _ = write!(
                line,
                "{}T{:02}:{:02}:{:02}Z",
                crate::day::DayText::new(ud),
                us / 3600,
                us / 60 % 60,
                us % 60
            );
        }
        1 => {
            let _ = write!(line, "{d:02}.{m:02}.{y:04} {hh:02}:{mm:02}");
        }
        2 => {
            let _ = write!(line, "{y:04}-{m:02}-{d:02}T{hh:02}:{mm:02}:{ss:02}+05:00");
        }
        _ => {
            let _ = write!(line, "{y:04}-{m:02}-{d:02} {hh:02}:{mm:02}:{ss:02}");
        }
    }
    let _ = writeln!(line, ",{},{}", row.checkpoint, row.basis);
}

/// Damages a line the way real exports are damaged.
fn break_row(random: &mut Random, line: &mut String) {
    match random.range(0, 4) {
        0 => line.insert_str(line.len() - 1, ",extra"),
        1 => {
            *line = line
                .replacen(",entry,", ",sideways,", 1)
                .replacen(",exit,", ",sideways,", 1)
        }
        2 => {
            *line = format!(
                "{}\n",
                line.splitn(4, ',').take(3).collect::<Vec<_>>().join(",")
            )
        }
        _ => *line = format!(",{}", line.split_once(',').map_or("", |(_, rest)| rest)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bytes(persons: u64, seed: u64, noise: f64) -> Vec<u8> {
        let mut out = Vec::new();
        generate(
            &Population {
                persons,
                seed,
                noise,
            },
            &mut out,
        )
        .unwrap();
        out
    }

    #[test]
    fn same_seed_same_bytes() {
        assert_eq!(bytes(200, 7, 0.01), bytes(200, 7, 0.01));
        assert_ne!(bytes(200, 7, 0.0), bytes(200, 8, 0.0));
    }

    #[test]
    fn without_noise_every_entry_has_its_exit() {
        let text = String::from_utf8(bytes(500, 3, 0.0)).unwrap();
        let mut inside = std::collections::HashMap::new();
        for line in text.lines().skip(1) {
            let fields: Vec<&str> = line.split(',').collect();
            let was_inside = inside
                .insert(fields[0].to_string(), fields[2] == "entry")
                .unwrap_or(false);
            assert_ne!(was_inside, fields[2] == "entry", "{line}");
        }
    }

    #[test]
    fn rows_are_in_crossing_time_order_without_noise() {
        let text = String::from_utf8(bytes(300, 1, 0.0)).unwrap();
        let mut previous = i64::MIN;
        for line in text.lines().skip(1) {
            let stamp = line.split(',').nth(3).unwrap();
            let instant = crate::ingest::timestamp::parse_timestamp(stamp, 5 * 3600)
                .unwrap()
                .instant;
            assert!(instant >= previous, "{line}");
            previous = instant;
        }
    }
}
