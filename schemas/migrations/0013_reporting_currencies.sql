-- Further reporting currencies and failed re-derivations (docs/contract.md §2.2, §2.4, §5.6).
--
-- The *_eur columns always hold euros. A consumer given further reporting currencies
-- (--reporting-currencies, ECONFLOW_REPORTING_CURRENCIES, e.g. USD,GBP) converts every fuel price,
-- wage and indicator in a currency into each of them too, by the rules of the euro conversion with that currency in
-- place of EUR (window, source preference, period averages; the pivots followed by EUR), and
-- stores one row per (reporting_currency, identity, published_at) here, never in the *_eur
-- columns: reporting_currency is on every row, so two currencies never mix in one column. The
-- reconciler re-derives them as it re-derives the euro values (a late rate converts a pending
-- one, a revised rate re-converts the ones that used it); a re-conversion replaces its row
-- (ReplacingMergeTree(_version)). A withdrawal (§1.9) is stored as a vintage with withdrawn = 1
-- and no values; the views leave out an observation whose latest vintage is one.
CREATE TABLE IF NOT EXISTS econ.fuel_prices_converted_data (
    reporting_currency String,
    source String,
    country String,
    region String,
    product String,
    tax_basis String,
    currency String,
    unit String,
    frequency String,
    date Date,
    published_at DateTime('UTC'),
    price Decimal(38, 18),
    unit_mult Int8,
    price_converted Nullable(Decimal(38, 18)),
    price_per_litre_converted Nullable(Decimal(38, 18)),
    price_per_kg_converted Nullable(Decimal(38, 18)),
    fx_rate Nullable(Decimal(38, 18)),
    fx_date Nullable(Date),
    fx_path String,
    fx_status String,
    fx_basis String,
    known_from DateTime('UTC'),
    record_id String,
    ingested_at DateTime('UTC'),
    _version UInt64,
    withdrawn UInt8 DEFAULT 0
) ENGINE = ReplacingMergeTree(_version)
ORDER BY (reporting_currency, country, region, product, tax_basis, currency, unit, source, frequency, date, published_at);

CREATE TABLE IF NOT EXISTS econ.wages_converted_data (
    reporting_currency String,
    source String,
    country String,
    region String,
    measure String,
    basis String,
    per String,
    currency String,
    frequency String,
    date Date,
    published_at DateTime('UTC'),
    amount Decimal(38, 18),
    unit_mult Int8,
    amount_converted Nullable(Decimal(38, 18)),
    monthly_amount_converted Nullable(Decimal(38, 18)),
    fx_rate Nullable(Decimal(38, 18)),
    fx_date Nullable(Date),
    fx_path String,
    fx_status String,
    fx_basis String,
    known_from DateTime('UTC'),
    record_id String,
    ingested_at DateTime('UTC'),
    _version UInt64,
    withdrawn UInt8 DEFAULT 0
) ENGINE = ReplacingMergeTree(_version)
ORDER BY (reporting_currency, country, region, measure, basis, per, currency, source, frequency, date, published_at);

-- The latest vintage of every identity in every further reporting currency, grouped by the
-- sorting key like the views of 0005: a filter on reporting_currency, identity columns or the
-- date reaches the primary key. The *_converted columns are in reporting_currency; fx_rate is
-- reporting_currency per 1 unit of currency.
CREATE VIEW IF NOT EXISTS econ.fuel_prices_converted AS
SELECT reporting_currency, source, country, region, product, tax_basis, frequency, date, _price AS price, currency, unit,
       _unit_mult AS unit_mult, _price_converted AS price_converted,
       _price_per_litre_converted AS price_per_litre_converted, _price_per_kg_converted AS price_per_kg_converted,
       _fx_rate AS fx_rate, _fx_date AS fx_date, _fx_path AS fx_path, _fx_status AS fx_status, _fx_basis AS fx_basis,
       _published_at AS published_at, _record_id AS record_id
FROM
(
    SELECT reporting_currency, country, region, product, tax_basis, currency, unit, source, frequency, date,
           argMax(price, (published_at, _version)) AS _price,
           argMax(unit_mult, (published_at, _version)) AS _unit_mult,
           argMax(price_converted, (published_at, _version)) AS _price_converted,
           argMax(price_per_litre_converted, (published_at, _version)) AS _price_per_litre_converted,
           argMax(price_per_kg_converted, (published_at, _version)) AS _price_per_kg_converted,
           argMax(fx_rate, (published_at, _version)) AS _fx_rate,
           argMax(fx_date, (published_at, _version)) AS _fx_date,
           argMax(fx_path, (published_at, _version)) AS _fx_path,
           argMax(fx_status, (published_at, _version)) AS _fx_status,
           argMax(fx_basis, (published_at, _version)) AS _fx_basis,
           max(published_at) AS _published_at,
           argMax(withdrawn, (published_at, _version)) AS _withdrawn,
           argMax(record_id, (published_at, _version)) AS _record_id
    FROM econ.fuel_prices_converted_data
    GROUP BY reporting_currency, country, region, product, tax_basis, currency, unit, source, frequency, date
)
WHERE _withdrawn = 0;

CREATE VIEW IF NOT EXISTS econ.wages_converted AS
SELECT reporting_currency, source, country, region, measure, basis, per, frequency, date, _amount AS amount, currency,
       _unit_mult AS unit_mult, _amount_converted AS amount_converted, _monthly_amount_converted AS monthly_amount_converted,
       _fx_rate AS fx_rate, _fx_date AS fx_date, _fx_path AS fx_path, _fx_status AS fx_status, _fx_basis AS fx_basis,
       _published_at AS published_at, _record_id AS record_id
FROM
(
    SELECT reporting_currency, country, region, measure, basis, per, currency, source, frequency, date,
           argMax(amount, (published_at, _version)) AS _amount,
           argMax(unit_mult, (published_at, _version)) AS _unit_mult,
           argMax(amount_converted, (published_at, _version)) AS _amount_converted,
           argMax(monthly_amount_converted, (published_at, _version)) AS _monthly_amount_converted,
           argMax(fx_rate, (published_at, _version)) AS _fx_rate,
           argMax(fx_date, (published_at, _version)) AS _fx_date,
           argMax(fx_path, (published_at, _version)) AS _fx_path,
           argMax(fx_status, (published_at, _version)) AS _fx_status,
           argMax(fx_basis, (published_at, _version)) AS _fx_basis,
           max(published_at) AS _published_at,
           argMax(withdrawn, (published_at, _version)) AS _withdrawn,
           argMax(record_id, (published_at, _version)) AS _record_id
    FROM econ.wages_converted_data
    GROUP BY reporting_currency, country, region, measure, basis, per, currency, source, frequency, date
)
WHERE _withdrawn = 0;

-- Indicators in a currency (unit 'currency') likewise.
CREATE TABLE IF NOT EXISTS econ.indicators_converted_data (
    reporting_currency String,
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
    value_converted Nullable(Decimal(38, 18)),
    fx_rate Nullable(Decimal(38, 18)),
    fx_date Nullable(Date),
    fx_path String,
    fx_status String,
    fx_basis String,
    known_from DateTime('UTC'),
    record_id String,
    ingested_at DateTime('UTC'),
    _version UInt64,
    withdrawn UInt8 DEFAULT 0
) ENGINE = ReplacingMergeTree(_version)
ORDER BY (reporting_currency, country, series, region, measure, unit, currency, base_period, adjustment, source, frequency, date, published_at);

CREATE VIEW IF NOT EXISTS econ.indicators_converted AS
SELECT reporting_currency, source, series, country, region, measure, unit, currency, base_period, adjustment, frequency, date,
       _value AS value, _unit_mult AS unit_mult, _value_converted AS value_converted,
       _fx_rate AS fx_rate, _fx_date AS fx_date, _fx_path AS fx_path, _fx_status AS fx_status, _fx_basis AS fx_basis,
       _published_at AS published_at, _record_id AS record_id
FROM
(
    SELECT reporting_currency, country, series, region, measure, unit, currency, base_period, adjustment, source, frequency, date,
           argMax(value, (published_at, _version)) AS _value,
           argMax(unit_mult, (published_at, _version)) AS _unit_mult,
           argMax(value_converted, (published_at, _version)) AS _value_converted,
           argMax(fx_rate, (published_at, _version)) AS _fx_rate,
           argMax(fx_date, (published_at, _version)) AS _fx_date,
           argMax(fx_path, (published_at, _version)) AS _fx_path,
           argMax(fx_status, (published_at, _version)) AS _fx_status,
           argMax(fx_basis, (published_at, _version)) AS _fx_basis,
           max(published_at) AS _published_at,
           argMax(withdrawn, (published_at, _version)) AS _withdrawn,
           argMax(record_id, (published_at, _version)) AS _record_id
    FROM econ.indicators_converted_data
    GROUP BY reporting_currency, country, series, region, measure, unit, currency, base_period, adjustment, source, frequency, date
)
WHERE _withdrawn = 0;

-- Failed re-derivations. A stored observation the reconciler cannot re-derive into a reporting
-- currency (reporting_currency EUR: its *_eur columns; or a further one) keeps its earlier
-- conversion; the reconciler counts it (econflow_rows_reconvert_failed_total), logs it, tries
-- it again at every pass, and records it here: one row per (identity, published_at,
-- reporting_currency), with the reason, when it failed (failed_at: first with that reason) and
-- when a later re-derivation succeeded (resolved_at; 1970-01-01 00:00:00 while unresolved).
-- kind is fuel_price, wage or indicator (in a currency); the dimension columns of the other kinds
-- are "".
CREATE TABLE IF NOT EXISTS econ.reconversion_failures_data (
    kind String,
    reporting_currency String,
    source String,
    country String,
    region String,
    product String,
    tax_basis String,
    unit String,
    measure String,
    basis String,
    per String,
    series String,
    base_period String,
    adjustment String,
    currency String,
    frequency String,
    date Date,
    published_at DateTime('UTC'),
    record_id String,
    reason String,
    failed_at DateTime('UTC'),
    resolved_at DateTime('UTC'),
    _version UInt64
) ENGINE = ReplacingMergeTree(_version)
ORDER BY (kind, country, region, series, product, tax_basis, unit, measure, basis, per, base_period, adjustment, currency, source,
          frequency, reporting_currency, date, published_at);

-- The failed re-derivations not yet resolved: the rows whose stored conversion is stale.
CREATE VIEW IF NOT EXISTS econ.reconversion_failures AS
SELECT kind, reporting_currency, source, country, region, series, product, tax_basis, unit, measure, basis, per, base_period,
       adjustment, currency, frequency, date, published_at, _record_id AS record_id, _reason AS reason, _failed_at AS failed_at
FROM
(
    SELECT kind, country, region, series, product, tax_basis, unit, measure, basis, per, base_period, adjustment, currency, source,
           frequency, reporting_currency, date, published_at,
           argMax(record_id, _version) AS _record_id,
           argMax(reason, _version) AS _reason,
           argMax(failed_at, _version) AS _failed_at,
           argMax(resolved_at, _version) AS _resolved_at
    FROM econ.reconversion_failures_data
    GROUP BY kind, country, region, series, product, tax_basis, unit, measure, basis, per, base_period, adjustment, currency, source,
             frequency, reporting_currency, date, published_at
)
WHERE toUInt32(_resolved_at) = 0;
