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

-- The deflator of each country: the consumer price index series (source, series of
-- econ.indicators) that the real-terms views deflate its prices and wages by, and the base month
-- whose prices they are expressed in. Set with `econflow deflator set KZ --source stat.gov.kz
-- --series CPI_ALL --base-month 2021-12` or by SQL (INSERT a row with a greater _version);
-- `econflow deflator unset` inserts active = 0. The row with the greatest _version of a country
-- is in force (argMax, as the views read the *_data tables).
CREATE TABLE IF NOT EXISTS econ.deflators (
    country String,
    source String,
    series String,
    base_month Date,
    active UInt8,
    updated_at DateTime('UTC'),
    _version UInt64
) ENGINE = ReplacingMergeTree(_version)
ORDER BY (country);

-- Real terms: fuel prices and wages at the prices of the deflator's base month, in local
-- currency. real = nominal × CPI(base month) / CPI(observation's month), one rounding, half to
-- even, at 18 fractional digits. CPI(month) is the latest vintage of the deflator series'
-- observation in that month (unit 'index', national: region ''), named on every row
-- (cpi_month, cpi_value, cpi_published_at, base_cpi_value, base_cpi_published_at). A price or
-- wage whose month has no CPI yet (or whose country has no deflator, cpi_series '', or whose
-- base month has no CPI) is kept, with real_status 'pending' and NULL real values — never zero,
-- never left out. A deflator series names one index (one base_period and adjustment), as FRED
-- ids and SDMX keys do; a rebased index comes under its own code.
--
-- Exactness. ClickHouse's Decimal(38,18) × and ÷ overflow or truncate, so the product and the
-- quotient are computed by long division on unscaled integers in Decimal(38, 0), where a / b is
-- exact truncating integer division (as econ.fuel_affordability in 0005): with n, b, c the
-- nominal and the two CPIs × 10^18, n·b/c = q1·b + (r1·b)/c for q1 = n div c, r1 = n mod c,
-- and r1·b/c is taken in two steps of 12 digits of b (b = bh·10^12 + bl); the remainder of the
-- last step rounds half to even. No intermediate exceeds 10^38 while both CPIs are below 10^6
-- and the real value is below 10^19; outside that (never for a realistic index) the real value
-- is NULL, never a wrong number. Filters on country (and the identity) reach the primary key
-- of the price or wage table.
CREATE VIEW IF NOT EXISTS econ.fuel_prices_real AS
SELECT source, country, region, product, tax_basis, frequency, date, price, currency, unit, unit_mult, price_per_litre, price_per_kg, status, published_at, record_id,
       if(_has_cpi = 1, cpi_source, '') AS cpi_source, if(_has_cpi = 1, cpi_series, '') AS cpi_series,
       if(_has_cpi = 1, base_month, NULL) AS cpi_base_month,
       if(_has_cpi = 1, month, NULL) AS cpi_month, if(_has_cpi = 1, cpi_value, NULL) AS cpi_value,
       if(_has_cpi = 1, cpi_published_at, NULL) AS cpi_published_at,
       if(_has_cpi = 1 AND _has_base = 1, base_cpi_value, NULL) AS base_cpi_value,
       if(_has_cpi = 1 AND _has_base = 1, base_cpi_published_at, NULL) AS base_cpi_published_at,
       if(_ok, 'deflated', 'pending') AS real_status,
       if(_ok AND price IS NOT NULL AND _real_price_fits, toDecimal128(_real_price_ip, 18) + toDecimal128(_real_price_rounded - _real_price_ip * toDecimal128('1000000000000000000', 0), 18) / toDecimal128('1000000000000000000', 0), NULL) AS real_price,
       if(_ok AND price_per_litre IS NOT NULL AND _real_price_per_litre_fits, toDecimal128(_real_price_per_litre_ip, 18) + toDecimal128(_real_price_per_litre_rounded - _real_price_per_litre_ip * toDecimal128('1000000000000000000', 0), 18) / toDecimal128('1000000000000000000', 0), NULL) AS real_price_per_litre,
       if(_ok AND price_per_kg IS NOT NULL AND _real_price_per_kg_fits, toDecimal128(_real_price_per_kg_ip, 18) + toDecimal128(_real_price_per_kg_rounded - _real_price_per_kg_ip * toDecimal128('1000000000000000000', 0), 18) / toDecimal128('1000000000000000000', 0), NULL) AS real_price_per_kg
FROM
(
    SELECT *,
           _real_price_rounded / toDecimal128('1000000000000000000', 0) AS _real_price_ip,
           _real_price_per_litre_rounded / toDecimal128('1000000000000000000', 0) AS _real_price_per_litre_ip,
           _real_price_per_kg_rounded / toDecimal128('1000000000000000000', 0) AS _real_price_per_kg_ip
    FROM
    (
        SELECT *,
               _real_price_trunc + if(_real_price_rem * toDecimal128(2, 0) > _c OR (_real_price_rem * toDecimal128(2, 0) = _c AND _real_price_trunc - (_real_price_trunc / toDecimal128(2, 0)) * toDecimal128(2, 0) = toDecimal128(1, 0)), toDecimal128(1, 0), toDecimal128(0, 0)) AS _real_price_rounded,
               _real_price_per_litre_trunc + if(_real_price_per_litre_rem * toDecimal128(2, 0) > _c OR (_real_price_per_litre_rem * toDecimal128(2, 0) = _c AND _real_price_per_litre_trunc - (_real_price_per_litre_trunc / toDecimal128(2, 0)) * toDecimal128(2, 0) = toDecimal128(1, 0)), toDecimal128(1, 0), toDecimal128(0, 0)) AS _real_price_per_litre_rounded,
               _real_price_per_kg_trunc + if(_real_price_per_kg_rem * toDecimal128(2, 0) > _c OR (_real_price_per_kg_rem * toDecimal128(2, 0) = _c AND _real_price_per_kg_trunc - (_real_price_per_kg_trunc / toDecimal128(2, 0)) * toDecimal128(2, 0) = toDecimal128(1, 0)), toDecimal128(1, 0), toDecimal128(0, 0)) AS _real_price_per_kg_rounded
        FROM
        (
            SELECT *,
                   _real_price_t2 - _real_price_u2 * _c AS _real_price_rem,
                   _real_price_q1s * _b + _real_price_u1 * toDecimal128(1000000000000, 0) + _real_price_u2 AS _real_price_trunc,
                   _real_price_per_litre_t2 - _real_price_per_litre_u2 * _c AS _real_price_per_litre_rem,
                   _real_price_per_litre_q1s * _b + _real_price_per_litre_u1 * toDecimal128(1000000000000, 0) + _real_price_per_litre_u2 AS _real_price_per_litre_trunc,
                   _real_price_per_kg_t2 - _real_price_per_kg_u2 * _c AS _real_price_per_kg_rem,
                   _real_price_per_kg_q1s * _b + _real_price_per_kg_u1 * toDecimal128(1000000000000, 0) + _real_price_per_kg_u2 AS _real_price_per_kg_trunc
            FROM
            (
                SELECT *,
                       _real_price_t2 / _c AS _real_price_u2,
                       _real_price_per_litre_t2 / _c AS _real_price_per_litre_u2,
                       _real_price_per_kg_t2 / _c AS _real_price_per_kg_u2
                FROM
                (
                    SELECT *,
                           (_real_price_t1 - _real_price_u1 * _c) * toDecimal128(1000000000000, 0) + _real_price_r1 * _bl AS _real_price_t2,
                           (_real_price_per_litre_t1 - _real_price_per_litre_u1 * _c) * toDecimal128(1000000000000, 0) + _real_price_per_litre_r1 * _bl AS _real_price_per_litre_t2,
                           (_real_price_per_kg_t1 - _real_price_per_kg_u1 * _c) * toDecimal128(1000000000000, 0) + _real_price_per_kg_r1 * _bl AS _real_price_per_kg_t2
                    FROM
                    (
                        SELECT *,
                               _real_price_t1 / _c AS _real_price_u1,
                               _real_price_per_litre_t1 / _c AS _real_price_per_litre_u1,
                               _real_price_per_kg_t1 / _c AS _real_price_per_kg_u1
                        FROM
                        (
                            SELECT *,
                                   if(_real_price_fits, _real_price_q1, toDecimal128(0, 0)) AS _real_price_q1s,
                                   _real_price_r1 * _bh AS _real_price_t1,
                                   if(_real_price_per_litre_fits, _real_price_per_litre_q1, toDecimal128(0, 0)) AS _real_price_per_litre_q1s,
                                   _real_price_per_litre_r1 * _bh AS _real_price_per_litre_t1,
                                   if(_real_price_per_kg_fits, _real_price_per_kg_q1, toDecimal128(0, 0)) AS _real_price_per_kg_q1s,
                                   _real_price_per_kg_r1 * _bh AS _real_price_per_kg_t1
                            FROM
                            (
                                SELECT *,
                                       _b - _bh * toDecimal128(1000000000000, 0) AS _bl,
                                       _real_pricen_r - _real_price_q1 * _c AS _real_price_r1,
                                       _real_price_q1 < _lim AS _real_price_fits,
                                       _real_price_per_litren_r - _real_price_per_litre_q1 * _c AS _real_price_per_litre_r1,
                                       _real_price_per_litre_q1 < _lim AS _real_price_per_litre_fits,
                                       _real_price_per_kgn_r - _real_price_per_kg_q1 * _c AS _real_price_per_kg_r1,
                                       _real_price_per_kg_q1 < _lim AS _real_price_per_kg_fits
                                FROM
                                (
                                    SELECT *,
                                           _b / toDecimal128(1000000000000, 0) AS _bh,
                                           toDecimal128('10000000000000000000000000000000000000', 0) / _b AS _lim,
                                           _real_pricen_r / _c AS _real_price_q1,
                                           _real_price_per_litren_r / _c AS _real_price_per_litre_q1,
                                           _real_price_per_kgn_r / _c AS _real_price_per_kg_q1
                                    FROM
                                    (
                                        SELECT *,
                                               if(_in_range, _bv_r, toDecimal128(1, 0)) AS _b,
                                               if(_in_range, _cv_r, toDecimal128(1, 0)) AS _c,
                                               _has_cpi = 1 AND _has_base = 1 AND _in_range AS _ok
                                        FROM
                                        (
                                            SELECT *,
                                                   _bv_r > toDecimal128(0, 0) AND _bv_r < toDecimal128('1000000000000000000000000', 0) AND _cv_r > toDecimal128(0, 0) AND _cv_r < toDecimal128('1000000000000000000000000', 0) AS _in_range
                                            FROM
                                            (
                                                SELECT *,
                                                       toDecimal128(base_cpi_value, 0) AS _bv_i,
                                                       _bv_i * toDecimal128('1000000000000000000', 0) + toDecimal128((base_cpi_value - toDecimal128(_bv_i, 18)) * toDecimal128('1000000000000000000', 0), 0) AS _bv_r,
                                                       toDecimal128(cpi_value, 0) AS _cv_i,
                                                       _cv_i * toDecimal128('1000000000000000000', 0) + toDecimal128((cpi_value - toDecimal128(_cv_i, 18)) * toDecimal128('1000000000000000000', 0), 0) AS _cv_r,
                                                       toDecimal128(ifNull(price, toDecimal128(0, 18)), 0) AS _real_pricen_i,
                                                       _real_pricen_i * toDecimal128('1000000000000000000', 0) + toDecimal128((ifNull(price, toDecimal128(0, 18)) - toDecimal128(_real_pricen_i, 18)) * toDecimal128('1000000000000000000', 0), 0) AS _real_pricen_r,
                                                       toDecimal128(ifNull(price_per_litre, toDecimal128(0, 18)), 0) AS _real_price_per_litren_i,
                                                       _real_price_per_litren_i * toDecimal128('1000000000000000000', 0) + toDecimal128((ifNull(price_per_litre, toDecimal128(0, 18)) - toDecimal128(_real_price_per_litren_i, 18)) * toDecimal128('1000000000000000000', 0), 0) AS _real_price_per_litren_r,
                                                       toDecimal128(ifNull(price_per_kg, toDecimal128(0, 18)), 0) AS _real_price_per_kgn_i,
                                                       _real_price_per_kgn_i * toDecimal128('1000000000000000000', 0) + toDecimal128((ifNull(price_per_kg, toDecimal128(0, 18)) - toDecimal128(_real_price_per_kgn_i, 18)) * toDecimal128('1000000000000000000', 0), 0) AS _real_price_per_kgn_r
                                                FROM
                                                (
                                                    SELECT *
                                                    FROM
                                                    (
                                                        SELECT source, country, region, product, tax_basis, frequency, date, price, currency, unit, unit_mult, price_per_litre, price_per_kg, status, published_at, record_id, toStartOfMonth(date) AS month
                                                        FROM econ.fuel_prices
                                                    ) AS _s1
                                                    ANY LEFT JOIN
                                                        (
                                                        SELECT country, month, cpi_source, cpi_series, base_month, cpi_value, cpi_published_at,
                                                               base_cpi_value, base_cpi_published_at, _has_base, toUInt8(1) AS _has_cpi
                                                        FROM
                                                        (
                                                            SELECT country, cpi_source, cpi_series, base_month, month, cpi_value, cpi_published_at
                                                            FROM
                                                            (
                                                                SELECT country, argMax(source, _version) AS cpi_source, argMax(series, _version) AS cpi_series,
                                                                       argMax(base_month, _version) AS base_month, argMax(active, _version) AS _active
                                                                FROM econ.deflators
                                                                GROUP BY country
                                                            ) AS _s2
                                                            ALL INNER JOIN
                                                            (
                                                                SELECT country, source AS cpi_source, series AS cpi_series, toStartOfMonth(date) AS month,
                                                                       argMax(value, (published_at, _version)) AS cpi_value, max(published_at) AS cpi_published_at
                                                                FROM econ.indicators_data
                                                                WHERE unit = 'index' AND region = ''
                                                                GROUP BY country, source, series, month
                                                            ) AS _s3 USING (country, cpi_source, cpi_series)
                                                            WHERE _active = 1
                                                        ) AS _s4
                                                        ANY LEFT JOIN
                                                        (
                                                            SELECT country, source AS cpi_source, series AS cpi_series, toStartOfMonth(date) AS base_month,
                                                                   argMax(value, (published_at, _version)) AS base_cpi_value, max(published_at) AS base_cpi_published_at,
                                                                   toUInt8(1) AS _has_base
                                                            FROM econ.indicators_data
                                                            WHERE unit = 'index' AND region = ''
                                                            GROUP BY country, source, series, base_month
                                                        ) AS _s5 USING (country, cpi_source, cpi_series, base_month)
                                                    ) AS _s6 USING (country, month)
                                                )
                                            )
                                        )
                                    )
                                )
                            )
                        )
                    )
                )
            )
        )
    )
);

CREATE VIEW IF NOT EXISTS econ.wages_real AS
SELECT source, country, region, measure, basis, per, frequency, date, amount, currency, unit_mult, monthly_amount, status, published_at, record_id,
       if(_has_cpi = 1, cpi_source, '') AS cpi_source, if(_has_cpi = 1, cpi_series, '') AS cpi_series,
       if(_has_cpi = 1, base_month, NULL) AS cpi_base_month,
       if(_has_cpi = 1, month, NULL) AS cpi_month, if(_has_cpi = 1, cpi_value, NULL) AS cpi_value,
       if(_has_cpi = 1, cpi_published_at, NULL) AS cpi_published_at,
       if(_has_cpi = 1 AND _has_base = 1, base_cpi_value, NULL) AS base_cpi_value,
       if(_has_cpi = 1 AND _has_base = 1, base_cpi_published_at, NULL) AS base_cpi_published_at,
       if(_ok, 'deflated', 'pending') AS real_status,
       if(_ok AND amount IS NOT NULL AND _real_amount_fits, toDecimal128(_real_amount_ip, 18) + toDecimal128(_real_amount_rounded - _real_amount_ip * toDecimal128('1000000000000000000', 0), 18) / toDecimal128('1000000000000000000', 0), NULL) AS real_amount,
       if(_ok AND monthly_amount IS NOT NULL AND _real_monthly_amount_fits, toDecimal128(_real_monthly_amount_ip, 18) + toDecimal128(_real_monthly_amount_rounded - _real_monthly_amount_ip * toDecimal128('1000000000000000000', 0), 18) / toDecimal128('1000000000000000000', 0), NULL) AS real_monthly_amount
FROM
(
    SELECT *,
           _real_amount_rounded / toDecimal128('1000000000000000000', 0) AS _real_amount_ip,
           _real_monthly_amount_rounded / toDecimal128('1000000000000000000', 0) AS _real_monthly_amount_ip
    FROM
    (
        SELECT *,
               _real_amount_trunc + if(_real_amount_rem * toDecimal128(2, 0) > _c OR (_real_amount_rem * toDecimal128(2, 0) = _c AND _real_amount_trunc - (_real_amount_trunc / toDecimal128(2, 0)) * toDecimal128(2, 0) = toDecimal128(1, 0)), toDecimal128(1, 0), toDecimal128(0, 0)) AS _real_amount_rounded,
               _real_monthly_amount_trunc + if(_real_monthly_amount_rem * toDecimal128(2, 0) > _c OR (_real_monthly_amount_rem * toDecimal128(2, 0) = _c AND _real_monthly_amount_trunc - (_real_monthly_amount_trunc / toDecimal128(2, 0)) * toDecimal128(2, 0) = toDecimal128(1, 0)), toDecimal128(1, 0), toDecimal128(0, 0)) AS _real_monthly_amount_rounded
        FROM
        (
            SELECT *,
                   _real_amount_t2 - _real_amount_u2 * _c AS _real_amount_rem,
                   _real_amount_q1s * _b + _real_amount_u1 * toDecimal128(1000000000000, 0) + _real_amount_u2 AS _real_amount_trunc,
                   _real_monthly_amount_t2 - _real_monthly_amount_u2 * _c AS _real_monthly_amount_rem,
                   _real_monthly_amount_q1s * _b + _real_monthly_amount_u1 * toDecimal128(1000000000000, 0) + _real_monthly_amount_u2 AS _real_monthly_amount_trunc
            FROM
            (
                SELECT *,
                       _real_amount_t2 / _c AS _real_amount_u2,
                       _real_monthly_amount_t2 / _c AS _real_monthly_amount_u2
                FROM
                (
                    SELECT *,
                           (_real_amount_t1 - _real_amount_u1 * _c) * toDecimal128(1000000000000, 0) + _real_amount_r1 * _bl AS _real_amount_t2,
                           (_real_monthly_amount_t1 - _real_monthly_amount_u1 * _c) * toDecimal128(1000000000000, 0) + _real_monthly_amount_r1 * _bl AS _real_monthly_amount_t2
                    FROM
                    (
                        SELECT *,
                               _real_amount_t1 / _c AS _real_amount_u1,
                               _real_monthly_amount_t1 / _c AS _real_monthly_amount_u1
                        FROM
                        (
                            SELECT *,
                                   if(_real_amount_fits, _real_amount_q1, toDecimal128(0, 0)) AS _real_amount_q1s,
                                   _real_amount_r1 * _bh AS _real_amount_t1,
                                   if(_real_monthly_amount_fits, _real_monthly_amount_q1, toDecimal128(0, 0)) AS _real_monthly_amount_q1s,
                                   _real_monthly_amount_r1 * _bh AS _real_monthly_amount_t1
                            FROM
                            (
                                SELECT *,
                                       _b - _bh * toDecimal128(1000000000000, 0) AS _bl,
                                       _real_amountn_r - _real_amount_q1 * _c AS _real_amount_r1,
                                       _real_amount_q1 < _lim AS _real_amount_fits,
                                       _real_monthly_amountn_r - _real_monthly_amount_q1 * _c AS _real_monthly_amount_r1,
                                       _real_monthly_amount_q1 < _lim AS _real_monthly_amount_fits
                                FROM
                                (
                                    SELECT *,
                                           _b / toDecimal128(1000000000000, 0) AS _bh,
                                           toDecimal128('10000000000000000000000000000000000000', 0) / _b AS _lim,
                                           _real_amountn_r / _c AS _real_amount_q1,
                                           _real_monthly_amountn_r / _c AS _real_monthly_amount_q1
                                    FROM
                                    (
                                        SELECT *,
                                               if(_in_range, _bv_r, toDecimal128(1, 0)) AS _b,
                                               if(_in_range, _cv_r, toDecimal128(1, 0)) AS _c,
                                               _has_cpi = 1 AND _has_base = 1 AND _in_range AS _ok
                                        FROM
                                        (
                                            SELECT *,
                                                   _bv_r > toDecimal128(0, 0) AND _bv_r < toDecimal128('1000000000000000000000000', 0) AND _cv_r > toDecimal128(0, 0) AND _cv_r < toDecimal128('1000000000000000000000000', 0) AS _in_range
                                            FROM
                                            (
                                                SELECT *,
                                                       toDecimal128(base_cpi_value, 0) AS _bv_i,
                                                       _bv_i * toDecimal128('1000000000000000000', 0) + toDecimal128((base_cpi_value - toDecimal128(_bv_i, 18)) * toDecimal128('1000000000000000000', 0), 0) AS _bv_r,
                                                       toDecimal128(cpi_value, 0) AS _cv_i,
                                                       _cv_i * toDecimal128('1000000000000000000', 0) + toDecimal128((cpi_value - toDecimal128(_cv_i, 18)) * toDecimal128('1000000000000000000', 0), 0) AS _cv_r,
                                                       toDecimal128(ifNull(amount, toDecimal128(0, 18)), 0) AS _real_amountn_i,
                                                       _real_amountn_i * toDecimal128('1000000000000000000', 0) + toDecimal128((ifNull(amount, toDecimal128(0, 18)) - toDecimal128(_real_amountn_i, 18)) * toDecimal128('1000000000000000000', 0), 0) AS _real_amountn_r,
                                                       toDecimal128(ifNull(monthly_amount, toDecimal128(0, 18)), 0) AS _real_monthly_amountn_i,
                                                       _real_monthly_amountn_i * toDecimal128('1000000000000000000', 0) + toDecimal128((ifNull(monthly_amount, toDecimal128(0, 18)) - toDecimal128(_real_monthly_amountn_i, 18)) * toDecimal128('1000000000000000000', 0), 0) AS _real_monthly_amountn_r
                                                FROM
                                                (
                                                    SELECT *
                                                    FROM
                                                    (
                                                        SELECT source, country, region, measure, basis, per, frequency, date, amount, currency, unit_mult, monthly_amount, status, published_at, record_id, toStartOfMonth(date) AS month
                                                        FROM econ.wages
                                                    ) AS _s7
                                                    ANY LEFT JOIN
                                                        (
                                                        SELECT country, month, cpi_source, cpi_series, base_month, cpi_value, cpi_published_at,
                                                               base_cpi_value, base_cpi_published_at, _has_base, toUInt8(1) AS _has_cpi
                                                        FROM
                                                        (
                                                            SELECT country, cpi_source, cpi_series, base_month, month, cpi_value, cpi_published_at
                                                            FROM
                                                            (
                                                                SELECT country, argMax(source, _version) AS cpi_source, argMax(series, _version) AS cpi_series,
                                                                       argMax(base_month, _version) AS base_month, argMax(active, _version) AS _active
                                                                FROM econ.deflators
                                                                GROUP BY country
                                                            ) AS _s8
                                                            ALL INNER JOIN
                                                            (
                                                                SELECT country, source AS cpi_source, series AS cpi_series, toStartOfMonth(date) AS month,
                                                                       argMax(value, (published_at, _version)) AS cpi_value, max(published_at) AS cpi_published_at
                                                                FROM econ.indicators_data
                                                                WHERE unit = 'index' AND region = ''
                                                                GROUP BY country, source, series, month
                                                            ) AS _s9 USING (country, cpi_source, cpi_series)
                                                            WHERE _active = 1
                                                        ) AS _s10
                                                        ANY LEFT JOIN
                                                        (
                                                            SELECT country, source AS cpi_source, series AS cpi_series, toStartOfMonth(date) AS base_month,
                                                                   argMax(value, (published_at, _version)) AS base_cpi_value, max(published_at) AS base_cpi_published_at,
                                                                   toUInt8(1) AS _has_base
                                                            FROM econ.indicators_data
                                                            WHERE unit = 'index' AND region = ''
                                                            GROUP BY country, source, series, base_month
                                                        ) AS _s11 USING (country, cpi_source, cpi_series, base_month)
                                                    ) AS _s12 USING (country, month)
                                                )
                                            )
                                        )
                                    )
                                )
                            )
                        )
                    )
                )
            )
        )
    )
);

-- Change of every index series (unit 'index'), from the latest vintages: mom_percent against
-- the previous month (monthly series only) and yoy_percent against the same date a year
-- before, of the same identity (so the same base period): percent = (v / v_prev − 1) × 100,
-- computed as (v − v_prev) × 100 / v_prev by exact long division on unscaled integers in
-- Decimal(38, 0), rounded once, half to even, at 18 fractional digits (the sign applied after
-- rounding the magnitude). NULL when there is no previous value, or (never for a realistic
-- index) when a value reaches 10^6 or the change 10^19 percent. prev_month_published_at and
-- year_ago_published_at name the vintages compared.
CREATE VIEW IF NOT EXISTS econ.indicators_change AS
SELECT source, series, country, region, measure, unit, currency, base_period, adjustment, frequency, date, value,
       published_at,
       if(_has_m = 1, prev_month_value, NULL) AS prev_month_value,
       if(_has_m = 1, prev_month_published_at, NULL) AS prev_month_published_at,
       if(_m_ok, _m_value, NULL) AS mom_percent,
       if(_has_y = 1, year_ago_value, NULL) AS year_ago_value,
       if(_has_y = 1, year_ago_published_at, NULL) AS year_ago_published_at,
       if(_y_ok, _y_value, NULL) AS yoy_percent
FROM
(
    SELECT *,
           _has_m = 1 AND _m_in AND _m_qc < toDecimal128('10000000000000000000', 0) AS _m_ok,
           (toDecimal128(if(_m_ok, _m_qc, toDecimal128(0, 0)), 18) + toDecimal128(_m_frac, 18) / toDecimal128('1000000000000000000', 0)) * toDecimal128(if(_m_up, 1, -1), 0) AS _m_value,
           _has_y = 1 AND _y_in AND _y_qc < toDecimal128('10000000000000000000', 0) AS _y_ok,
           (toDecimal128(if(_y_ok, _y_qc, toDecimal128(0, 0)), 18) + toDecimal128(_y_frac, 18) / toDecimal128('1000000000000000000', 0)) * toDecimal128(if(_y_up, 1, -1), 0) AS _y_value
    FROM
    (
        SELECT *,
               _m_q + _m_frac1 / toDecimal128('1000000000000000000', 0) AS _m_qc,
               _m_frac1 - (_m_frac1 / toDecimal128('1000000000000000000', 0)) * toDecimal128('1000000000000000000', 0) AS _m_frac,
               _y_q + _y_frac1 / toDecimal128('1000000000000000000', 0) AS _y_qc,
               _y_frac1 - (_y_frac1 / toDecimal128('1000000000000000000', 0)) * toDecimal128('1000000000000000000', 0) AS _y_frac
        FROM
        (
            SELECT *,
                   _m_frac0 + if(_m_rem * toDecimal128(2, 0) > _m_d OR (_m_rem * toDecimal128(2, 0) = _m_d AND _m_frac0 - (_m_frac0 / toDecimal128(2, 0)) * toDecimal128(2, 0) = toDecimal128(1, 0)), toDecimal128(1, 0), toDecimal128(0, 0)) AS _m_frac1,
                   _y_frac0 + if(_y_rem * toDecimal128(2, 0) > _y_d OR (_y_rem * toDecimal128(2, 0) = _y_d AND _y_frac0 - (_y_frac0 / toDecimal128(2, 0)) * toDecimal128(2, 0) = toDecimal128(1, 0)), toDecimal128(1, 0), toDecimal128(0, 0)) AS _y_frac1
            FROM
            (
                SELECT *,
                       _m_t2 / _m_d AS _m_f2,
                       _m_t2 - _m_f2 * _m_d AS _m_rem,
                       _m_f1 * toDecimal128(1000000, 0) + _m_f2 AS _m_frac0,
                       _y_t2 / _y_d AS _y_f2,
                       _y_t2 - _y_f2 * _y_d AS _y_rem,
                       _y_f1 * toDecimal128(1000000, 0) + _y_f2 AS _y_frac0
                FROM
                (
                    SELECT *,
                           _m_t1 / _m_d AS _m_f1,
                           (_m_t1 - _m_f1 * _m_d) * toDecimal128(1000000, 0) AS _m_t2,
                           _y_t1 / _y_d AS _y_f1,
                           (_y_t1 - _y_f1 * _y_d) * toDecimal128(1000000, 0) AS _y_t2
                    FROM
                    (
                        SELECT *,
                               _m_v >= _m_d AS _m_up,
                               if(_m_up, _m_v - _m_d, _m_d - _m_v) * toDecimal128(100, 0) AS _m_a,
                               _m_a / _m_d AS _m_q,
                               (_m_a - _m_q * _m_d) * toDecimal128(1000000000000, 0) AS _m_t1,
                               _y_v >= _y_d AS _y_up,
                               if(_y_up, _y_v - _y_d, _y_d - _y_v) * toDecimal128(100, 0) AS _y_a,
                               _y_a / _y_d AS _y_q,
                               (_y_a - _y_q * _y_d) * toDecimal128(1000000000000, 0) AS _y_t1
                        FROM
                        (
                            SELECT *,
                                   _m_d0 < toDecimal128('1000000000000000000000000', 0) AND _v_r < toDecimal128('1000000000000000000000000', 0) AS _m_in,
                                   if(_m_in, _m_d0, toDecimal128(1, 0)) AS _m_d,
                                   if(_m_in, _v_r, toDecimal128(1, 0)) AS _m_v,
                                   _y_d0 < toDecimal128('1000000000000000000000000', 0) AND _v_r < toDecimal128('1000000000000000000000000', 0) AS _y_in,
                                   if(_y_in, _y_d0, toDecimal128(1, 0)) AS _y_d,
                                   if(_y_in, _v_r, toDecimal128(1, 0)) AS _y_v
                            FROM
                            (
                                SELECT *,
                                       toDecimal128(value, 0) AS _v_i,
                                       _v_i * toDecimal128('1000000000000000000', 0) + toDecimal128((value - toDecimal128(_v_i, 18)) * toDecimal128('1000000000000000000', 0), 0) AS _v_r,
                                       toDecimal128(if(prev_month_value > toDecimal128(0, 18), prev_month_value, toDecimal128(1, 18)), 0) AS _m_pi,
                                       _m_pi * toDecimal128('1000000000000000000', 0) + toDecimal128((if(prev_month_value > toDecimal128(0, 18), prev_month_value, toDecimal128(1, 18)) - toDecimal128(_m_pi, 18)) * toDecimal128('1000000000000000000', 0), 0) AS _m_d0,
                                       toDecimal128(if(year_ago_value > toDecimal128(0, 18), year_ago_value, toDecimal128(1, 18)), 0) AS _y_pi,
                                       _y_pi * toDecimal128('1000000000000000000', 0) + toDecimal128((if(year_ago_value > toDecimal128(0, 18), year_ago_value, toDecimal128(1, 18)) - toDecimal128(_y_pi, 18)) * toDecimal128('1000000000000000000', 0), 0) AS _y_d0
                                FROM
                                (
                                    SELECT *
                                    FROM
                                    (
                                    SELECT *
                                    FROM
                                    (
                                        SELECT country, series, region, measure, unit, currency, base_period, adjustment, source, frequency, date, value, published_at
                                        FROM econ.indicators
                                        WHERE unit = 'index'
                                    ) AS _s13
                                    ANY LEFT JOIN
                                    (
                                        SELECT country, series, region, measure, unit, currency, base_period, adjustment, source, frequency, addMonths(date, 1) AS date, value AS prev_month_value,
                                               published_at AS prev_month_published_at, toUInt8(1) AS _has_m
                                        FROM econ.indicators
                                        WHERE unit = 'index' AND frequency = 'M'
                                    ) AS _s14 USING (country, series, region, measure, unit, currency, base_period, adjustment, source, frequency, date)
                                    ) AS _s15
                                    ANY LEFT JOIN
                                    (
                                        SELECT country, series, region, measure, unit, currency, base_period, adjustment, source, frequency, addYears(date, 1) AS date, value AS year_ago_value,
                                               published_at AS year_ago_published_at, toUInt8(1) AS _has_y
                                        FROM econ.indicators
                                        WHERE unit = 'index'
                                    ) AS _s16 USING (country, series, region, measure, unit, currency, base_period, adjustment, source, frequency, date)
                                )
                            )
                        )
                    )
                )
            )
        )
    )
);
