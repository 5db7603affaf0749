-- The SQL surface of CONTRACT §5 again, in a shape whose filters reach the primary key.
--
-- 0002–0004 read `(SELECT * FROM t FINAL) ORDER BY published_at DESC LIMIT 1 BY …`: exact, but
-- no filter can pass FINAL or LIMIT BY, so every query read and sorted the whole table. Here
-- every view groups the *_data table by its sorting key and picks, per group, the values of the
-- row with the greatest version with argMax:
--   latest views   (fuel_prices, wages, fx_rates): per identity (the key without published_at),
--                  the row with the greatest (published_at, _version);
--   history views  (*_history): per (identity, published_at), the greatest _version;
--   rejects:       per Kafka offset, the greatest _version.
-- That is exactly what ReplacingMergeTree(_version) plus FINAL gave (a re-delivery or a
-- re-conversion replaces its row; an older vintage arriving late never displaces a newer one)
-- and it is exact whether or not parts have merged. Reading costs nothing at insert time.
--
-- A filter on a view's key columns (identity fields, date, published_at) is pushed into the
-- GROUP BY and from there to the primary key when `enable_optimize_predicate_expression` is 1:
-- the default of current ClickHouse; ClickHouse 18.16 defaults to 0, so deploy/clickhouse.sh
-- sets it in the server's default profile (see docs/cookbook.md). A filter on a value column
-- (price, status, …) stays above the argMax, where it tests the latest row's value.
-- Views are dropped dependents first: current ClickHouse refuses to drop a table a view reads.
DROP TABLE IF EXISTS econ.fuel_prices_current;
DROP TABLE IF EXISTS econ.fuel_affordability;
DROP TABLE IF EXISTS econ.fuel_prices_monthly;
DROP TABLE IF EXISTS econ.fuel_prices;
DROP TABLE IF EXISTS econ.fuel_prices_history;
DROP TABLE IF EXISTS econ.wages;
DROP TABLE IF EXISTS econ.wages_history;
DROP TABLE IF EXISTS econ.fx_rates;
DROP TABLE IF EXISTS econ.fx_rates_history;
DROP TABLE IF EXISTS econ.rejects;

CREATE VIEW IF NOT EXISTS econ.fuel_prices AS
SELECT source, country, region, product, tax_basis, frequency, date, _price AS price, currency, unit,
       _unit_mult AS unit_mult, _price_per_litre AS price_per_litre, _price_per_kg AS price_per_kg,
       _price_eur AS price_eur, _price_per_litre_eur AS price_per_litre_eur, _price_per_kg_eur AS price_per_kg_eur,
       _fx_rate AS fx_rate, _fx_date AS fx_date, _fx_path AS fx_path, _fx_status AS fx_status, _status AS status,
       _published_at AS published_at, _record_id AS record_id, _attributes AS attributes
FROM
(
    SELECT country, region, product, tax_basis, currency, unit, source, frequency, date,
           argMax(price, (published_at, _version)) AS _price,
           argMax(unit_mult, (published_at, _version)) AS _unit_mult,
           argMax(price_per_litre, (published_at, _version)) AS _price_per_litre,
           argMax(price_per_kg, (published_at, _version)) AS _price_per_kg,
           argMax(price_eur, (published_at, _version)) AS _price_eur,
           argMax(price_per_litre_eur, (published_at, _version)) AS _price_per_litre_eur,
           argMax(price_per_kg_eur, (published_at, _version)) AS _price_per_kg_eur,
           argMax(fx_rate, (published_at, _version)) AS _fx_rate,
           argMax(fx_date, (published_at, _version)) AS _fx_date,
           argMax(fx_path, (published_at, _version)) AS _fx_path,
           argMax(fx_status, (published_at, _version)) AS _fx_status,
           argMax(status, (published_at, _version)) AS _status,
           max(published_at) AS _published_at,
           argMax(record_id, (published_at, _version)) AS _record_id,
           argMax(attributes, (published_at, _version)) AS _attributes
    FROM econ.fuel_prices_data
    GROUP BY country, region, product, tax_basis, currency, unit, source, frequency, date
);

CREATE VIEW IF NOT EXISTS econ.fuel_prices_history AS
SELECT source, country, region, product, tax_basis, frequency, date, _price AS price, currency, unit,
       _unit_mult AS unit_mult, _price_per_litre AS price_per_litre, _price_per_kg AS price_per_kg,
       _price_eur AS price_eur, _price_per_litre_eur AS price_per_litre_eur, _price_per_kg_eur AS price_per_kg_eur,
       _fx_rate AS fx_rate, _fx_date AS fx_date, _fx_path AS fx_path, _fx_status AS fx_status, _status AS status,
       published_at, _record_id AS record_id, _attributes AS attributes,
       _kafka_topic AS kafka_topic, _kafka_partition AS kafka_partition, _kafka_offset AS kafka_offset,
       _ingested_at AS ingested_at
FROM
(
    SELECT country, region, product, tax_basis, currency, unit, source, frequency, date, published_at,
           argMax(price, _version) AS _price,
           argMax(unit_mult, _version) AS _unit_mult,
           argMax(price_per_litre, _version) AS _price_per_litre,
           argMax(price_per_kg, _version) AS _price_per_kg,
           argMax(price_eur, _version) AS _price_eur,
           argMax(price_per_litre_eur, _version) AS _price_per_litre_eur,
           argMax(price_per_kg_eur, _version) AS _price_per_kg_eur,
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
    FROM econ.fuel_prices_data
    GROUP BY country, region, product, tax_basis, currency, unit, source, frequency, date, published_at
);

CREATE VIEW IF NOT EXISTS econ.wages AS
SELECT source, country, region, measure, basis, per, frequency, date, _amount AS amount, currency,
       _unit_mult AS unit_mult, _amount_eur AS amount_eur, _monthly_amount AS monthly_amount,
       _monthly_amount_eur AS monthly_amount_eur, _fx_rate AS fx_rate, _fx_date AS fx_date, _fx_path AS fx_path,
       _fx_status AS fx_status, _status AS status, _published_at AS published_at, _record_id AS record_id,
       _attributes AS attributes
FROM
(
    SELECT country, region, measure, basis, per, currency, source, frequency, date,
           argMax(amount, (published_at, _version)) AS _amount,
           argMax(unit_mult, (published_at, _version)) AS _unit_mult,
           argMax(amount_eur, (published_at, _version)) AS _amount_eur,
           argMax(monthly_amount, (published_at, _version)) AS _monthly_amount,
           argMax(monthly_amount_eur, (published_at, _version)) AS _monthly_amount_eur,
           argMax(fx_rate, (published_at, _version)) AS _fx_rate,
           argMax(fx_date, (published_at, _version)) AS _fx_date,
           argMax(fx_path, (published_at, _version)) AS _fx_path,
           argMax(fx_status, (published_at, _version)) AS _fx_status,
           argMax(status, (published_at, _version)) AS _status,
           max(published_at) AS _published_at,
           argMax(record_id, (published_at, _version)) AS _record_id,
           argMax(attributes, (published_at, _version)) AS _attributes
    FROM econ.wages_data
    GROUP BY country, region, measure, basis, per, currency, source, frequency, date
);

CREATE VIEW IF NOT EXISTS econ.wages_history AS
SELECT source, country, region, measure, basis, per, frequency, date, _amount AS amount, currency,
       _unit_mult AS unit_mult, _amount_eur AS amount_eur, _monthly_amount AS monthly_amount,
       _monthly_amount_eur AS monthly_amount_eur, _fx_rate AS fx_rate, _fx_date AS fx_date, _fx_path AS fx_path,
       _fx_status AS fx_status, _status AS status, published_at, _record_id AS record_id,
       _attributes AS attributes,
       _kafka_topic AS kafka_topic, _kafka_partition AS kafka_partition, _kafka_offset AS kafka_offset,
       _ingested_at AS ingested_at
FROM
(
    SELECT country, region, measure, basis, per, currency, source, frequency, date, published_at,
           argMax(amount, _version) AS _amount,
           argMax(unit_mult, _version) AS _unit_mult,
           argMax(amount_eur, _version) AS _amount_eur,
           argMax(monthly_amount, _version) AS _monthly_amount,
           argMax(monthly_amount_eur, _version) AS _monthly_amount_eur,
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
    FROM econ.wages_data
    GROUP BY country, region, measure, basis, per, currency, source, frequency, date, published_at
);

CREATE VIEW IF NOT EXISTS econ.fx_rates AS
SELECT source, base, quote, rate_type, frequency, date, _rate AS rate, _quantity AS quantity,
       _unit_mult AS unit_mult, _status AS status, _published_at AS published_at, _record_id AS record_id,
       _attributes AS attributes
FROM
(
    SELECT base, quote, rate_type, source, frequency, date,
           argMax(rate, (published_at, _version)) AS _rate,
           argMax(quantity, (published_at, _version)) AS _quantity,
           argMax(unit_mult, (published_at, _version)) AS _unit_mult,
           argMax(status, (published_at, _version)) AS _status,
           max(published_at) AS _published_at,
           argMax(record_id, (published_at, _version)) AS _record_id,
           argMax(attributes, (published_at, _version)) AS _attributes
    FROM econ.fx_rates_data
    GROUP BY base, quote, rate_type, source, frequency, date
);

CREATE VIEW IF NOT EXISTS econ.fx_rates_history AS
SELECT source, base, quote, rate_type, frequency, date, _rate AS rate, _quantity AS quantity,
       _unit_mult AS unit_mult, _status AS status, published_at, _record_id AS record_id,
       _attributes AS attributes,
       _kafka_topic AS kafka_topic, _kafka_partition AS kafka_partition, _kafka_offset AS kafka_offset,
       _ingested_at AS ingested_at
FROM
(
    SELECT base, quote, rate_type, source, frequency, date, published_at,
           argMax(rate, _version) AS _rate,
           argMax(quantity, _version) AS _quantity,
           argMax(unit_mult, _version) AS _unit_mult,
           argMax(status, _version) AS _status,
           argMax(record_id, _version) AS _record_id,
           argMax(attributes, _version) AS _attributes,
           argMax(kafka_topic, _version) AS _kafka_topic,
           argMax(kafka_partition, _version) AS _kafka_partition,
           argMax(kafka_offset, _version) AS _kafka_offset,
           argMax(ingested_at, _version) AS _ingested_at
    FROM econ.fx_rates_data
    GROUP BY base, quote, rate_type, source, frequency, date, published_at
);

CREATE VIEW IF NOT EXISTS econ.rejects AS
SELECT _received_at AS received_at, kafka_topic, kafka_partition, kafka_offset, _key AS key, _value AS value,
       _error_code AS error_code, _error AS error
FROM
(
    SELECT kafka_topic, kafka_partition, kafka_offset,
           argMax(received_at, _version) AS _received_at,
           argMax(key, _version) AS _key,
           argMax(value, _version) AS _value,
           argMax(error_code, _version) AS _error_code,
           argMax(error, _version) AS _error
    FROM econ.rejects_data
    GROUP BY kafka_topic, kafka_partition, kafka_offset
);

-- The most recent observation of every fuel price series: per series (the identity without the
-- date), the latest vintage of its latest date, i.e. the row with the greatest
-- (date, published_at, _version). A filter on a series field reaches the key; one on `date`
-- tests the series' latest date.
CREATE VIEW IF NOT EXISTS econ.fuel_prices_current AS
SELECT source, country, region, product, tax_basis, frequency, _date AS date, _price AS price, currency, unit,
       _unit_mult AS unit_mult, _price_per_litre AS price_per_litre, _price_per_kg AS price_per_kg,
       _price_eur AS price_eur, _price_per_litre_eur AS price_per_litre_eur, _price_per_kg_eur AS price_per_kg_eur,
       _fx_rate AS fx_rate, _fx_date AS fx_date, _fx_path AS fx_path, _fx_status AS fx_status, _status AS status,
       _published_at AS published_at, _record_id AS record_id, _attributes AS attributes
FROM
(
    SELECT country, region, product, tax_basis, currency, unit, source, frequency,
           max(date) AS _date,
           argMax(price, (date, published_at, _version)) AS _price,
           argMax(unit_mult, (date, published_at, _version)) AS _unit_mult,
           argMax(price_per_litre, (date, published_at, _version)) AS _price_per_litre,
           argMax(price_per_kg, (date, published_at, _version)) AS _price_per_kg,
           argMax(price_eur, (date, published_at, _version)) AS _price_eur,
           argMax(price_per_litre_eur, (date, published_at, _version)) AS _price_per_litre_eur,
           argMax(price_per_kg_eur, (date, published_at, _version)) AS _price_per_kg_eur,
           argMax(fx_rate, (date, published_at, _version)) AS _fx_rate,
           argMax(fx_date, (date, published_at, _version)) AS _fx_date,
           argMax(fx_path, (date, published_at, _version)) AS _fx_path,
           argMax(fx_status, (date, published_at, _version)) AS _fx_status,
           argMax(status, (date, published_at, _version)) AS _status,
           argMax(published_at, (date, published_at, _version)) AS _published_at,
           argMax(record_id, (date, published_at, _version)) AS _record_id,
           argMax(attributes, (date, published_at, _version)) AS _attributes
    FROM econ.fuel_prices_data
    GROUP BY country, region, product, tax_basis, currency, unit, source, frequency
);

-- Monthly fuel prices in EUR per litre, from the latest vintages. Rows whose conversion is
-- pending count as observations but do not enter the averages (their price_per_litre_eur is
-- NULL). The average is exact: the sum of the month's values divided by their count, truncated
-- (toward zero) to 18 fractional digits; NULL when no value is converted. (avg() is not used:
-- current ClickHouse returns Float64 for avg of a Decimal.) The sum is exact while it stays
-- below 1.7e20, i.e. for any realistic price per litre.
CREATE VIEW IF NOT EXISTS econ.fuel_prices_monthly AS
SELECT toStartOfMonth(date) AS month, country, region, product, tax_basis,
       count() AS observations,
       if(count(price_per_litre_eur) = 0, NULL,
          sum(price_per_litre_eur) / toDecimal128(greatest(count(price_per_litre_eur), 1), 0)) AS avg_price_per_litre_eur,
       min(price_per_litre_eur) AS min_price_per_litre_eur,
       max(price_per_litre_eur) AS max_price_per_litre_eur
FROM econ.fuel_prices
GROUP BY month, country, region, product, tax_basis;

-- Litres of fuel one monthly wage buys, in local currency, one row per (month, country, region,
-- product, currency) with incl_tax prices and per wage measure and basis with a wage in force.
--
-- The wage in force in a month: a wage observation applies from its month until the month of
-- the next observation of the same series (source, country, region, measure, basis, per,
-- currency, frequency), so the month's wage of a series is its latest observation dated on or
-- before the month's last day; the newest one applies until 2099-12. Only wages with a
-- monthly_amount (per month or year) count. Of the series in force, a regional wage is taken
-- where one exists, else the national one (region ''); among several, the most recently dated,
-- then the smallest (source, per, frequency). wage_region names the wage's region.
--
-- avg_price_per_litre = S / n, with S the sum and n the count of the month's incl_tax
-- price_per_litre values, truncated to 18 fractional digits.
-- litres_per_monthly_wage = monthly_wage × n / S exactly, truncated (toward zero) to 18
-- fractional digits. Decimal(38,18) ÷ Decimal(38,18) overflows in ClickHouse (and 18.16 got a
-- wage of 2e8 IRR over 15,000 IRR a litre wrong without an error), so the ratio is computed by
-- long division on the unscaled integers in Decimal(38, 0), where a / b is exact truncating
-- integer division: w = monthly_wage × 10^18 and d = S × 10^18 as integers; q0 = w div d; then
-- n·(w mod d) div d completes the integer part and three more steps (8, 8 and 2 digits) give the
-- 18 fractional digits. No intermediate exceeds 10^38. Exact for every monthly wage below 10^20,
-- every monthly price sum S with 0 < S < 10^12 (so average prices from far below 10^-6 up to
-- 10^12 / n per litre) and n < 10^8; NULL, never a wrong number, when the ratio reaches 10^20
-- (it does not fit Decimal(38, 18)), S is 0 (free fuel) or outside that range.
-- Both sides read the *_data tables with the latest views' argMax, of the one column they need.
-- A note for 18.16: its groupArray of a Decimal crashes the server, so the wage amounts travel
-- through the arrays below as text and are parsed back exactly.
CREATE VIEW IF NOT EXISTS econ.fuel_affordability AS
SELECT month, country, region, product, wage_measure, wage_basis, currency, wage_region, monthly_wage,
       _p_sum / toDecimal128(_p_count, 0) AS avg_price_per_litre,
       if(_ok, toDecimal128(_int_ok, 18) + toDecimal128(_frac, 18) / toDecimal128('1000000000000000000', 0), NULL)
           AS litres_per_monthly_wage
FROM
(
    SELECT month, country, region, product, wage_measure, wage_basis, currency, wage_region, monthly_wage,
           _p_sum, _p_count,
           toDecimal128(monthly_wage, 0) AS _w_int,
           _w_int * toDecimal128('1000000000000000000', 0)
               + toDecimal128((monthly_wage - toDecimal128(_w_int, 18)) * toDecimal128('1000000000000000000', 0), 0) AS _w_raw,
           toDecimal128(_p_sum, 0) AS _s_int,
           _s_int * toDecimal128('1000000000000000000', 0)
               + toDecimal128((_p_sum - toDecimal128(_s_int, 18)) * toDecimal128('1000000000000000000', 0), 0) AS _s_raw,
           _s_raw > toDecimal128(0, 0) AND _s_raw < toDecimal128('1000000000000000000000000000000', 0) AS _s_ok,
           if(_s_ok, _s_raw, toDecimal128(1, 0)) AS _d,
           toDecimal128(if(_p_count < 100000000, _p_count, 1), 0) AS _n,
           _w_raw / _d AS _q0,
           if(_q0 < toDecimal128('100000000000000000000', 0), _q0, toDecimal128('100000000000000000000', 0)) AS _q0_capped,
           (_w_raw - _q0 * _d) * _n AS _t1,
           _t1 / _d AS _q1,
           _n * _q0_capped + _q1 AS _int,
           (_t1 - _q1 * _d) * toDecimal128(100000000, 0) AS _t2,
           _t2 / _d AS _f1,
           (_t2 - _f1 * _d) * toDecimal128(100000000, 0) AS _t3,
           _t3 / _d AS _f2,
           (_t3 - _f2 * _d) * toDecimal128(100, 0) AS _t4,
           _t4 / _d AS _f3,
           _f1 * toDecimal128(10000000000, 0) + _f2 * toDecimal128(100, 0) + _f3 AS _frac,
           _s_ok AND _p_count < 100000000 AND _int < toDecimal128('100000000000000000000', 0) AS _ok,
           if(_ok, _int, toDecimal128(0, 0)) AS _int_ok
    FROM
    (
        SELECT month, country, region, product, currency, wage_measure, wage_basis,
               any(_p_sum) AS _p_sum, any(_p_count) AS _p_count,
               argMin(_w_region, (_w_region != region, 0 - toInt64(toRelativeDayNum(_w_date)), _w_source, _w_per, _w_frequency)) AS wage_region,
               argMin(_w_amount, (_w_region != region, 0 - toInt64(toRelativeDayNum(_w_date)), _w_source, _w_per, _w_frequency)) AS monthly_wage
        FROM
        (
            SELECT toStartOfMonth(date) AS month, country, region, product, currency,
                   sum(assumeNotNull(_p_litre)) AS _p_sum, count() AS _p_count
            FROM
            (
                SELECT country, region, product, tax_basis, currency, unit, source, frequency, date,
                       argMax(price_per_litre, (published_at, _version)) AS _p_litre
                FROM econ.fuel_prices_data
                WHERE tax_basis = 'incl_tax'
                GROUP BY country, region, product, tax_basis, currency, unit, source, frequency, date
            )
            WHERE _p_litre IS NOT NULL
            GROUP BY month, country, region, product, currency
        ) AS p
        ALL INNER JOIN
        (
            SELECT addMonths(toStartOfMonth(_w_date), arrayJoin(range(_w_months))) AS month,
                   country, currency, _w_region, wage_measure, wage_basis, _w_source, _w_per, _w_frequency,
                   _w_date, toDecimal128(_w_amount_text, 18) AS _w_amount
            FROM
            (
                SELECT country, currency, _w_region, wage_measure, wage_basis, _w_source, _w_per, _w_frequency,
                       _w_date, _w_amount_text,
                       if(_w_i < length(_w_dates), _w_dates[_w_i + 1], toDate('2100-01-01')) AS _w_until,
                       toUInt64(greatest(toInt64(toYear(_w_until) * 12 + toMonth(_w_until))
                                         - toInt64(toYear(_w_date) * 12 + toMonth(_w_date)), 0)) AS _w_months
                FROM
                (
                    SELECT country, currency, region AS _w_region, measure AS wage_measure, basis AS wage_basis,
                           source AS _w_source, per AS _w_per, frequency AS _w_frequency,
                           arraySort(groupArray(date)) AS _w_dates,
                           arraySort((a, d) -> d, groupArray(toString(assumeNotNull(_w_monthly))), groupArray(date)) AS _w_amounts
                    FROM
                    (
                        SELECT country, region, measure, basis, per, currency, source, frequency, date,
                               argMax(monthly_amount, (published_at, _version)) AS _w_monthly
                        FROM econ.wages_data
                        GROUP BY country, region, measure, basis, per, currency, source, frequency, date
                    )
                    WHERE _w_monthly IS NOT NULL
                    GROUP BY country, currency, _w_region, wage_measure, wage_basis, _w_source, _w_per, _w_frequency
                )
                ARRAY JOIN _w_dates AS _w_date, _w_amounts AS _w_amount_text, arrayEnumerate(_w_dates) AS _w_i
            )
        ) AS w USING (month, country, currency)
        WHERE _w_region = region OR _w_region = ''
        GROUP BY month, country, region, product, currency, wage_measure, wage_basis
    )
);
