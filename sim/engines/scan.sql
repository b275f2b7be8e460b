-- usm's log scan: the one SQL text every engine runs (DuckDB on one machine, Spark SQL on a
-- cluster) to reduce a team's logs to what usm trains on. The engine's driver
-- (sim/engines/scan.py) registers the log set as the view `logs`, with every column of
-- docs/log-schema.md (an absent oracle column as NULL), runs `days` and `duplicates`, hands
-- their answers to usm, fills in the `{...}` usm sends back, then runs `totals` and `kept`.
-- Identifiers are double-quoted (`like` is a keyword): Spark runs with
-- spark.sql.ansi.doubleQuotedIdentifiers.
--
-- The samples are drawn by MD5 of `p:SEED:EXPOSURE_ID` (pseudo labels) and `e:SEED:USER_ID`
-- (evaluation users), compared as 13 hex digits of text: exactly what usm's native reader draws
-- (sim/src/logs/sample.rs), so every engine keeps the same rows.

-- name: days
SELECT "day", count(*) AS "rows", count("oracle_latent_satisfaction") AS "oracle_rows"
FROM logs
GROUP BY "day"
ORDER BY "day";

-- name: duplicates
SELECT count(*) - count(DISTINCT "exposure_id") AS "duplicates"
FROM logs;

-- name: totals
-- Rows counted by what usm's totals read (survey, answer, behaviour, the truth's latent
-- answers), with the largest ids and the truth's probabilities summed in fixed point (2^-24),
-- which every engine sums exactly.
SELECT "day",
       CASE WHEN "slot" = 0 THEN 0 ELSE 1 END AS "slot",
       coalesce("survey", '') AS "survey", "panel", "submitted",
       coalesce("answer", '') AS "answer", coalesce("reasons", '') AS "reasons",
       "like", "share", "favorite", "dislike", "report", "skip",
       "oracle_latent_satisfaction", "oracle_latent_inappropriate", "oracle_latent_reasons",
       count(*) AS "rows",
       max("user_id") AS "user_id", max("item_id") AS "item_id",
       max("author_id") AS "author_id", max("item_category") AS "item_category",
       sum(CAST(floor(CAST("oracle_p_dislike" AS DOUBLE) * 16777216.0 + 0.5) AS BIGINT)) AS "fixed_p_dislike",
       sum(CAST(floor(CAST("oracle_p_inappropriate" AS DOUBLE) * 16777216.0 + 0.5) AS BIGINT)) AS "fixed_p_inappropriate",
       sum(CAST(floor(CAST("oracle_p_sexual" AS DOUBLE) * 16777216.0 + 0.5) AS BIGINT)) AS "fixed_p_sexual"
FROM logs
GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16;

-- name: kept
-- Every survey show, the training period's pseudo-label sample, and every evaluation-period
-- exposure of the evaluation users.
SELECT {columns}
FROM logs
WHERE coalesce("survey", '') NOT IN ('', 'none')
   OR ("day" < {eval_from}
       AND substr(md5(concat('p:{seed}:', CAST("exposure_id" AS STRING))), 1, 13) < '{pseudo_below}')
   OR ("day" >= {eval_from}
       AND substr(md5(concat('e:{seed}:', CAST("user_id" AS STRING))), 1, 13) < '{eval_below}');
