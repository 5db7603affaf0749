-- Withdrawals (docs/contract.md §1.9): a record with "withdrawn": true is a vintage of its
-- observation that says the observation no longer stands. It is stored as any vintage, one row
-- per (identity, published_at), with withdrawn = 1, its value 0 (the value columns are not
-- Nullable, and a withdrawal has none) and every derived column NULL. A newer vintage after it
-- revives the observation; the latest vintage by published_at decides, whatever the order of
-- arrival.
--
--   latest views (fuel_prices, wages, fx_rates, indicators) and fuel_prices_current: an
--       observation whose latest vintage is a withdrawal is not shown (fuel_prices_current shows
--       the series' latest date that is not withdrawn);
--   history views: every vintage, the withdrawal too, with the new last column withdrawn;
--   as-of views: the withdrawal closes the interval of the row it replaces (its known_until is
--       the withdrawal's published_at) and no row is current after it, until a newer vintage.
-- The views that read the latest views (fuel_prices_monthly, fuel_prices_real, wages_real,
-- indicators_change) drop withdrawn observations with them; the CPI of the real-terms views,
-- read from indicators_data, leaves out a withdrawn month (below). fuel_affordability is not
-- recreated here: it reads the latest vintage's price_per_litre and monthly_amount with argMax,
-- and argMax passes over NULL values, so it takes the vintage before a withdrawal; it needs
-- argMax(withdrawn, (published_at, _version)) = 0 on its price and wage groups.
--
-- The views keep the shape of 0005 and 0008: grouped by the tables' sorting key, one argMax per
-- column, no FINAL, so a filter on identity columns or the date reaches the primary key. The
-- latest views filter the withdrawals above their grouping (WHERE _withdrawn = 0), which
-- ClickHouse 18.16 lets a query's filter pass through.
ALTER TABLE econ.fx_rates_data ADD COLUMN withdrawn UInt8 DEFAULT 0;
ALTER TABLE econ.fuel_prices_data ADD COLUMN withdrawn UInt8 DEFAULT 0;
ALTER TABLE econ.wages_data ADD COLUMN withdrawn UInt8 DEFAULT 0;
ALTER TABLE econ.indicators_data ADD COLUMN withdrawn UInt8 DEFAULT 0;
-- The tables of earlier conversions have the data tables' columns (a withdrawal never goes there).
ALTER TABLE econ.fuel_prices_known ADD COLUMN withdrawn UInt8 DEFAULT 0;
ALTER TABLE econ.wages_known ADD COLUMN withdrawn UInt8 DEFAULT 0;
ALTER TABLE econ.indicators_known ADD COLUMN withdrawn UInt8 DEFAULT 0;

DROP TABLE IF EXISTS econ.fuel_prices;

DROP TABLE IF EXISTS econ.fuel_prices_history;

DROP TABLE IF EXISTS econ.fuel_prices_current;

DROP TABLE IF EXISTS econ.wages;

DROP TABLE IF EXISTS econ.wages_history;

DROP TABLE IF EXISTS econ.fx_rates;

DROP TABLE IF EXISTS econ.fx_rates_history;

DROP TABLE IF EXISTS econ.indicators;

DROP TABLE IF EXISTS econ.indicators_history;

DROP TABLE IF EXISTS econ.fuel_prices_bitemporal;

DROP TABLE IF EXISTS econ.wages_bitemporal;

DROP TABLE IF EXISTS econ.fx_rates_bitemporal;

-- The latest views: as before (0008, 0005, 0007), without the observations whose latest
-- vintage is a withdrawal.
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
           argMax(withdrawn, (published_at, _version)) AS _withdrawn,
           argMax(record_id, (published_at, _version)) AS _record_id,
           argMax(attributes, (published_at, _version)) AS _attributes
    FROM econ.fuel_prices_data
    GROUP BY country, region, product, tax_basis, currency, unit, source, frequency, date
)
WHERE _withdrawn = 0;

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
           argMax(withdrawn, (published_at, _version)) AS _withdrawn,
           argMax(record_id, (published_at, _version)) AS _record_id,
           argMax(attributes, (published_at, _version)) AS _attributes
    FROM econ.wages_data
    GROUP BY country, region, measure, basis, per, currency, source, frequency, date
)
WHERE _withdrawn = 0;

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
           argMax(withdrawn, (published_at, _version)) AS _withdrawn,
           argMax(record_id, (published_at, _version)) AS _record_id,
           argMax(attributes, (published_at, _version)) AS _attributes
    FROM econ.fx_rates_data
    GROUP BY base, quote, rate_type, source, frequency, date
)
WHERE _withdrawn = 0;

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
           argMax(withdrawn, (published_at, _version)) AS _withdrawn,
           argMax(record_id, (published_at, _version)) AS _record_id,
           argMax(attributes, (published_at, _version)) AS _attributes
    FROM econ.indicators_data
    GROUP BY country, series, region, measure, unit, currency, base_period, adjustment, source, frequency, date
)
WHERE _withdrawn = 0;

-- The history views: as before, with withdrawn (1 for a withdrawal, whose value is 0 and whose
-- derived columns are NULL) after ingested_at.
CREATE VIEW IF NOT EXISTS econ.fuel_prices_history AS
SELECT source, country, region, product, tax_basis, frequency, date, _price AS price, currency, unit,
       _unit_mult AS unit_mult, _price_per_litre AS price_per_litre, _price_per_kg AS price_per_kg,
       _price_eur AS price_eur, _price_per_litre_eur AS price_per_litre_eur, _price_per_kg_eur AS price_per_kg_eur,
       _fx_rate AS fx_rate, _fx_date AS fx_date, _fx_path AS fx_path, _fx_status AS fx_status, _fx_basis AS fx_basis, _status AS status,
       published_at, _record_id AS record_id, _attributes AS attributes,
       _kafka_topic AS kafka_topic, _kafka_partition AS kafka_partition, _kafka_offset AS kafka_offset,
       _ingested_at AS ingested_at, _withdrawn AS withdrawn
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
           argMax(ingested_at, _version) AS _ingested_at,
           argMax(withdrawn, _version) AS _withdrawn
    FROM econ.fuel_prices_data
    GROUP BY country, region, product, tax_basis, currency, unit, source, frequency, date, published_at
);

CREATE VIEW IF NOT EXISTS econ.wages_history AS
SELECT source, country, region, measure, basis, per, frequency, date, _amount AS amount, currency,
       _unit_mult AS unit_mult, _amount_eur AS amount_eur, _monthly_amount AS monthly_amount,
       _monthly_amount_eur AS monthly_amount_eur, _fx_rate AS fx_rate, _fx_date AS fx_date, _fx_path AS fx_path,
       _fx_status AS fx_status, _fx_basis AS fx_basis, _status AS status, published_at, _record_id AS record_id,
       _attributes AS attributes,
       _kafka_topic AS kafka_topic, _kafka_partition AS kafka_partition, _kafka_offset AS kafka_offset,
       _ingested_at AS ingested_at, _withdrawn AS withdrawn
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
           argMax(ingested_at, _version) AS _ingested_at,
           argMax(withdrawn, _version) AS _withdrawn
    FROM econ.wages_data
    GROUP BY country, region, measure, basis, per, currency, source, frequency, date, published_at
);

CREATE VIEW IF NOT EXISTS econ.fx_rates_history AS
SELECT source, base, quote, rate_type, frequency, date, _rate AS rate, _quantity AS quantity,
       _unit_mult AS unit_mult, _status AS status, published_at, _record_id AS record_id,
       _attributes AS attributes,
       _kafka_topic AS kafka_topic, _kafka_partition AS kafka_partition, _kafka_offset AS kafka_offset,
       _ingested_at AS ingested_at, _withdrawn AS withdrawn
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
           argMax(ingested_at, _version) AS _ingested_at,
           argMax(withdrawn, _version) AS _withdrawn
    FROM econ.fx_rates_data
    GROUP BY base, quote, rate_type, source, frequency, date, published_at
);

CREATE VIEW IF NOT EXISTS econ.indicators_history AS
SELECT source, series, country, region, measure, unit, currency, base_period, adjustment, frequency, date,
       _value AS value, _unit_mult AS unit_mult, _value_eur AS value_eur, _fx_rate AS fx_rate, _fx_date AS fx_date,
       _fx_path AS fx_path, _fx_status AS fx_status, _status AS status, published_at,
       _record_id AS record_id, _attributes AS attributes,
       _kafka_topic AS kafka_topic, _kafka_partition AS kafka_partition, _kafka_offset AS kafka_offset,
       _ingested_at AS ingested_at, _withdrawn AS withdrawn
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
           argMax(ingested_at, _version) AS _ingested_at,
           argMax(withdrawn, _version) AS _withdrawn
    FROM econ.indicators_data
    GROUP BY country, series, region, measure, unit, currency, base_period, adjustment, source, frequency, date, published_at
);

-- The most recent observation of every fuel price series, as 0005's: the latest vintage of the
-- series' latest date whose latest vintage is not a withdrawal. Per date first (the latest
-- vintage, as econ.fuel_prices), then per series the greatest date.
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
           argMax(_d_price, (date, _d_published_at)) AS _price,
           argMax(_d_unit_mult, (date, _d_published_at)) AS _unit_mult,
           argMax(_d_price_per_litre, (date, _d_published_at)) AS _price_per_litre,
           argMax(_d_price_per_kg, (date, _d_published_at)) AS _price_per_kg,
           argMax(_d_price_eur, (date, _d_published_at)) AS _price_eur,
           argMax(_d_price_per_litre_eur, (date, _d_published_at)) AS _price_per_litre_eur,
           argMax(_d_price_per_kg_eur, (date, _d_published_at)) AS _price_per_kg_eur,
           argMax(_d_fx_rate, (date, _d_published_at)) AS _fx_rate,
           argMax(_d_fx_date, (date, _d_published_at)) AS _fx_date,
           argMax(_d_fx_path, (date, _d_published_at)) AS _fx_path,
           argMax(_d_fx_status, (date, _d_published_at)) AS _fx_status,
           argMax(_d_status, (date, _d_published_at)) AS _status,
           argMax(_d_record_id, (date, _d_published_at)) AS _record_id,
           argMax(_d_attributes, (date, _d_published_at)) AS _attributes,
           argMax(_d_published_at, (date, _d_published_at)) AS _published_at
    FROM
    (
        SELECT country, region, product, tax_basis, currency, unit, source, frequency, date,
               argMax(price, (published_at, _version)) AS _d_price,
               argMax(unit_mult, (published_at, _version)) AS _d_unit_mult,
               argMax(price_per_litre, (published_at, _version)) AS _d_price_per_litre,
               argMax(price_per_kg, (published_at, _version)) AS _d_price_per_kg,
               argMax(price_eur, (published_at, _version)) AS _d_price_eur,
               argMax(price_per_litre_eur, (published_at, _version)) AS _d_price_per_litre_eur,
               argMax(price_per_kg_eur, (published_at, _version)) AS _d_price_per_kg_eur,
               argMax(fx_rate, (published_at, _version)) AS _d_fx_rate,
               argMax(fx_date, (published_at, _version)) AS _d_fx_date,
               argMax(fx_path, (published_at, _version)) AS _d_fx_path,
               argMax(fx_status, (published_at, _version)) AS _d_fx_status,
               argMax(status, (published_at, _version)) AS _d_status,
               argMax(record_id, (published_at, _version)) AS _d_record_id,
               argMax(attributes, (published_at, _version)) AS _d_attributes,
               max(published_at) AS _d_published_at,
               argMax(withdrawn, (published_at, _version)) AS _d_withdrawn
        FROM econ.fuel_prices_data
        GROUP BY country, region, product, tax_basis, currency, unit, source, frequency, date
    )
    WHERE _d_withdrawn = 0
    GROUP BY country, region, product, tax_basis, currency, unit, source, frequency
);

-- The as-of views of 0008: the withdrawal is one more row of its identity, known from its
-- published_at, so it closes the row before it (known_until) as a newer vintage does; it is not
-- shown itself, so nothing is current after it until a newer vintage.
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
    SELECT country, region, product, tax_basis, currency, unit, source, frequency, date, _perm, _ps, _ks, _wds, _prices, _unit_mults, _price_per_litres, _price_per_kgs, _price_eurs, _price_per_litre_eurs, _price_per_kg_eurs, _fx_rates, _fx_dates, _fx_paths, _fx_statuss, _fx_basiss, _statuss, _record_ids, _attributess,
           _n, _i, _perm[_n - 1] AS _prev,
           arrayFilter(j -> _ps[j] > _ps[_i] OR (_ps[j] = _ps[_i] AND _ks[j] > _ks[_i]), _perm) AS _later,
           length(_later) > 0 AS _next_exists,
           arrayReduce('min', arrayMap(j -> _ks[j], _later)) AS _next
    FROM
    (
        SELECT country, region, product, tax_basis, currency, unit, source, frequency, date,
               groupArray(published_at) AS _ps, groupArray(_known_from) AS _ks, groupArray(_src) AS _srcs, groupArray(_withdrawn) AS _wds,
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
        SELECT country, region, product, tax_basis, currency, unit, source, frequency, date, published_at, argMax(known_from, _version) AS _known_from, materialize(toUInt8(0)) AS _src, argMax(withdrawn, _version) AS _withdrawn,
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
        SELECT country, region, product, tax_basis, currency, unit, source, frequency, date, published_at, known_from AS _known_from, materialize(toUInt8(1)) AS _src, materialize(toUInt8(0)) AS _withdrawn,
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
  AND (NOT _next_exists OR _next > _ks[_i])
  AND _wds[_i] = 0;

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
    SELECT country, region, measure, basis, per, currency, source, frequency, date, _perm, _ps, _ks, _wds, _amounts, _unit_mults, _amount_eurs, _monthly_amounts, _monthly_amount_eurs, _fx_rates, _fx_dates, _fx_paths, _fx_statuss, _fx_basiss, _statuss, _record_ids, _attributess,
           _n, _i, _perm[_n - 1] AS _prev,
           arrayFilter(j -> _ps[j] > _ps[_i] OR (_ps[j] = _ps[_i] AND _ks[j] > _ks[_i]), _perm) AS _later,
           length(_later) > 0 AS _next_exists,
           arrayReduce('min', arrayMap(j -> _ks[j], _later)) AS _next
    FROM
    (
        SELECT country, region, measure, basis, per, currency, source, frequency, date,
               groupArray(published_at) AS _ps, groupArray(_known_from) AS _ks, groupArray(_src) AS _srcs, groupArray(_withdrawn) AS _wds,
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
        SELECT country, region, measure, basis, per, currency, source, frequency, date, published_at, argMax(known_from, _version) AS _known_from, materialize(toUInt8(0)) AS _src, argMax(withdrawn, _version) AS _withdrawn,
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
        SELECT country, region, measure, basis, per, currency, source, frequency, date, published_at, known_from AS _known_from, materialize(toUInt8(1)) AS _src, materialize(toUInt8(0)) AS _withdrawn,
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
  AND (NOT _next_exists OR _next > _ks[_i])
  AND _wds[_i] = 0;

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
    SELECT base, quote, rate_type, source, frequency, date, _perm, _ps, _ks, _wds, _rates, _quantitys, _unit_mults, _statuss, _record_ids, _attributess,
           _n, _i, _perm[_n - 1] AS _prev,
           arrayFilter(j -> _ps[j] > _ps[_i] OR (_ps[j] = _ps[_i] AND _ks[j] > _ks[_i]), _perm) AS _later,
           length(_later) > 0 AS _next_exists,
           arrayReduce('min', arrayMap(j -> _ks[j], _later)) AS _next
    FROM
    (
        SELECT base, quote, rate_type, source, frequency, date,
               groupArray(published_at) AS _ps, groupArray(_known_from) AS _ks, groupArray(_src) AS _srcs, groupArray(_withdrawn) AS _wds,
               arrayMap(t -> tupleElement(t, 4), arraySort(arrayMap((p, k, s, j) -> (p, k, s, j), _ps, _ks, _srcs, arrayEnumerate(_ps)))) AS _perm,
               groupArray(_rate) AS _rates,
           groupArray(_quantity) AS _quantitys,
           groupArray(_unit_mult) AS _unit_mults,
           groupArray(_status) AS _statuss,
           groupArray(_record_id) AS _record_ids,
           groupArray(_attributes) AS _attributess
        FROM
        (
        SELECT base, quote, rate_type, source, frequency, date, published_at, published_at AS _known_from, materialize(toUInt8(0)) AS _src, argMax(withdrawn, _version) AS _withdrawn,
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
  AND (NOT _next_exists OR _next > _ks[_i])
  AND _wds[_i] = 0;

-- The real-terms views of 0009, unchanged but for the CPI: a month whose latest CPI vintage is a
-- withdrawal has no CPI (the price or wage is not deflated, real_status 'pending'), rather than
-- the withdrawal's stored 0.
DROP TABLE IF EXISTS econ.fuel_prices_real;

DROP TABLE IF EXISTS econ.wages_real;

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
                                                                WHERE unit = 'index' AND region = '' AND (country, series) IN (SELECT country, series FROM econ.deflators)
                                                                GROUP BY country, source, series, month
                                                                HAVING argMax(withdrawn, (published_at, _version)) = 0
                                                            ) AS _s3 USING (country, cpi_source, cpi_series)
                                                            WHERE _active = 1
                                                        ) AS _s4
                                                        ANY LEFT JOIN
                                                        (
                                                            SELECT country, source AS cpi_source, series AS cpi_series, toStartOfMonth(date) AS base_month,
                                                                   argMax(value, (published_at, _version)) AS base_cpi_value, max(published_at) AS base_cpi_published_at,
                                                                   toUInt8(1) AS _has_base
                                                            FROM econ.indicators_data
                                                            WHERE unit = 'index' AND region = '' AND (country, series) IN (SELECT country, series FROM econ.deflators)
                                                            GROUP BY country, source, series, base_month
                                                            HAVING argMax(withdrawn, (published_at, _version)) = 0
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
                                                                WHERE unit = 'index' AND region = '' AND (country, series) IN (SELECT country, series FROM econ.deflators)
                                                                GROUP BY country, source, series, month
                                                                HAVING argMax(withdrawn, (published_at, _version)) = 0
                                                            ) AS _s9 USING (country, cpi_source, cpi_series)
                                                            WHERE _active = 1
                                                        ) AS _s10
                                                        ANY LEFT JOIN
                                                        (
                                                            SELECT country, source AS cpi_source, series AS cpi_series, toStartOfMonth(date) AS base_month,
                                                                   argMax(value, (published_at, _version)) AS base_cpi_value, max(published_at) AS base_cpi_published_at,
                                                                   toUInt8(1) AS _has_base
                                                            FROM econ.indicators_data
                                                            WHERE unit = 'index' AND region = '' AND (country, series) IN (SELECT country, series FROM econ.deflators)
                                                            GROUP BY country, source, series, base_month
                                                            HAVING argMax(withdrawn, (published_at, _version)) = 0
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

-- indicators_bitemporal likewise.
DROP TABLE IF EXISTS econ.indicators_bitemporal;

CREATE VIEW IF NOT EXISTS econ.indicators_bitemporal AS
SELECT source,
       series,
       country,
       region,
       measure,
       unit,
       currency,
       base_period,
       adjustment,
       frequency,
       date,
       toDecimal128(_values[_i], 18) AS value,
       _unit_mults[_i] AS unit_mult,
       if(_value_eurs[_i] = '', NULL, toDecimal128(if(_value_eurs[_i] = '', '0', _value_eurs[_i]), 18)) AS value_eur,
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
    SELECT country, series, region, measure, unit, currency, base_period, adjustment, source, frequency, date, _perm, _ps, _ks, _wds, _values, _unit_mults, _value_eurs, _fx_rates, _fx_dates, _fx_paths, _fx_statuss, _fx_basiss, _statuss, _record_ids, _attributess,
           _n, _i, _perm[_n - 1] AS _prev,
           arrayFilter(j -> _ps[j] > _ps[_i] OR (_ps[j] = _ps[_i] AND _ks[j] > _ks[_i]), _perm) AS _later,
           length(_later) > 0 AS _next_exists,
           arrayReduce('min', arrayMap(j -> _ks[j], _later)) AS _next
    FROM
    (
        SELECT country, series, region, measure, unit, currency, base_period, adjustment, source, frequency, date,
               groupArray(published_at) AS _ps, groupArray(_known_from) AS _ks, groupArray(_src) AS _srcs, groupArray(_withdrawn) AS _wds,
               arrayMap(t -> tupleElement(t, 4), arraySort(arrayMap((p, k, s, j) -> (p, k, s, j), _ps, _ks, _srcs, arrayEnumerate(_ps)))) AS _perm,
               groupArray(_value) AS _values,
               groupArray(_unit_mult) AS _unit_mults,
               groupArray(_value_eur) AS _value_eurs,
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
        SELECT country, series, region, measure, unit, currency, base_period, adjustment, source, frequency, date, published_at, argMax(known_from, _version) AS _known_from, materialize(toUInt8(0)) AS _src, argMax(withdrawn, _version) AS _withdrawn,
               toString(argMax(value, _version)) AS _value,
               argMax(unit_mult, _version) AS _unit_mult,
               ifNull(toString(argMax(value_eur, _version)), '') AS _value_eur,
               ifNull(toString(argMax(fx_rate, _version)), '') AS _fx_rate,
               ifNull(toString(argMax(fx_date, _version)), '') AS _fx_date,
               argMax(fx_path, _version) AS _fx_path,
               argMax(fx_status, _version) AS _fx_status,
               argMax(fx_basis, _version) AS _fx_basis,
               argMax(status, _version) AS _status,
               argMax(record_id, _version) AS _record_id,
               argMax(attributes, _version) AS _attributes
        FROM econ.indicators_data
        GROUP BY country, series, region, measure, unit, currency, base_period, adjustment, source, frequency, date, published_at
        UNION ALL
        SELECT country, series, region, measure, unit, currency, base_period, adjustment, source, frequency, date, published_at, known_from AS _known_from, materialize(toUInt8(1)) AS _src, materialize(toUInt8(0)) AS _withdrawn,
               toString(argMax(value, _version)) AS _value,
               argMax(unit_mult, _version) AS _unit_mult,
               ifNull(toString(argMax(value_eur, _version)), '') AS _value_eur,
               ifNull(toString(argMax(fx_rate, _version)), '') AS _fx_rate,
               ifNull(toString(argMax(fx_date, _version)), '') AS _fx_date,
               argMax(fx_path, _version) AS _fx_path,
               argMax(fx_status, _version) AS _fx_status,
               argMax(fx_basis, _version) AS _fx_basis,
               argMax(status, _version) AS _status,
               argMax(record_id, _version) AS _record_id,
               argMax(attributes, _version) AS _attributes
        FROM econ.indicators_known
        GROUP BY country, series, region, measure, unit, currency, base_period, adjustment, source, frequency, date, published_at, known_from
        HAVING argMax(fx_status, _version) != 'void'
        )
        GROUP BY country, series, region, measure, unit, currency, base_period, adjustment, source, frequency, date
    )
    ARRAY JOIN arrayEnumerate(_perm) AS _n, _perm AS _i
)
WHERE (_n = 1 OR _ps[_prev] != _ps[_i] OR _ks[_prev] != _ks[_i])
  AND (NOT _next_exists OR _next > _ks[_i])
  AND _wds[_i] = 0;
