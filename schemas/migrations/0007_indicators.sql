-- Economic indicators (docs/contract.md, kind indicator): any published statistical series — a
-- consumer price index, a producer price index, an unemployment rate, a GDP — one row per
-- delivery, with the views of 0005's shape on top (grouped by the sorting key, argMax per
-- column, no FINAL, so that filters on the key columns reach the primary key).
--
-- Identity: (source, series, country, region, measure, unit, currency, base_period, adjustment,
-- frequency, date); the sorting key starts with country and series so that a filter on them
-- (the deflators below, a cookbook query) reads only their granules. value is the number as sent;
-- value_eur and the fx_* columns are set for unit 'currency' only (converted like wages,
-- fx_status pending until the rate arrives, then re-converted by the reconciler); for other
-- units fx_status is '' and value_eur NULL.
CREATE TABLE IF NOT EXISTS econ.indicators_data (
    source String,
    series String,
    country String,
    region String,
    measure String,
    unit String,
    currency String,
    base_period String,
    adjustment String,
    frequency String,
    date Date,
    published_at DateTime('UTC'),
    value Decimal(38, 18),
    unit_mult Int8,
    value_eur Nullable(Decimal(38, 18)),
    fx_rate Nullable(Decimal(38, 18)),
    fx_date Nullable(Date),
    fx_path String,
    fx_status String,
    status String,
    attributes String,
    record_id String,
    kafka_topic String,
    kafka_partition Int32,
    kafka_offset Int64,
    ingested_at DateTime('UTC'),
    _version UInt64
) ENGINE = ReplacingMergeTree(_version)
ORDER BY (country, series, region, measure, unit, currency, base_period, adjustment, source, frequency, date, published_at);

-- Latest vintage of every indicator observation: per identity, the row with the greatest
-- (published_at, _version).
CREATE VIEW IF NOT EXISTS econ.indicators AS
SELECT source, series, country, region, measure, unit, currency, base_period, adjustment, frequency, date,
       _value AS value, _unit_mult AS unit_mult, _value_eur AS value_eur, _fx_rate AS fx_rate, _fx_date AS fx_date,
       _fx_path AS fx_path, _fx_status AS fx_status, _status AS status, _published_at AS published_at,
       _record_id AS record_id, _attributes AS attributes
FROM
(
    SELECT country, series, region, measure, unit, currency, base_period, adjustment, source, frequency, date,
           argMax(value, (published_at, _version)) AS _value,
           argMax(unit_mult, (published_at, _version)) AS _unit_mult,
           argMax(value_eur, (published_at, _version)) AS _value_eur,
           argMax(fx_rate, (published_at, _version)) AS _fx_rate,
           argMax(fx_date, (published_at, _version)) AS _fx_date,
           argMax(fx_path, (published_at, _version)) AS _fx_path,
           argMax(fx_status, (published_at, _version)) AS _fx_status,
           argMax(status, (published_at, _version)) AS _status,
           max(published_at) AS _published_at,
           argMax(record_id, (published_at, _version)) AS _record_id,
           argMax(attributes, (published_at, _version)) AS _attributes
    FROM econ.indicators_data
    GROUP BY country, series, region, measure, unit, currency, base_period, adjustment, source, frequency, date
);

-- Every vintage of every indicator observation: per (identity, published_at), the greatest _version.
CREATE VIEW IF NOT EXISTS econ.indicators_history AS
SELECT source, series, country, region, measure, unit, currency, base_period, adjustment, frequency, date,
       _value AS value, _unit_mult AS unit_mult, _value_eur AS value_eur, _fx_rate AS fx_rate, _fx_date AS fx_date,
       _fx_path AS fx_path, _fx_status AS fx_status, _status AS status, published_at,
       _record_id AS record_id, _attributes AS attributes,
       _kafka_topic AS kafka_topic, _kafka_partition AS kafka_partition, _kafka_offset AS kafka_offset,
       _ingested_at AS ingested_at
FROM
(
    SELECT country, series, region, measure, unit, currency, base_period, adjustment, source, frequency, date, published_at,
           argMax(value, _version) AS _value,
           argMax(unit_mult, _version) AS _unit_mult,
           argMax(value_eur, _version) AS _value_eur,
           argMax(fx_rate, _version) AS _fx_rate,
           argMax(fx_date, _version) AS _fx_date,
           argMax(fx_path, _version) AS _fx_path,
           argMax(fx_status, _version) AS _fx_status,
           argMax(status, _version) AS _status,
           argMax(record_id, _version) AS _record_id,
           argMax(attributes, _version) AS _attributes,
           argMax(kafka_topic, _version) AS _kafka_topic,
           argMax(kafka_partition, _version) AS _kafka_partition,
           argMax(kafka_offset, _version) AS _kafka_offset,
           argMax(ingested_at, _version) AS _ingested_at
    FROM econ.indicators_data
    GROUP BY country, series, region, measure, unit, currency, base_period, adjustment, source, frequency, date, published_at
);
