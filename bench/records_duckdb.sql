-- The indicators of docs/indicators-from-records.md in DuckDB SQL, for the
-- `bench/records` comparison with `lantern recompute`.
--
-- Input: table `raw`, one row per intervention, the columns of
-- docs/formats/episodes.md (dates as DATE, codes as SMALLINT).
-- Output: the non-zero counts, written as CSV `area,year,indicator,breakdown,value`
-- to the path that `bench/records` puts in place of :out_csv, for the
-- financial years :first_year/.. to :last_year/..
--
-- The bench drops comment lines (starting with --), then splits the rest
-- into statements at every line ending in a semicolon, to time each one.

SET preserve_insertion_order = false;

-- The financial years compared, 1 April to 31 March.
CREATE OR REPLACE TEMP TABLE years AS
SELECT y::INTEGER AS fy, make_date(y::INTEGER, 4, 1) AS fy_start, make_date(y::INTEGER + 1, 3, 31) AS fy_end
FROM range(:first_year, :last_year + 1) t(y);

-- Episodes: one per (provider, EPISODID); the rows of an episode agree on the
-- client and episode fields. The person is the area plus the attributor
-- (first initial, surname initial, date of birth, sex), hashed to 64 bits as
-- Lantern keys it with HMAC (a collision among the people of one area is
-- vanishingly unlikely). Substance flags come from DRUG1..3.
CREATE OR REPLACE TEMP TABLE ep AS
SELECT
    la,
    hash(finitial, sinitial, dob, sex) AS pid,
    dob,
    sex,
    epstart,
    disd,
    disrsn,
    coalesce(drug1 IN (1000, 1101, 1105, 1106, 1110)
          OR drug2 IN (1000, 1101, 1105, 1106, 1110)
          OR drug3 IN (1000, 1101, 1105, 1106, 1110), false) AS opiate,
    coalesce(drug1 NOT IN (1000, 1101, 1105, 1106, 1110, 7000), false)
        OR coalesce(drug2 NOT IN (1000, 1101, 1105, 1106, 1110, 7000), false)
        OR coalesce(drug3 NOT IN (1000, 1101, 1105, 1106, 1110, 7000), false) AS non_opiate,
    coalesce(drug1 = 7000 OR drug2 = 7000 OR drug3 = 7000, false) AS alcohol,
    coalesce(drug1 = 3201 OR drug2 = 3201 OR drug3 = 3201, false) AS crack
FROM (
    SELECT
        any_value(la) AS la,
        any_value(finitial) AS finitial,
        any_value(sinitial) AS sinitial,
        any_value(dob) AS dob,
        any_value(sex) AS sex,
        any_value(epstart) AS epstart,
        any_value(disd) AS disd,
        any_value(disrsn) AS disrsn,
        any_value(drug1) AS drug1,
        any_value(drug2) AS drug2,
        any_value(drug3) AS drug3
    FROM raw
    GROUP BY agncy, episodid
);

-- Journeys: a person's episodes in the area (every provider) in start order;
-- an episode starts a journey if it is the first, or starts more than 21
-- days after the latest discharge of all earlier episodes (an earlier
-- episode still open continues the journey). Over every episode, not only
-- those in the years compared.
CREATE OR REPLACE TEMP TABLE epj AS
SELECT
    *,
    coalesce(
        date_diff('day',
            max(coalesce(disd, DATE '9999-12-31')) OVER (
                PARTITION BY la, pid ORDER BY epstart
                ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING),
            epstart) > 21,
        true) AS journey_start
FROM ep;

-- A person in treatment in a year: at least one episode overlapping it
-- (starts on or before the year's last day, not discharged before its first
-- day). The person's attributes in the year come from those episodes. The
-- year a journey starts, or an episode is discharged, is a year the episode
-- overlaps, so the flags can be taken here too.
CREATE OR REPLACE TEMP TABLE py AS
SELECT
    la,
    fy,
    CASE
        WHEN opiate THEN 'opiate'
        WHEN non_opiate AND NOT alcohol THEN 'non_opiate_only'
        WHEN non_opiate THEN 'non_opiate_and_alcohol'
        ELSE 'alcohol_only'
    END AS substance_group,
    CASE WHEN crack THEN 'crack' ELSE 'no_crack' END AS crack,
    CASE
        WHEN age < 18 THEN 'under_18'
        WHEN age = 18 THEN '18'
        WHEN age = 19 THEN '19'
        WHEN age >= 70 THEN '70+'
        ELSE (age // 5 * 5)::VARCHAR || '-' || (age // 5 * 5 + 4)::VARCHAR
    END AS age_band,
    CASE sex WHEN 'M' THEN 'male' WHEN 'F' THEN 'female' ELSE 'other' END AS sex,
    new_presentation,
    exited,
    completed,
    died
FROM (
    SELECT
        *,
        year(age_day) - year(dob) - CASE WHEN month(age_day) < month(dob) THEN 1 ELSE 0 END AS age
    FROM (
        SELECT
            e.la,
            e.pid,
            y.fy,
            any_value(e.dob) AS dob,
            any_value(e.sex) AS sex,
            greatest(any_value(y.fy_start), min(e.epstart)) AS age_day,
            bool_or(e.opiate) AS opiate,
            bool_or(e.non_opiate) AS non_opiate,
            bool_or(e.alcohol) AS alcohol,
            bool_or(e.crack) AS crack,
            bool_or(e.journey_start AND e.epstart >= y.fy_start) AS new_presentation,
            coalesce(bool_or(e.disd <= y.fy_end), false) AS exited,
            coalesce(bool_or(e.disd <= y.fy_end AND e.disrsn IN (80, 81, 82, 90, 91, 92)), false) AS completed,
            coalesce(bool_or(e.disd <= y.fy_end AND e.disrsn = 89), false) AS died
        FROM epj e
        JOIN years y
          ON e.epstart <= y.fy_end
         AND coalesce(e.disd, DATE '9999-12-31') >= y.fy_start
        GROUP BY e.la, e.pid, y.fy
    )
);

-- Person counts for every breakdown written, in one pass.
CREATE OR REPLACE TEMP TABLE person_cells AS
SELECT
    la,
    fy,
    concat_ws(';',
        CASE WHEN grouping(age_band) = 0 THEN 'age_band=' || age_band END,
        CASE WHEN grouping(crack) = 0 THEN 'crack=' || crack END,
        CASE WHEN grouping(sex) = 0 THEN 'sex=' || sex END,
        CASE WHEN grouping(substance_group) = 0 THEN 'substance_group=' || substance_group END
    ) AS breakdown,
    -- 0 for a total or a single dimension, 1 for a cross of two.
    (4 - grouping(age_band) - grouping(crack) - grouping(sex) - grouping(substance_group)) > 1 AS crossed,
    grouping(crack) = 0 AS has_crack,
    count(*) AS people_in_treatment,
    count(*) FILTER (WHERE new_presentation) AS new_presentations,
    count(*) FILTER (WHERE exited) AS treatment_exits,
    count(*) FILTER (WHERE completed) AS successful_completions,
    count(*) FILTER (WHERE died) AS deaths_in_treatment
FROM py
GROUP BY GROUPING SETS (
    (la, fy),
    (la, fy, substance_group),
    (la, fy, crack),
    (la, fy, age_band),
    (la, fy, sex),
    (la, fy, crack, substance_group),
    (la, fy, crack, age_band),
    (la, fy, substance_group, age_band)
);

-- Interventions starting in a year: placements by setting and funding, and
-- naloxone kits (empty means 0).
CREATE OR REPLACE TEMP TABLE intervention_cells AS
SELECT
    la,
    fy,
    CASE modset WHEN 'INP' THEN 'inpatient_detox_placements' ELSE 'residential_rehab_placements' END AS indicator,
    CASE WHEN grouping(funding) = 0 THEN
        'funding=' || CASE funding WHEN 'LA' THEN 'council' WHEN 'SELF' THEN 'self_funded' ELSE 'other' END
    ELSE '' END AS breakdown,
    count(*) AS value
FROM (
    SELECT la, year(modst) - CASE WHEN month(modst) < 4 THEN 1 ELSE 0 END AS fy, modset, funding
    FROM raw
    WHERE modset IN ('INP', 'RES')
)
WHERE fy BETWEEN :first_year AND :last_year
GROUP BY GROUPING SETS ((la, fy, modset), (la, fy, modset, funding))
UNION ALL
SELECT la, fy, 'naloxone_kits_issued', '', sum(coalesce(naloxone, 0))
FROM (
    SELECT la, year(modst) - CASE WHEN month(modst) < 4 THEN 1 ELSE 0 END AS fy, naloxone
    FROM raw
)
WHERE fy BETWEEN :first_year AND :last_year
GROUP BY la, fy;

CREATE OR REPLACE TEMP TABLE counts AS
WITH cells AS (
    SELECT la, fy, 'people_in_treatment' AS indicator, breakdown, people_in_treatment AS value FROM person_cells
    UNION ALL
    SELECT la, fy, 'new_presentations', breakdown, new_presentations FROM person_cells
    UNION ALL
    SELECT la, fy, 'treatment_exits', breakdown, treatment_exits FROM person_cells WHERE NOT crossed AND NOT has_crack
    UNION ALL
    SELECT la, fy, 'successful_completions', breakdown, successful_completions FROM person_cells WHERE NOT crossed AND NOT has_crack
    UNION ALL
    SELECT la, fy, 'deaths_in_treatment', breakdown, deaths_in_treatment FROM person_cells WHERE NOT crossed AND NOT has_crack
    UNION ALL
    SELECT la, fy, indicator, breakdown, value FROM intervention_cells
)
SELECT
    la AS area,
    fy::VARCHAR || '/' || lpad(((fy + 1) % 100)::VARCHAR, 2, '0') AS year,
    indicator,
    breakdown,
    value::BIGINT AS value
FROM cells
WHERE value <> 0;

COPY counts TO ':out_csv' (HEADER, DELIMITER ',');
