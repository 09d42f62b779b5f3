-- The audit as an analyst would write it in SQL: stays expanded to days, a 180-day RANGE
-- window, the continuous limit per nationality. kz-2023 rules, as_of = the last day.
-- Written for exports like `stayaudit generate` makes without noise (every entry has its
-- exit or is still open, and the timestamp forms that generator writes).
-- Parameter: the CSV path replaces {path}. Output: flagged person_id, sorted.
CREATE OR REPLACE TEMP TABLE crossings AS
SELECT
    person_id,
    nationality,
    lower(direction) IN ('entry', 'in') AS is_entry,
    coalesce(basis, '') AS basis,
    CASE
        WHEN crossed_at LIKE '%Z' THEN strptime(crossed_at, '%Y-%m-%dT%H:%M:%SZ') + INTERVAL 5 HOUR
        WHEN crossed_at LIKE '%+05:00' THEN strptime(left(crossed_at, 19), '%Y-%m-%dT%H:%M:%S')
        WHEN crossed_at LIKE '__.__.____%' THEN strptime(crossed_at, '%d.%m.%Y %H:%M')
        ELSE strptime(crossed_at, '%Y-%m-%d %H:%M:%S')
    END AS local_time
FROM read_csv('{path}', header = true, all_varchar = true);

CREATE OR REPLACE TEMP TABLE stays AS
WITH ordered AS (
    SELECT *, lead(local_time) OVER (PARTITION BY person_id ORDER BY local_time, is_entry) AS next_time
    FROM crossings
)
SELECT
    person_id,
    nationality,
    CAST(local_time AS DATE) AS entry_day,
    CAST(coalesce(next_time, (SELECT max(local_time) FROM crossings)) AS DATE) AS exit_day,
    basis <> '' AS exempt,
    CAST(local_time AS DATE) < DATE '2023-01-27' AS grandfathered
FROM ordered
WHERE is_entry;

-- A counted day is a day covered by some counted stay (docs/RULES.md), whatever other
-- stays share it.
CREATE OR REPLACE TEMP TABLE counted_days AS
SELECT DISTINCT person_id, CAST(unnest(generate_series(entry_day, exit_day, INTERVAL 1 DAY)) AS DATE) AS day
FROM stays WHERE NOT exempt AND NOT grandfathered;

WITH used AS (
    SELECT person_id,
           count(*) OVER (PARTITION BY person_id ORDER BY day
                          RANGE BETWEEN INTERVAL 179 DAY PRECEDING AND CURRENT ROW) AS used
    FROM counted_days
), cumulative AS (
    SELECT DISTINCT person_id FROM used WHERE used > 90
), continuous AS (
    SELECT DISTINCT person_id FROM stays
    WHERE NOT exempt
      AND datediff('day', entry_day, exit_day) + 1 >
          CASE WHEN nationality IN ('ARM', 'BLR', 'KGZ', 'RUS', 'GEO', 'MDA', 'MNG', 'UKR') THEN 90
               WHEN nationality = 'HKG' THEN 14
               ELSE 30 END
)
SELECT person_id FROM cumulative
UNION
SELECT person_id FROM continuous
ORDER BY person_id;
