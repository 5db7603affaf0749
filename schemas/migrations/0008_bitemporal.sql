-- What was known when (docs/contract.md §5.4): every conversion of an observation is kept, with
-- the time from which it was the current knowledge, and the as-of views give each row's interval.
--
-- Storage. fuel_prices_data and wages_data keep one row per (identity, published_at): the
-- conversion known now (their sorting key cannot change on ClickHouse 18.16, and a migration
-- that copied them into new tables would not run on a cluster, which takes only CREATE, ALTER,
-- DROP and views). Each row gets
--   known_from: the greatest of the observation's published_at and the published_at of the rates
--               its conversion used (published_at itself while pending, and for rows stored
--               before this migration, whose rates were not recorded);
--   fx_basis:   which rate converted it: `point` (a rate dated on or before the date) or
--               `period_average` (the publisher's average rate of the observation's period).
-- The conversions an observation had before (a pending row later converted, a conversion with a
-- rate since revised or bettered) go, when the reconciler replaces the row, to fuel_prices_known
-- and wages_known: the same columns, one row per (identity, published_at, known_from). A row
-- there whose latest write has fx_status 'void' is not knowledge: a conversion made before a
-- rate that was published earlier had arrived, which the rates as published never gave.
ALTER TABLE econ.fuel_prices_data ADD COLUMN fx_basis String DEFAULT 'point' AFTER fx_status;
ALTER TABLE econ.fuel_prices_data ADD COLUMN known_from DateTime('UTC') DEFAULT published_at AFTER _version;
ALTER TABLE econ.wages_data ADD COLUMN fx_basis String DEFAULT 'point' AFTER fx_status;
ALTER TABLE econ.wages_data ADD COLUMN known_from DateTime('UTC') DEFAULT published_at AFTER _version;
-- Indicators in a currency state their basis too (they keep only the conversion known now).
ALTER TABLE econ.indicators_data ADD COLUMN fx_basis String DEFAULT 'point' AFTER fx_status;

CREATE TABLE IF NOT EXISTS econ.fuel_prices_known (
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
    price_per_litre Nullable(Decimal(38, 18)),
    price_per_kg Nullable(Decimal(38, 18)),
    price_eur Nullable(Decimal(38, 18)),
    price_per_litre_eur Nullable(Decimal(38, 18)),
    price_per_kg_eur Nullable(Decimal(38, 18)),
    fx_rate Nullable(Decimal(38, 18)),
    fx_date Nullable(Date),
    fx_path String,
    fx_status String,
    fx_basis String,
    status String,
    attributes String,
    record_id String,
    kafka_topic String,
    kafka_partition Int32,
    kafka_offset Int64,
    ingested_at DateTime('UTC'),
    _version UInt64,
    known_from DateTime('UTC')
) ENGINE = ReplacingMergeTree(_version)
ORDER BY (country, region, product, tax_basis, currency, unit, source, frequency, date, published_at, known_from);

CREATE TABLE IF NOT EXISTS econ.wages_known (
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
    amount_eur Nullable(Decimal(38, 18)),
    monthly_amount Nullable(Decimal(38, 18)),
    monthly_amount_eur Nullable(Decimal(38, 18)),
    fx_rate Nullable(Decimal(38, 18)),
    fx_date Nullable(Date),
    fx_path String,
    fx_status String,
    fx_basis String,
    status String,
    attributes String,
    record_id String,
    kafka_topic String,
    kafka_partition Int32,
    kafka_offset Int64,
    ingested_at DateTime('UTC'),
    _version UInt64,
    known_from DateTime('UTC')
) ENGINE = ReplacingMergeTree(_version)
ORDER BY (country, region, measure, basis, per, currency, source, frequency, date, published_at, known_from);

-- The latest and history views of 0005 again, with fx_basis after fx_status; unchanged
-- otherwise (fuel_prices_monthly reads fuel_prices, so it is dropped first and created again
-- as it was).
DROP TABLE IF EXISTS econ.fuel_prices_monthly;
DROP TABLE IF EXISTS econ.fuel_prices;
DROP TABLE IF EXISTS econ.fuel_prices_history;
DROP TABLE IF EXISTS econ.wages;
DROP TABLE IF EXISTS econ.wages_history;

CREATE VIEW IF NOT EXISTS econ.fuel_prices AS
SELECT source, country, region, product, tax_basis, frequency, date, _price AS price, currency, unit,
       _unit_mult AS unit_mult, _price_per_litre AS price_per_litre, _price_per_kg AS price_per_kg,
       _price_eur AS price_eur, _price_per_litre_eur AS price_per_litre_eur, _price_per_kg_eur AS price_per_kg_eur,
       _fx_rate AS fx_rate, _fx_date AS fx_date, _fx_path AS fx_path, _fx_status AS fx_status, _fx_basis AS fx_basis, _status AS status,
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
           argMax(fx_basis, (published_at, _version)) AS _fx_basis,
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
       _fx_rate AS fx_rate, _fx_date AS fx_date, _fx_path AS fx_path, _fx_status AS fx_status, _fx_basis AS fx_basis, _status AS status,
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
           argMax(fx_basis, _version) AS _fx_basis,
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
       _fx_status AS fx_status, _fx_basis AS fx_basis, _status AS status, _published_at AS published_at, _record_id AS record_id,
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
           argMax(fx_basis, (published_at, _version)) AS _fx_basis,
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
       _fx_status AS fx_status, _fx_basis AS fx_basis, _status AS status, published_at, _record_id AS record_id,
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
           argMax(fx_basis, _version) AS _fx_basis,
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

CREATE VIEW IF NOT EXISTS econ.fuel_prices_monthly AS
SELECT toStartOfMonth(date) AS month, country, region, product, tax_basis,
       count() AS observations,
       if(count(price_per_litre_eur) = 0, NULL,
          sum(price_per_litre_eur) / toDecimal128(greatest(count(price_per_litre_eur), 1), 0)) AS avg_price_per_litre_eur,
       min(price_per_litre_eur) AS min_price_per_litre_eur,
       max(price_per_litre_eur) AS max_price_per_litre_eur
FROM econ.fuel_prices
GROUP BY month, country, region, product, tax_basis;

-- The as-of views: the latest view's columns (and fx_basis) plus known_from and known_until, one
-- row per interval of knowledge. Per identity (the latest view's group), the rows are the
-- current conversion of every vintage (the *_data table, by its latest write) and the earlier
-- ones (*_known, by the latest write of each (published_at, known_from), without 'void'). As
-- known at T, the identity's value is the row with the greatest (published_at, known_from)
-- among those with known_from <= T: so a row's known_until is the least known_from of the rows
-- greater than it in that order, and a row whose known_until is not after its known_from was
-- never the current knowledge and is left out. (A row in both tables counts once.)
--
-- The shape: per identity, the rows' values travel through arrays, sorted by (published_at,
-- known_from), and come back one per row with ARRAY JOIN. ClickHouse 18.16 has no window
-- functions, and its groupArray of a Decimal crashes the server, so decimals and the nullable
-- fx_date travel as text ('' for NULL) and are parsed back exactly. The grouping is by the data
-- tables' sorting key, so a filter on identity columns or the date reaches the primary key.
-- fx_rates_bitemporal: a rate's vintage is known from its published_at until the next vintage's.
CREATE VIEW IF NOT EXISTS econ.fuel_prices_bitemporal AS
SELECT source,
       country,
       region,
       product,
       tax_basis,
       frequency,
       date,
       toDecimal128(_prices[_i], 18) AS price,
       currency,
       unit,
       _unit_mults[_i] AS unit_mult,
       if(_price_per_litres[_i] = '', NULL, toDecimal128(if(_price_per_litres[_i] = '', '0', _price_per_litres[_i]), 18)) AS price_per_litre,
       if(_price_per_kgs[_i] = '', NULL, toDecimal128(if(_price_per_kgs[_i] = '', '0', _price_per_kgs[_i]), 18)) AS price_per_kg,
       if(_price_eurs[_i] = '', NULL, toDecimal128(if(_price_eurs[_i] = '', '0', _price_eurs[_i]), 18)) AS price_eur,
       if(_price_per_litre_eurs[_i] = '', NULL, toDecimal128(if(_price_per_litre_eurs[_i] = '', '0', _price_per_litre_eurs[_i]), 18)) AS price_per_litre_eur,
       if(_price_per_kg_eurs[_i] = '', NULL, toDecimal128(if(_price_per_kg_eurs[_i] = '', '0', _price_per_kg_eurs[_i]), 18)) AS price_per_kg_eur,
       if(_fx_rates[_i] = '', NULL, toDecimal128(if(_fx_rates[_i] = '', '0', _fx_rates[_i]), 18)) AS fx_rate,
       if(_fx_dates[_i] = '', NULL, toDate(if(_fx_dates[_i] = '', '1970-01-01', _fx_dates[_i]))) AS fx_date,
       _fx_paths[_i] AS fx_path,
       _fx_statuss[_i] AS fx_status,
       _fx_basiss[_i] AS fx_basis,
       _statuss[_i] AS status,
       _ps[_i] AS published_at,
       _record_ids[_i] AS record_id,
       _attributess[_i] AS attributes,
       _ks[_i] AS known_from,
       if(_next_exists, _next, NULL) AS known_until
FROM
(
    SELECT country, region, product, tax_basis, currency, unit, source, frequency, date, _perm, _ps, _ks, _prices, _unit_mults, _price_per_litres, _price_per_kgs, _price_eurs, _price_per_litre_eurs, _price_per_kg_eurs, _fx_rates, _fx_dates, _fx_paths, _fx_statuss, _fx_basiss, _statuss, _record_ids, _attributess,
           _n, _i, _perm[_n - 1] AS _prev,
           arrayFilter(j -> _ps[j] > _ps[_i] OR (_ps[j] = _ps[_i] AND _ks[j] > _ks[_i]), _perm) AS _later,
           length(_later) > 0 AS _next_exists,
           arrayReduce('min', arrayMap(j -> _ks[j], _later)) AS _next
    FROM
    (
        SELECT country, region, product, tax_basis, currency, unit, source, frequency, date,
               groupArray(published_at) AS _ps, groupArray(_known_from) AS _ks, groupArray(_src) AS _srcs,
               arrayMap(t -> tupleElement(t, 4), arraySort(arrayMap((p, k, s, j) -> (p, k, s, j), _ps, _ks, _srcs, arrayEnumerate(_ps)))) AS _perm,
               groupArray(_price) AS _prices,
           groupArray(_unit_mult) AS _unit_mults,
           groupArray(_price_per_litre) AS _price_per_litres,
           groupArray(_price_per_kg) AS _price_per_kgs,
           groupArray(_price_eur) AS _price_eurs,
           groupArray(_price_per_litre_eur) AS _price_per_litre_eurs,
           groupArray(_price_per_kg_eur) AS _price_per_kg_eurs,
           groupArray(_fx_rate) AS _fx_rates,
           groupArray(_fx_date) AS _fx_dates,
           groupArray(_fx_path) AS _fx_paths,
           groupArray(_fx_status) AS _fx_statuss,
           groupArray(_fx_basis) AS _fx_basiss,
           groupArray(_status) AS _statuss,
           groupArray(_record_id) AS _record_ids,
           groupArray(_attributes) AS _attributess
        FROM
        (
        SELECT country, region, product, tax_basis, currency, unit, source, frequency, date, published_at, argMax(known_from, _version) AS _known_from, materialize(toUInt8(0)) AS _src,
               toString(argMax(price, _version)) AS _price,
               argMax(unit_mult, _version) AS _unit_mult,
               ifNull(toString(argMax(price_per_litre, _version)), '') AS _price_per_litre,
               ifNull(toString(argMax(price_per_kg, _version)), '') AS _price_per_kg,
               ifNull(toString(argMax(price_eur, _version)), '') AS _price_eur,
               ifNull(toString(argMax(price_per_litre_eur, _version)), '') AS _price_per_litre_eur,
               ifNull(toString(argMax(price_per_kg_eur, _version)), '') AS _price_per_kg_eur,
               ifNull(toString(argMax(fx_rate, _version)), '') AS _fx_rate,
               ifNull(toString(argMax(fx_date, _version)), '') AS _fx_date,
               argMax(fx_path, _version) AS _fx_path,
               argMax(fx_status, _version) AS _fx_status,
               argMax(fx_basis, _version) AS _fx_basis,
               argMax(status, _version) AS _status,
               argMax(record_id, _version) AS _record_id,
               argMax(attributes, _version) AS _attributes
        FROM econ.fuel_prices_data
        GROUP BY country, region, product, tax_basis, currency, unit, source, frequency, date, published_at
        UNION ALL
        SELECT country, region, product, tax_basis, currency, unit, source, frequency, date, published_at, known_from AS _known_from, materialize(toUInt8(1)) AS _src,
               toString(argMax(price, _version)) AS _price,
               argMax(unit_mult, _version) AS _unit_mult,
               ifNull(toString(argMax(price_per_litre, _version)), '') AS _price_per_litre,
               ifNull(toString(argMax(price_per_kg, _version)), '') AS _price_per_kg,
               ifNull(toString(argMax(price_eur, _version)), '') AS _price_eur,
               ifNull(toString(argMax(price_per_litre_eur, _version)), '') AS _price_per_litre_eur,
               ifNull(toString(argMax(price_per_kg_eur, _version)), '') AS _price_per_kg_eur,
               ifNull(toString(argMax(fx_rate, _version)), '') AS _fx_rate,
               ifNull(toString(argMax(fx_date, _version)), '') AS _fx_date,
               argMax(fx_path, _version) AS _fx_path,
               argMax(fx_status, _version) AS _fx_status,
               argMax(fx_basis, _version) AS _fx_basis,
               argMax(status, _version) AS _status,
               argMax(record_id, _version) AS _record_id,
               argMax(attributes, _version) AS _attributes
        FROM econ.fuel_prices_known
        GROUP BY country, region, product, tax_basis, currency, unit, source, frequency, date, published_at, known_from
        HAVING argMax(fx_status, _version) != 'void'
        )
        GROUP BY country, region, product, tax_basis, currency, unit, source, frequency, date
    )
    ARRAY JOIN arrayEnumerate(_perm) AS _n, _perm AS _i
)
WHERE (_n = 1 OR _ps[_prev] != _ps[_i] OR _ks[_prev] != _ks[_i])
  AND (NOT _next_exists OR _next > _ks[_i]);

CREATE VIEW IF NOT EXISTS econ.wages_bitemporal AS
SELECT source,
       country,
       region,
       measure,
       basis,
       per,
       frequency,
       date,
       toDecimal128(_amounts[_i], 18) AS amount,
       currency,
       _unit_mults[_i] AS unit_mult,
       if(_amount_eurs[_i] = '', NULL, toDecimal128(if(_amount_eurs[_i] = '', '0', _amount_eurs[_i]), 18)) AS amount_eur,
       if(_monthly_amounts[_i] = '', NULL, toDecimal128(if(_monthly_amounts[_i] = '', '0', _monthly_amounts[_i]), 18)) AS monthly_amount,
       if(_monthly_amount_eurs[_i] = '', NULL, toDecimal128(if(_monthly_amount_eurs[_i] = '', '0', _monthly_amount_eurs[_i]), 18)) AS monthly_amount_eur,
       if(_fx_rates[_i] = '', NULL, toDecimal128(if(_fx_rates[_i] = '', '0', _fx_rates[_i]), 18)) AS fx_rate,
       if(_fx_dates[_i] = '', NULL, toDate(if(_fx_dates[_i] = '', '1970-01-01', _fx_dates[_i]))) AS fx_date,
       _fx_paths[_i] AS fx_path,
       _fx_statuss[_i] AS fx_status,
       _fx_basiss[_i] AS fx_basis,
       _statuss[_i] AS status,
       _ps[_i] AS published_at,
       _record_ids[_i] AS record_id,
       _attributess[_i] AS attributes,
       _ks[_i] AS known_from,
       if(_next_exists, _next, NULL) AS known_until
FROM
(
    SELECT country, region, measure, basis, per, currency, source, frequency, date, _perm, _ps, _ks, _amounts, _unit_mults, _amount_eurs, _monthly_amounts, _monthly_amount_eurs, _fx_rates, _fx_dates, _fx_paths, _fx_statuss, _fx_basiss, _statuss, _record_ids, _attributess,
           _n, _i, _perm[_n - 1] AS _prev,
           arrayFilter(j -> _ps[j] > _ps[_i] OR (_ps[j] = _ps[_i] AND _ks[j] > _ks[_i]), _perm) AS _later,
           length(_later) > 0 AS _next_exists,
           arrayReduce('min', arrayMap(j -> _ks[j], _later)) AS _next
    FROM
    (
        SELECT country, region, measure, basis, per, currency, source, frequency, date,
               groupArray(published_at) AS _ps, groupArray(_known_from) AS _ks, groupArray(_src) AS _srcs,
               arrayMap(t -> tupleElement(t, 4), arraySort(arrayMap((p, k, s, j) -> (p, k, s, j), _ps, _ks, _srcs, arrayEnumerate(_ps)))) AS _perm,
               groupArray(_amount) AS _amounts,
           groupArray(_unit_mult) AS _unit_mults,
           groupArray(_amount_eur) AS _amount_eurs,
           groupArray(_monthly_amount) AS _monthly_amounts,
           groupArray(_monthly_amount_eur) AS _monthly_amount_eurs,
           groupArray(_fx_rate) AS _fx_rates,
           groupArray(_fx_date) AS _fx_dates,
           groupArray(_fx_path) AS _fx_paths,
           groupArray(_fx_status) AS _fx_statuss,
           groupArray(_fx_basis) AS _fx_basiss,
           groupArray(_status) AS _statuss,
           groupArray(_record_id) AS _record_ids,
           groupArray(_attributes) AS _attributess
        FROM
        (
        SELECT country, region, measure, basis, per, currency, source, frequency, date, published_at, argMax(known_from, _version) AS _known_from, materialize(toUInt8(0)) AS _src,
               toString(argMax(amount, _version)) AS _amount,
               argMax(unit_mult, _version) AS _unit_mult,
               ifNull(toString(argMax(amount_eur, _version)), '') AS _amount_eur,
               ifNull(toString(argMax(monthly_amount, _version)), '') AS _monthly_amount,
               ifNull(toString(argMax(monthly_amount_eur, _version)), '') AS _monthly_amount_eur,
               ifNull(toString(argMax(fx_rate, _version)), '') AS _fx_rate,
               ifNull(toString(argMax(fx_date, _version)), '') AS _fx_date,
               argMax(fx_path, _version) AS _fx_path,
               argMax(fx_status, _version) AS _fx_status,
               argMax(fx_basis, _version) AS _fx_basis,
               argMax(status, _version) AS _status,
               argMax(record_id, _version) AS _record_id,
               argMax(attributes, _version) AS _attributes
        FROM econ.wages_data
        GROUP BY country, region, measure, basis, per, currency, source, frequency, date, published_at
        UNION ALL
        SELECT country, region, measure, basis, per, currency, source, frequency, date, published_at, known_from AS _known_from, materialize(toUInt8(1)) AS _src,
               toString(argMax(amount, _version)) AS _amount,
               argMax(unit_mult, _version) AS _unit_mult,
               ifNull(toString(argMax(amount_eur, _version)), '') AS _amount_eur,
               ifNull(toString(argMax(monthly_amount, _version)), '') AS _monthly_amount,
               ifNull(toString(argMax(monthly_amount_eur, _version)), '') AS _monthly_amount_eur,
               ifNull(toString(argMax(fx_rate, _version)), '') AS _fx_rate,
               ifNull(toString(argMax(fx_date, _version)), '') AS _fx_date,
               argMax(fx_path, _version) AS _fx_path,
               argMax(fx_status, _version) AS _fx_status,
               argMax(fx_basis, _version) AS _fx_basis,
               argMax(status, _version) AS _status,
               argMax(record_id, _version) AS _record_id,
               argMax(attributes, _version) AS _attributes
        FROM econ.wages_known
        GROUP BY country, region, measure, basis, per, currency, source, frequency, date, published_at, known_from
        HAVING argMax(fx_status, _version) != 'void'
        )
        GROUP BY country, region, measure, basis, per, currency, source, frequency, date
    )
    ARRAY JOIN arrayEnumerate(_perm) AS _n, _perm AS _i
)
WHERE (_n = 1 OR _ps[_prev] != _ps[_i] OR _ks[_prev] != _ks[_i])
  AND (NOT _next_exists OR _next > _ks[_i]);

CREATE VIEW IF NOT EXISTS econ.fx_rates_bitemporal AS
SELECT source,
       base,
       quote,
       rate_type,
       frequency,
       date,
       toDecimal128(_rates[_i], 18) AS rate,
       _quantitys[_i] AS quantity,
       _unit_mults[_i] AS unit_mult,
       _statuss[_i] AS status,
       _ps[_i] AS published_at,
       _record_ids[_i] AS record_id,
       _attributess[_i] AS attributes,
       _ks[_i] AS known_from,
       if(_next_exists, _next, NULL) AS known_until
FROM
(
    SELECT base, quote, rate_type, source, frequency, date, _perm, _ps, _ks, _rates, _quantitys, _unit_mults, _statuss, _record_ids, _attributess,
           _n, _i, _perm[_n - 1] AS _prev,
           arrayFilter(j -> _ps[j] > _ps[_i] OR (_ps[j] = _ps[_i] AND _ks[j] > _ks[_i]), _perm) AS _later,
           length(_later) > 0 AS _next_exists,
           arrayReduce('min', arrayMap(j -> _ks[j], _later)) AS _next
    FROM
    (
        SELECT base, quote, rate_type, source, frequency, date,
               groupArray(published_at) AS _ps, groupArray(_known_from) AS _ks, groupArray(_src) AS _srcs,
               arrayMap(t -> tupleElement(t, 4), arraySort(arrayMap((p, k, s, j) -> (p, k, s, j), _ps, _ks, _srcs, arrayEnumerate(_ps)))) AS _perm,
               groupArray(_rate) AS _rates,
           groupArray(_quantity) AS _quantitys,
           groupArray(_unit_mult) AS _unit_mults,
           groupArray(_status) AS _statuss,
           groupArray(_record_id) AS _record_ids,
           groupArray(_attributes) AS _attributess
        FROM
        (
        SELECT base, quote, rate_type, source, frequency, date, published_at, published_at AS _known_from, materialize(toUInt8(0)) AS _src,
               toString(argMax(rate, _version)) AS _rate,
               argMax(quantity, _version) AS _quantity,
               argMax(unit_mult, _version) AS _unit_mult,
               argMax(status, _version) AS _status,
               argMax(record_id, _version) AS _record_id,
               argMax(attributes, _version) AS _attributes
        FROM econ.fx_rates_data
        GROUP BY base, quote, rate_type, source, frequency, date, published_at
        )
        GROUP BY base, quote, rate_type, source, frequency, date
    )
    ARRAY JOIN arrayEnumerate(_perm) AS _n, _perm AS _i
)
WHERE (_n = 1 OR _ps[_prev] != _ps[_i] OR _ks[_prev] != _ks[_i])
  AND (NOT _next_exists OR _next > _ks[_i]);
