-- Vintages to the nanosecond (docs/contract.md §2.3). published_at is a DateTime, whole seconds
-- (ClickHouse 18.16 has no DateTime64), so two vintages of one observation published within the
-- same second were one row. Every table that keeps vintages gets published_ns, the fraction of
-- published_at's second in nanoseconds (0 for the rows stored before, whose published_at was
-- kept to the second), and its sorting key ends with it: vintages that differ anywhere in
-- published_at are different rows. A column added to a sorting key may have no default
-- expression: it starts at 0, UInt32's default.
ALTER TABLE econ.fx_rates_data ADD COLUMN published_ns UInt32 AFTER published_at, MODIFY ORDER BY (base, quote, rate_type, source, frequency, date, published_at, published_ns);
ALTER TABLE econ.fuel_prices_data ADD COLUMN published_ns UInt32 AFTER published_at, MODIFY ORDER BY (country, region, product, tax_basis, currency, unit, source, frequency, date, published_at, published_ns);
ALTER TABLE econ.wages_data ADD COLUMN published_ns UInt32 AFTER published_at, MODIFY ORDER BY (country, region, measure, basis, per, currency, source, frequency, date, published_at, published_ns);
ALTER TABLE econ.indicators_data ADD COLUMN published_ns UInt32 AFTER published_at, MODIFY ORDER BY (country, series, region, measure, unit, currency, base_period, adjustment, source, frequency, date, published_at, published_ns);
-- The earlier conversions' key is the observation's key and known_from; a sorting key grows only
-- at its end, so published_ns follows known_from there.
ALTER TABLE econ.fuel_prices_known ADD COLUMN published_ns UInt32 AFTER published_at, MODIFY ORDER BY (country, region, product, tax_basis, currency, unit, source, frequency, date, published_at, known_from, published_ns);
ALTER TABLE econ.wages_known ADD COLUMN published_ns UInt32 AFTER published_at, MODIFY ORDER BY (country, region, measure, basis, per, currency, source, frequency, date, published_at, known_from, published_ns);
ALTER TABLE econ.indicators_known ADD COLUMN published_ns UInt32 AFTER published_at, MODIFY ORDER BY (country, series, region, measure, unit, currency, base_period, adjustment, source, frequency, date, published_at, known_from, published_ns);
-- The conversions into further reporting currencies and the failed re-derivations likewise.
ALTER TABLE econ.fuel_prices_converted_data ADD COLUMN published_ns UInt32 AFTER published_at, MODIFY ORDER BY (reporting_currency, country, region, product, tax_basis, currency, unit, source, frequency, date, published_at, published_ns);
ALTER TABLE econ.wages_converted_data ADD COLUMN published_ns UInt32 AFTER published_at, MODIFY ORDER BY (reporting_currency, country, region, measure, basis, per, currency, source, frequency, date, published_at, published_ns);
ALTER TABLE econ.indicators_converted_data ADD COLUMN published_ns UInt32 AFTER published_at, MODIFY ORDER BY (reporting_currency, country, series, region, measure, unit, currency, base_period, adjustment, source, frequency, date, published_at, published_ns);
ALTER TABLE econ.reconversion_failures_data ADD COLUMN published_ns UInt32 AFTER published_at, MODIFY ORDER BY (kind, country, region, series, product, tax_basis, unit, measure, basis, per, base_period, adjustment, currency, source, frequency, reporting_currency, date, published_at, published_ns);

-- Every view that orders vintages, again: by (published_at, published_ns). The history and as-of
-- views group by both and show published_ns; the latest views show the latest vintage's.
--
-- The same views take a nullable column's latest value as it is, NULL included. argMax passes
-- over NULL values (on 18.16 and current ClickHouse alike), so `argMax(price_eur, v)` gave the
-- euro price of an older vintage, or of an older write of the same vintage, when the latest was
-- pending or withdrawn. Each such column is now `if(argMax(isNull(c), v), NULL, argMax(c, v))`:
-- NULL when the latest write's value is NULL, else the latest write's value. So a pending
-- revision no longer shows its predecessor's conversion, and fuel_affordability leaves out a
-- withdrawn price or wage (its NULL price_per_litre or monthly_amount), the wage before it
-- staying in force.
DROP TABLE IF EXISTS econ.conversion_status;

CREATE VIEW IF NOT EXISTS econ.conversion_status AS
SELECT kind, country, count() AS vintages, countIf(_fx_status = 'pending') AS pending,
       countIf(_fx_status = 'converted') AS converted,
       maxIf(_ingested_at, _fx_status = 'converted') AS last_conversion, max(_ingested_at) AS last_write
FROM
(
    SELECT 'fuel_price' AS kind, country,
           argMax(fx_status, _version) AS _fx_status, argMax(ingested_at, _version) AS _ingested_at
    FROM econ.fuel_prices_data
    GROUP BY country, region, product, tax_basis, currency, unit, source, frequency, date, published_at, published_ns
    UNION ALL
    SELECT 'wage' AS kind, country,
           argMax(fx_status, _version) AS _fx_status, argMax(ingested_at, _version) AS _ingested_at
    FROM econ.wages_data
    GROUP BY country, region, measure, basis, per, currency, source, frequency, date, published_at, published_ns
    UNION ALL
    SELECT 'indicator' AS kind, country,
           argMax(fx_status, _version) AS _fx_status, argMax(ingested_at, _version) AS _ingested_at
    FROM econ.indicators_data
    WHERE unit = 'currency'
    GROUP BY country, series, region, measure, unit, currency, base_period, adjustment, source, frequency, date, published_at, published_ns
)
GROUP BY kind, country;

DROP TABLE IF EXISTS econ.fuel_prices;

CREATE VIEW IF NOT EXISTS econ.fuel_prices AS
SELECT source, country, region, product, tax_basis, frequency, date, _price AS price, currency, unit,
       _unit_mult AS unit_mult, _price_per_litre AS price_per_litre, _price_per_kg AS price_per_kg,
       _price_eur AS price_eur, _price_per_litre_eur AS price_per_litre_eur, _price_per_kg_eur AS price_per_kg_eur,
       _fx_rate AS fx_rate, _fx_date AS fx_date, _fx_path AS fx_path, _fx_status AS fx_status, _fx_basis AS fx_basis, _status AS status,
       _published_at AS published_at, _published_ns AS published_ns, _record_id AS record_id, _attributes AS attributes
FROM
(
    SELECT country, region, product, tax_basis, currency, unit, source, frequency, date,
           argMax(price, (published_at, published_ns, _version)) AS _price,
           argMax(unit_mult, (published_at, published_ns, _version)) AS _unit_mult,
           if(argMax(isNull(price_per_litre), (published_at, published_ns, _version)), NULL, argMax(price_per_litre, (published_at, published_ns, _version))) AS _price_per_litre,
           if(argMax(isNull(price_per_kg), (published_at, published_ns, _version)), NULL, argMax(price_per_kg, (published_at, published_ns, _version))) AS _price_per_kg,
           if(argMax(isNull(price_eur), (published_at, published_ns, _version)), NULL, argMax(price_eur, (published_at, published_ns, _version))) AS _price_eur,
           if(argMax(isNull(price_per_litre_eur), (published_at, published_ns, _version)), NULL, argMax(price_per_litre_eur, (published_at, published_ns, _version))) AS _price_per_litre_eur,
           if(argMax(isNull(price_per_kg_eur), (published_at, published_ns, _version)), NULL, argMax(price_per_kg_eur, (published_at, published_ns, _version))) AS _price_per_kg_eur,
           if(argMax(isNull(fx_rate), (published_at, published_ns, _version)), NULL, argMax(fx_rate, (published_at, published_ns, _version))) AS _fx_rate,
           if(argMax(isNull(fx_date), (published_at, published_ns, _version)), NULL, argMax(fx_date, (published_at, published_ns, _version))) AS _fx_date,
           argMax(fx_path, (published_at, published_ns, _version)) AS _fx_path,
           argMax(fx_status, (published_at, published_ns, _version)) AS _fx_status,
           argMax(fx_basis, (published_at, published_ns, _version)) AS _fx_basis,
           argMax(status, (published_at, published_ns, _version)) AS _status,
           max(published_at) AS _published_at,
           argMax(published_ns, (published_at, published_ns, _version)) AS _published_ns,
           argMax(withdrawn, (published_at, published_ns, _version)) AS _withdrawn,
           argMax(record_id, (published_at, published_ns, _version)) AS _record_id,
           argMax(attributes, (published_at, published_ns, _version)) AS _attributes
    FROM econ.fuel_prices_data
    GROUP BY country, region, product, tax_basis, currency, unit, source, frequency, date
)
WHERE _withdrawn = 0;

DROP TABLE IF EXISTS econ.wages;

CREATE VIEW IF NOT EXISTS econ.wages AS
SELECT source, country, region, measure, basis, per, frequency, date, _amount AS amount, currency,
       _unit_mult AS unit_mult, _amount_eur AS amount_eur, _monthly_amount AS monthly_amount,
       _monthly_amount_eur AS monthly_amount_eur, _fx_rate AS fx_rate, _fx_date AS fx_date, _fx_path AS fx_path,
       _fx_status AS fx_status, _fx_basis AS fx_basis, _status AS status, _published_at AS published_at, _published_ns AS published_ns, _record_id AS record_id,
       _attributes AS attributes
FROM
(
    SELECT country, region, measure, basis, per, currency, source, frequency, date,
           argMax(amount, (published_at, published_ns, _version)) AS _amount,
           argMax(unit_mult, (published_at, published_ns, _version)) AS _unit_mult,
           if(argMax(isNull(amount_eur), (published_at, published_ns, _version)), NULL, argMax(amount_eur, (published_at, published_ns, _version))) AS _amount_eur,
           if(argMax(isNull(monthly_amount), (published_at, published_ns, _version)), NULL, argMax(monthly_amount, (published_at, published_ns, _version))) AS _monthly_amount,
           if(argMax(isNull(monthly_amount_eur), (published_at, published_ns, _version)), NULL, argMax(monthly_amount_eur, (published_at, published_ns, _version))) AS _monthly_amount_eur,
           if(argMax(isNull(fx_rate), (published_at, published_ns, _version)), NULL, argMax(fx_rate, (published_at, published_ns, _version))) AS _fx_rate,
           if(argMax(isNull(fx_date), (published_at, published_ns, _version)), NULL, argMax(fx_date, (published_at, published_ns, _version))) AS _fx_date,
           argMax(fx_path, (published_at, published_ns, _version)) AS _fx_path,
           argMax(fx_status, (published_at, published_ns, _version)) AS _fx_status,
           argMax(fx_basis, (published_at, published_ns, _version)) AS _fx_basis,
           argMax(status, (published_at, published_ns, _version)) AS _status,
           max(published_at) AS _published_at,
           argMax(published_ns, (published_at, published_ns, _version)) AS _published_ns,
           argMax(withdrawn, (published_at, published_ns, _version)) AS _withdrawn,
           argMax(record_id, (published_at, published_ns, _version)) AS _record_id,
           argMax(attributes, (published_at, published_ns, _version)) AS _attributes
    FROM econ.wages_data
    GROUP BY country, region, measure, basis, per, currency, source, frequency, date
)
WHERE _withdrawn = 0;

DROP TABLE IF EXISTS econ.fx_rates;

CREATE VIEW IF NOT EXISTS econ.fx_rates AS
SELECT source, base, quote, rate_type, frequency, date, _rate AS rate, _quantity AS quantity,
       _unit_mult AS unit_mult, _status AS status, _published_at AS published_at, _published_ns AS published_ns, _record_id AS record_id,
       _attributes AS attributes
FROM
(
    SELECT base, quote, rate_type, source, frequency, date,
           argMax(rate, (published_at, published_ns, _version)) AS _rate,
           argMax(quantity, (published_at, published_ns, _version)) AS _quantity,
           argMax(unit_mult, (published_at, published_ns, _version)) AS _unit_mult,
           argMax(status, (published_at, published_ns, _version)) AS _status,
           max(published_at) AS _published_at,
           argMax(published_ns, (published_at, published_ns, _version)) AS _published_ns,
           argMax(withdrawn, (published_at, published_ns, _version)) AS _withdrawn,
           argMax(record_id, (published_at, published_ns, _version)) AS _record_id,
           argMax(attributes, (published_at, published_ns, _version)) AS _attributes
    FROM econ.fx_rates_data
    GROUP BY base, quote, rate_type, source, frequency, date
)
WHERE _withdrawn = 0;

DROP TABLE IF EXISTS econ.indicators;

CREATE VIEW IF NOT EXISTS econ.indicators AS
SELECT source, series, country, region, measure, unit, currency, base_period, adjustment, frequency, date,
       _value AS value, _unit_mult AS unit_mult, _value_eur AS value_eur, _fx_rate AS fx_rate, _fx_date AS fx_date,
       _fx_path AS fx_path, _fx_status AS fx_status, _status AS status, _published_at AS published_at, _published_ns AS published_ns,
       _record_id AS record_id, _attributes AS attributes
FROM
(
    SELECT country, series, region, measure, unit, currency, base_period, adjustment, source, frequency, date,
           argMax(value, (published_at, published_ns, _version)) AS _value,
           argMax(unit_mult, (published_at, published_ns, _version)) AS _unit_mult,
           if(argMax(isNull(value_eur), (published_at, published_ns, _version)), NULL, argMax(value_eur, (published_at, published_ns, _version))) AS _value_eur,
           if(argMax(isNull(fx_rate), (published_at, published_ns, _version)), NULL, argMax(fx_rate, (published_at, published_ns, _version))) AS _fx_rate,
           if(argMax(isNull(fx_date), (published_at, published_ns, _version)), NULL, argMax(fx_date, (published_at, published_ns, _version))) AS _fx_date,
           argMax(fx_path, (published_at, published_ns, _version)) AS _fx_path,
           argMax(fx_status, (published_at, published_ns, _version)) AS _fx_status,
           argMax(status, (published_at, published_ns, _version)) AS _status,
           max(published_at) AS _published_at,
           argMax(published_ns, (published_at, published_ns, _version)) AS _published_ns,
           argMax(withdrawn, (published_at, published_ns, _version)) AS _withdrawn,
           argMax(record_id, (published_at, published_ns, _version)) AS _record_id,
           argMax(attributes, (published_at, published_ns, _version)) AS _attributes
    FROM econ.indicators_data
    GROUP BY country, series, region, measure, unit, currency, base_period, adjustment, source, frequency, date
)
WHERE _withdrawn = 0;

DROP TABLE IF EXISTS econ.fuel_prices_history;

CREATE VIEW IF NOT EXISTS econ.fuel_prices_history AS
SELECT source, country, region, product, tax_basis, frequency, date, _price AS price, currency, unit,
       _unit_mult AS unit_mult, _price_per_litre AS price_per_litre, _price_per_kg AS price_per_kg,
       _price_eur AS price_eur, _price_per_litre_eur AS price_per_litre_eur, _price_per_kg_eur AS price_per_kg_eur,
       _fx_rate AS fx_rate, _fx_date AS fx_date, _fx_path AS fx_path, _fx_status AS fx_status, _fx_basis AS fx_basis, _status AS status,
       published_at, published_ns, _record_id AS record_id, _attributes AS attributes,
       _kafka_topic AS kafka_topic, _kafka_partition AS kafka_partition, _kafka_offset AS kafka_offset,
       _ingested_at AS ingested_at, _withdrawn AS withdrawn
FROM
(
    SELECT country, region, product, tax_basis, currency, unit, source, frequency, date, published_at, published_ns,
           argMax(price, _version) AS _price,
           argMax(unit_mult, _version) AS _unit_mult,
           if(argMax(isNull(price_per_litre), _version), NULL, argMax(price_per_litre, _version)) AS _price_per_litre,
           if(argMax(isNull(price_per_kg), _version), NULL, argMax(price_per_kg, _version)) AS _price_per_kg,
           if(argMax(isNull(price_eur), _version), NULL, argMax(price_eur, _version)) AS _price_eur,
           if(argMax(isNull(price_per_litre_eur), _version), NULL, argMax(price_per_litre_eur, _version)) AS _price_per_litre_eur,
           if(argMax(isNull(price_per_kg_eur), _version), NULL, argMax(price_per_kg_eur, _version)) AS _price_per_kg_eur,
           if(argMax(isNull(fx_rate), _version), NULL, argMax(fx_rate, _version)) AS _fx_rate,
           if(argMax(isNull(fx_date), _version), NULL, argMax(fx_date, _version)) AS _fx_date,
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
    GROUP BY country, region, product, tax_basis, currency, unit, source, frequency, date, published_at, published_ns
);

DROP TABLE IF EXISTS econ.wages_history;

CREATE VIEW IF NOT EXISTS econ.wages_history AS
SELECT source, country, region, measure, basis, per, frequency, date, _amount AS amount, currency,
       _unit_mult AS unit_mult, _amount_eur AS amount_eur, _monthly_amount AS monthly_amount,
       _monthly_amount_eur AS monthly_amount_eur, _fx_rate AS fx_rate, _fx_date AS fx_date, _fx_path AS fx_path,
       _fx_status AS fx_status, _fx_basis AS fx_basis, _status AS status, published_at, published_ns, _record_id AS record_id,
       _attributes AS attributes,
       _kafka_topic AS kafka_topic, _kafka_partition AS kafka_partition, _kafka_offset AS kafka_offset,
       _ingested_at AS ingested_at, _withdrawn AS withdrawn
FROM
(
    SELECT country, region, measure, basis, per, currency, source, frequency, date, published_at, published_ns,
           argMax(amount, _version) AS _amount,
           argMax(unit_mult, _version) AS _unit_mult,
           if(argMax(isNull(amount_eur), _version), NULL, argMax(amount_eur, _version)) AS _amount_eur,
           if(argMax(isNull(monthly_amount), _version), NULL, argMax(monthly_amount, _version)) AS _monthly_amount,
           if(argMax(isNull(monthly_amount_eur), _version), NULL, argMax(monthly_amount_eur, _version)) AS _monthly_amount_eur,
           if(argMax(isNull(fx_rate), _version), NULL, argMax(fx_rate, _version)) AS _fx_rate,
           if(argMax(isNull(fx_date), _version), NULL, argMax(fx_date, _version)) AS _fx_date,
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
    GROUP BY country, region, measure, basis, per, currency, source, frequency, date, published_at, published_ns
);

DROP TABLE IF EXISTS econ.fx_rates_history;

CREATE VIEW IF NOT EXISTS econ.fx_rates_history AS
SELECT source, base, quote, rate_type, frequency, date, _rate AS rate, _quantity AS quantity,
       _unit_mult AS unit_mult, _status AS status, published_at, published_ns, _record_id AS record_id,
       _attributes AS attributes,
       _kafka_topic AS kafka_topic, _kafka_partition AS kafka_partition, _kafka_offset AS kafka_offset,
       _ingested_at AS ingested_at, _withdrawn AS withdrawn
FROM
(
    SELECT base, quote, rate_type, source, frequency, date, published_at, published_ns,
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
    GROUP BY base, quote, rate_type, source, frequency, date, published_at, published_ns
);

DROP TABLE IF EXISTS econ.indicators_history;

CREATE VIEW IF NOT EXISTS econ.indicators_history AS
SELECT source, series, country, region, measure, unit, currency, base_period, adjustment, frequency, date,
       _value AS value, _unit_mult AS unit_mult, _value_eur AS value_eur, _fx_rate AS fx_rate, _fx_date AS fx_date,
       _fx_path AS fx_path, _fx_status AS fx_status, _status AS status, published_at, published_ns,
       _record_id AS record_id, _attributes AS attributes,
       _kafka_topic AS kafka_topic, _kafka_partition AS kafka_partition, _kafka_offset AS kafka_offset,
       _ingested_at AS ingested_at, _withdrawn AS withdrawn
FROM
(
    SELECT country, series, region, measure, unit, currency, base_period, adjustment, source, frequency, date, published_at, published_ns,
           argMax(value, _version) AS _value,
           argMax(unit_mult, _version) AS _unit_mult,
           if(argMax(isNull(value_eur), _version), NULL, argMax(value_eur, _version)) AS _value_eur,
           if(argMax(isNull(fx_rate), _version), NULL, argMax(fx_rate, _version)) AS _fx_rate,
           if(argMax(isNull(fx_date), _version), NULL, argMax(fx_date, _version)) AS _fx_date,
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
    GROUP BY country, series, region, measure, unit, currency, base_period, adjustment, source, frequency, date, published_at, published_ns
);

DROP TABLE IF EXISTS econ.fuel_prices_current;

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
               argMax(price, (published_at, published_ns, _version)) AS _d_price,
               argMax(unit_mult, (published_at, published_ns, _version)) AS _d_unit_mult,
               if(argMax(isNull(price_per_litre), (published_at, published_ns, _version)), NULL, argMax(price_per_litre, (published_at, published_ns, _version))) AS _d_price_per_litre,
               if(argMax(isNull(price_per_kg), (published_at, published_ns, _version)), NULL, argMax(price_per_kg, (published_at, published_ns, _version))) AS _d_price_per_kg,
               if(argMax(isNull(price_eur), (published_at, published_ns, _version)), NULL, argMax(price_eur, (published_at, published_ns, _version))) AS _d_price_eur,
               if(argMax(isNull(price_per_litre_eur), (published_at, published_ns, _version)), NULL, argMax(price_per_litre_eur, (published_at, published_ns, _version))) AS _d_price_per_litre_eur,
               if(argMax(isNull(price_per_kg_eur), (published_at, published_ns, _version)), NULL, argMax(price_per_kg_eur, (published_at, published_ns, _version))) AS _d_price_per_kg_eur,
               if(argMax(isNull(fx_rate), (published_at, published_ns, _version)), NULL, argMax(fx_rate, (published_at, published_ns, _version))) AS _d_fx_rate,
               if(argMax(isNull(fx_date), (published_at, published_ns, _version)), NULL, argMax(fx_date, (published_at, published_ns, _version))) AS _d_fx_date,
               argMax(fx_path, (published_at, published_ns, _version)) AS _d_fx_path,
               argMax(fx_status, (published_at, published_ns, _version)) AS _d_fx_status,
               argMax(status, (published_at, published_ns, _version)) AS _d_status,
               argMax(record_id, (published_at, published_ns, _version)) AS _d_record_id,
               argMax(attributes, (published_at, published_ns, _version)) AS _d_attributes,
               max(published_at) AS _d_published_at,
               argMax(withdrawn, (published_at, published_ns, _version)) AS _d_withdrawn
        FROM econ.fuel_prices_data
        GROUP BY country, region, product, tax_basis, currency, unit, source, frequency, date
    )
    WHERE _d_withdrawn = 0
    GROUP BY country, region, product, tax_basis, currency, unit, source, frequency
);

DROP TABLE IF EXISTS econ.fuel_prices_bitemporal;

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
       _pnss[_i] AS published_ns,
       _record_ids[_i] AS record_id,
       _attributess[_i] AS attributes,
       _ks[_i] AS known_from,
       if(_next_exists, _next, NULL) AS known_until
FROM
(
    SELECT country, region, product, tax_basis, currency, unit, source, frequency, date, _perm, _ps, _pnss, _pvs, _ks, _wds, _prices, _unit_mults, _price_per_litres, _price_per_kgs, _price_eurs, _price_per_litre_eurs, _price_per_kg_eurs, _fx_rates, _fx_dates, _fx_paths, _fx_statuss, _fx_basiss, _statuss, _record_ids, _attributess,
           _n, _i, _perm[_n - 1] AS _prev,
           arrayFilter(j -> _pvs[j] > _pvs[_i] OR (_pvs[j] = _pvs[_i] AND _ks[j] > _ks[_i]), _perm) AS _later,
           length(_later) > 0 AS _next_exists,
           arrayReduce('min', arrayMap(j -> _ks[j], _later)) AS _next
    FROM
    (
        SELECT country, region, product, tax_basis, currency, unit, source, frequency, date,
               groupArray(published_at) AS _ps, groupArray(published_ns) AS _pnss, groupArray(toUInt64(published_at) * 1000000000 + published_ns) AS _pvs, groupArray(_known_from) AS _ks, groupArray(_src) AS _srcs, groupArray(_withdrawn) AS _wds,
               arrayMap(t -> tupleElement(t, 4), arraySort(arrayMap((p, k, s, j) -> (p, k, s, j), _pvs, _ks, _srcs, arrayEnumerate(_ps)))) AS _perm,
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
        SELECT country, region, product, tax_basis, currency, unit, source, frequency, date, published_at, published_ns, argMax(known_from, _version) AS _known_from, materialize(toUInt8(0)) AS _src, argMax(withdrawn, _version) AS _withdrawn,
               toString(argMax(price, _version)) AS _price,
               argMax(unit_mult, _version) AS _unit_mult,
               ifNull(toString(if(argMax(isNull(price_per_litre), _version), NULL, argMax(price_per_litre, _version))), '') AS _price_per_litre,
               ifNull(toString(if(argMax(isNull(price_per_kg), _version), NULL, argMax(price_per_kg, _version))), '') AS _price_per_kg,
               ifNull(toString(if(argMax(isNull(price_eur), _version), NULL, argMax(price_eur, _version))), '') AS _price_eur,
               ifNull(toString(if(argMax(isNull(price_per_litre_eur), _version), NULL, argMax(price_per_litre_eur, _version))), '') AS _price_per_litre_eur,
               ifNull(toString(if(argMax(isNull(price_per_kg_eur), _version), NULL, argMax(price_per_kg_eur, _version))), '') AS _price_per_kg_eur,
               ifNull(toString(if(argMax(isNull(fx_rate), _version), NULL, argMax(fx_rate, _version))), '') AS _fx_rate,
               ifNull(toString(if(argMax(isNull(fx_date), _version), NULL, argMax(fx_date, _version))), '') AS _fx_date,
               argMax(fx_path, _version) AS _fx_path,
               argMax(fx_status, _version) AS _fx_status,
               argMax(fx_basis, _version) AS _fx_basis,
               argMax(status, _version) AS _status,
               argMax(record_id, _version) AS _record_id,
               argMax(attributes, _version) AS _attributes
        FROM econ.fuel_prices_data
        GROUP BY country, region, product, tax_basis, currency, unit, source, frequency, date, published_at, published_ns
        UNION ALL
        SELECT country, region, product, tax_basis, currency, unit, source, frequency, date, published_at, published_ns, known_from AS _known_from, materialize(toUInt8(1)) AS _src, materialize(toUInt8(0)) AS _withdrawn,
               toString(argMax(price, _version)) AS _price,
               argMax(unit_mult, _version) AS _unit_mult,
               ifNull(toString(if(argMax(isNull(price_per_litre), _version), NULL, argMax(price_per_litre, _version))), '') AS _price_per_litre,
               ifNull(toString(if(argMax(isNull(price_per_kg), _version), NULL, argMax(price_per_kg, _version))), '') AS _price_per_kg,
               ifNull(toString(if(argMax(isNull(price_eur), _version), NULL, argMax(price_eur, _version))), '') AS _price_eur,
               ifNull(toString(if(argMax(isNull(price_per_litre_eur), _version), NULL, argMax(price_per_litre_eur, _version))), '') AS _price_per_litre_eur,
               ifNull(toString(if(argMax(isNull(price_per_kg_eur), _version), NULL, argMax(price_per_kg_eur, _version))), '') AS _price_per_kg_eur,
               ifNull(toString(if(argMax(isNull(fx_rate), _version), NULL, argMax(fx_rate, _version))), '') AS _fx_rate,
               ifNull(toString(if(argMax(isNull(fx_date), _version), NULL, argMax(fx_date, _version))), '') AS _fx_date,
               argMax(fx_path, _version) AS _fx_path,
               argMax(fx_status, _version) AS _fx_status,
               argMax(fx_basis, _version) AS _fx_basis,
               argMax(status, _version) AS _status,
               argMax(record_id, _version) AS _record_id,
               argMax(attributes, _version) AS _attributes
        FROM econ.fuel_prices_known
        GROUP BY country, region, product, tax_basis, currency, unit, source, frequency, date, published_at, published_ns, known_from
        HAVING argMax(fx_status, _version) != 'void'
        )
        GROUP BY country, region, product, tax_basis, currency, unit, source, frequency, date
    )
    ARRAY JOIN arrayEnumerate(_perm) AS _n, _perm AS _i
)
WHERE (_n = 1 OR _pvs[_prev] != _pvs[_i] OR _ks[_prev] != _ks[_i])
  AND (NOT _next_exists OR _next > _ks[_i])
  AND _wds[_i] = 0;

DROP TABLE IF EXISTS econ.wages_bitemporal;

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
       _pnss[_i] AS published_ns,
       _record_ids[_i] AS record_id,
       _attributess[_i] AS attributes,
       _ks[_i] AS known_from,
       if(_next_exists, _next, NULL) AS known_until
FROM
(
    SELECT country, region, measure, basis, per, currency, source, frequency, date, _perm, _ps, _pnss, _pvs, _ks, _wds, _amounts, _unit_mults, _amount_eurs, _monthly_amounts, _monthly_amount_eurs, _fx_rates, _fx_dates, _fx_paths, _fx_statuss, _fx_basiss, _statuss, _record_ids, _attributess,
           _n, _i, _perm[_n - 1] AS _prev,
           arrayFilter(j -> _pvs[j] > _pvs[_i] OR (_pvs[j] = _pvs[_i] AND _ks[j] > _ks[_i]), _perm) AS _later,
           length(_later) > 0 AS _next_exists,
           arrayReduce('min', arrayMap(j -> _ks[j], _later)) AS _next
    FROM
    (
        SELECT country, region, measure, basis, per, currency, source, frequency, date,
               groupArray(published_at) AS _ps, groupArray(published_ns) AS _pnss, groupArray(toUInt64(published_at) * 1000000000 + published_ns) AS _pvs, groupArray(_known_from) AS _ks, groupArray(_src) AS _srcs, groupArray(_withdrawn) AS _wds,
               arrayMap(t -> tupleElement(t, 4), arraySort(arrayMap((p, k, s, j) -> (p, k, s, j), _pvs, _ks, _srcs, arrayEnumerate(_ps)))) AS _perm,
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
        SELECT country, region, measure, basis, per, currency, source, frequency, date, published_at, published_ns, argMax(known_from, _version) AS _known_from, materialize(toUInt8(0)) AS _src, argMax(withdrawn, _version) AS _withdrawn,
               toString(argMax(amount, _version)) AS _amount,
               argMax(unit_mult, _version) AS _unit_mult,
               ifNull(toString(if(argMax(isNull(amount_eur), _version), NULL, argMax(amount_eur, _version))), '') AS _amount_eur,
               ifNull(toString(if(argMax(isNull(monthly_amount), _version), NULL, argMax(monthly_amount, _version))), '') AS _monthly_amount,
               ifNull(toString(if(argMax(isNull(monthly_amount_eur), _version), NULL, argMax(monthly_amount_eur, _version))), '') AS _monthly_amount_eur,
               ifNull(toString(if(argMax(isNull(fx_rate), _version), NULL, argMax(fx_rate, _version))), '') AS _fx_rate,
               ifNull(toString(if(argMax(isNull(fx_date), _version), NULL, argMax(fx_date, _version))), '') AS _fx_date,
               argMax(fx_path, _version) AS _fx_path,
               argMax(fx_status, _version) AS _fx_status,
               argMax(fx_basis, _version) AS _fx_basis,
               argMax(status, _version) AS _status,
               argMax(record_id, _version) AS _record_id,
               argMax(attributes, _version) AS _attributes
        FROM econ.wages_data
        GROUP BY country, region, measure, basis, per, currency, source, frequency, date, published_at, published_ns
        UNION ALL
        SELECT country, region, measure, basis, per, currency, source, frequency, date, published_at, published_ns, known_from AS _known_from, materialize(toUInt8(1)) AS _src, materialize(toUInt8(0)) AS _withdrawn,
               toString(argMax(amount, _version)) AS _amount,
               argMax(unit_mult, _version) AS _unit_mult,
               ifNull(toString(if(argMax(isNull(amount_eur), _version), NULL, argMax(amount_eur, _version))), '') AS _amount_eur,
               ifNull(toString(if(argMax(isNull(monthly_amount), _version), NULL, argMax(monthly_amount, _version))), '') AS _monthly_amount,
               ifNull(toString(if(argMax(isNull(monthly_amount_eur), _version), NULL, argMax(monthly_amount_eur, _version))), '') AS _monthly_amount_eur,
               ifNull(toString(if(argMax(isNull(fx_rate), _version), NULL, argMax(fx_rate, _version))), '') AS _fx_rate,
               ifNull(toString(if(argMax(isNull(fx_date), _version), NULL, argMax(fx_date, _version))), '') AS _fx_date,
               argMax(fx_path, _version) AS _fx_path,
               argMax(fx_status, _version) AS _fx_status,
               argMax(fx_basis, _version) AS _fx_basis,
               argMax(status, _version) AS _status,
               argMax(record_id, _version) AS _record_id,
               argMax(attributes, _version) AS _attributes
        FROM econ.wages_known
        GROUP BY country, region, measure, basis, per, currency, source, frequency, date, published_at, published_ns, known_from
        HAVING argMax(fx_status, _version) != 'void'
        )
        GROUP BY country, region, measure, basis, per, currency, source, frequency, date
    )
    ARRAY JOIN arrayEnumerate(_perm) AS _n, _perm AS _i
)
WHERE (_n = 1 OR _pvs[_prev] != _pvs[_i] OR _ks[_prev] != _ks[_i])
  AND (NOT _next_exists OR _next > _ks[_i])
  AND _wds[_i] = 0;

DROP TABLE IF EXISTS econ.fx_rates_bitemporal;

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
       _pnss[_i] AS published_ns,
       _record_ids[_i] AS record_id,
       _attributess[_i] AS attributes,
       _ks[_i] AS known_from,
       if(_next_exists, _next, NULL) AS known_until
FROM
(
    SELECT base, quote, rate_type, source, frequency, date, _perm, _ps, _pnss, _pvs, _ks, _wds, _rates, _quantitys, _unit_mults, _statuss, _record_ids, _attributess,
           _n, _i, _perm[_n - 1] AS _prev,
           arrayFilter(j -> _pvs[j] > _pvs[_i] OR (_pvs[j] = _pvs[_i] AND _ks[j] > _ks[_i]), _perm) AS _later,
           length(_later) > 0 AS _next_exists,
           arrayReduce('min', arrayMap(j -> _ks[j], _later)) AS _next
    FROM
    (
        SELECT base, quote, rate_type, source, frequency, date,
               groupArray(published_at) AS _ps, groupArray(published_ns) AS _pnss, groupArray(toUInt64(published_at) * 1000000000 + published_ns) AS _pvs, groupArray(_known_from) AS _ks, groupArray(_src) AS _srcs, groupArray(_withdrawn) AS _wds,
               arrayMap(t -> tupleElement(t, 4), arraySort(arrayMap((p, k, s, j) -> (p, k, s, j), _pvs, _ks, _srcs, arrayEnumerate(_ps)))) AS _perm,
               groupArray(_rate) AS _rates,
           groupArray(_quantity) AS _quantitys,
           groupArray(_unit_mult) AS _unit_mults,
           groupArray(_status) AS _statuss,
           groupArray(_record_id) AS _record_ids,
           groupArray(_attributes) AS _attributess
        FROM
        (
        SELECT base, quote, rate_type, source, frequency, date, published_at, published_ns, published_at AS _known_from, materialize(toUInt8(0)) AS _src, argMax(withdrawn, _version) AS _withdrawn,
               toString(argMax(rate, _version)) AS _rate,
               argMax(quantity, _version) AS _quantity,
               argMax(unit_mult, _version) AS _unit_mult,
               argMax(status, _version) AS _status,
               argMax(record_id, _version) AS _record_id,
               argMax(attributes, _version) AS _attributes
        FROM econ.fx_rates_data
        GROUP BY base, quote, rate_type, source, frequency, date, published_at, published_ns
        )
        GROUP BY base, quote, rate_type, source, frequency, date
    )
    ARRAY JOIN arrayEnumerate(_perm) AS _n, _perm AS _i
)
WHERE (_n = 1 OR _pvs[_prev] != _pvs[_i] OR _ks[_prev] != _ks[_i])
  AND (NOT _next_exists OR _next > _ks[_i])
  AND _wds[_i] = 0;

DROP TABLE IF EXISTS econ.fuel_prices_real;

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
                                                                       argMax(value, (published_at, published_ns, _version)) AS cpi_value, max(published_at) AS cpi_published_at
                                                                FROM econ.indicators_data
                                                                WHERE unit = 'index' AND region = '' AND (country, series) IN (SELECT country, series FROM econ.deflators)
                                                                GROUP BY country, source, series, month
                                                                HAVING argMax(withdrawn, (published_at, published_ns, _version)) = 0
                                                            ) AS _s3 USING (country, cpi_source, cpi_series)
                                                            WHERE _active = 1
                                                        ) AS _s4
                                                        ANY LEFT JOIN
                                                        (
                                                            SELECT country, source AS cpi_source, series AS cpi_series, toStartOfMonth(date) AS base_month,
                                                                   argMax(value, (published_at, published_ns, _version)) AS base_cpi_value, max(published_at) AS base_cpi_published_at,
                                                                   toUInt8(1) AS _has_base
                                                            FROM econ.indicators_data
                                                            WHERE unit = 'index' AND region = '' AND (country, series) IN (SELECT country, series FROM econ.deflators)
                                                            GROUP BY country, source, series, base_month
                                                            HAVING argMax(withdrawn, (published_at, published_ns, _version)) = 0
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

DROP TABLE IF EXISTS econ.wages_real;

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
                                                                       argMax(value, (published_at, published_ns, _version)) AS cpi_value, max(published_at) AS cpi_published_at
                                                                FROM econ.indicators_data
                                                                WHERE unit = 'index' AND region = '' AND (country, series) IN (SELECT country, series FROM econ.deflators)
                                                                GROUP BY country, source, series, month
                                                                HAVING argMax(withdrawn, (published_at, published_ns, _version)) = 0
                                                            ) AS _s9 USING (country, cpi_source, cpi_series)
                                                            WHERE _active = 1
                                                        ) AS _s10
                                                        ANY LEFT JOIN
                                                        (
                                                            SELECT country, source AS cpi_source, series AS cpi_series, toStartOfMonth(date) AS base_month,
                                                                   argMax(value, (published_at, published_ns, _version)) AS base_cpi_value, max(published_at) AS base_cpi_published_at,
                                                                   toUInt8(1) AS _has_base
                                                            FROM econ.indicators_data
                                                            WHERE unit = 'index' AND region = '' AND (country, series) IN (SELECT country, series FROM econ.deflators)
                                                            GROUP BY country, source, series, base_month
                                                            HAVING argMax(withdrawn, (published_at, published_ns, _version)) = 0
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
       _pnss[_i] AS published_ns,
       _record_ids[_i] AS record_id,
       _attributess[_i] AS attributes,
       _ks[_i] AS known_from,
       if(_next_exists, _next, NULL) AS known_until
FROM
(
    SELECT country, series, region, measure, unit, currency, base_period, adjustment, source, frequency, date, _perm, _ps, _pnss, _pvs, _ks, _wds, _values, _unit_mults, _value_eurs, _fx_rates, _fx_dates, _fx_paths, _fx_statuss, _fx_basiss, _statuss, _record_ids, _attributess,
           _n, _i, _perm[_n - 1] AS _prev,
           arrayFilter(j -> _pvs[j] > _pvs[_i] OR (_pvs[j] = _pvs[_i] AND _ks[j] > _ks[_i]), _perm) AS _later,
           length(_later) > 0 AS _next_exists,
           arrayReduce('min', arrayMap(j -> _ks[j], _later)) AS _next
    FROM
    (
        SELECT country, series, region, measure, unit, currency, base_period, adjustment, source, frequency, date,
               groupArray(published_at) AS _ps, groupArray(published_ns) AS _pnss, groupArray(toUInt64(published_at) * 1000000000 + published_ns) AS _pvs, groupArray(_known_from) AS _ks, groupArray(_src) AS _srcs, groupArray(_withdrawn) AS _wds,
               arrayMap(t -> tupleElement(t, 4), arraySort(arrayMap((p, k, s, j) -> (p, k, s, j), _pvs, _ks, _srcs, arrayEnumerate(_ps)))) AS _perm,
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
        SELECT country, series, region, measure, unit, currency, base_period, adjustment, source, frequency, date, published_at, published_ns, argMax(known_from, _version) AS _known_from, materialize(toUInt8(0)) AS _src, argMax(withdrawn, _version) AS _withdrawn,
               toString(argMax(value, _version)) AS _value,
               argMax(unit_mult, _version) AS _unit_mult,
               ifNull(toString(if(argMax(isNull(value_eur), _version), NULL, argMax(value_eur, _version))), '') AS _value_eur,
               ifNull(toString(if(argMax(isNull(fx_rate), _version), NULL, argMax(fx_rate, _version))), '') AS _fx_rate,
               ifNull(toString(if(argMax(isNull(fx_date), _version), NULL, argMax(fx_date, _version))), '') AS _fx_date,
               argMax(fx_path, _version) AS _fx_path,
               argMax(fx_status, _version) AS _fx_status,
               argMax(fx_basis, _version) AS _fx_basis,
               argMax(status, _version) AS _status,
               argMax(record_id, _version) AS _record_id,
               argMax(attributes, _version) AS _attributes
        FROM econ.indicators_data
        GROUP BY country, series, region, measure, unit, currency, base_period, adjustment, source, frequency, date, published_at, published_ns
        UNION ALL
        SELECT country, series, region, measure, unit, currency, base_period, adjustment, source, frequency, date, published_at, published_ns, known_from AS _known_from, materialize(toUInt8(1)) AS _src, materialize(toUInt8(0)) AS _withdrawn,
               toString(argMax(value, _version)) AS _value,
               argMax(unit_mult, _version) AS _unit_mult,
               ifNull(toString(if(argMax(isNull(value_eur), _version), NULL, argMax(value_eur, _version))), '') AS _value_eur,
               ifNull(toString(if(argMax(isNull(fx_rate), _version), NULL, argMax(fx_rate, _version))), '') AS _fx_rate,
               ifNull(toString(if(argMax(isNull(fx_date), _version), NULL, argMax(fx_date, _version))), '') AS _fx_date,
               argMax(fx_path, _version) AS _fx_path,
               argMax(fx_status, _version) AS _fx_status,
               argMax(fx_basis, _version) AS _fx_basis,
               argMax(status, _version) AS _status,
               argMax(record_id, _version) AS _record_id,
               argMax(attributes, _version) AS _attributes
        FROM econ.indicators_known
        GROUP BY country, series, region, measure, unit, currency, base_period, adjustment, source, frequency, date, published_at, published_ns, known_from
        HAVING argMax(fx_status, _version) != 'void'
        )
        GROUP BY country, series, region, measure, unit, currency, base_period, adjustment, source, frequency, date
    )
    ARRAY JOIN arrayEnumerate(_perm) AS _n, _perm AS _i
)
WHERE (_n = 1 OR _pvs[_prev] != _pvs[_i] OR _ks[_prev] != _ks[_i])
  AND (NOT _next_exists OR _next > _ks[_i])
  AND _wds[_i] = 0;

DROP TABLE IF EXISTS econ.fuel_prices_converted;

CREATE VIEW IF NOT EXISTS econ.fuel_prices_converted AS
SELECT reporting_currency, source, country, region, product, tax_basis, frequency, date, _price AS price, currency, unit,
       _unit_mult AS unit_mult, _price_converted AS price_converted,
       _price_per_litre_converted AS price_per_litre_converted, _price_per_kg_converted AS price_per_kg_converted,
       _fx_rate AS fx_rate, _fx_date AS fx_date, _fx_path AS fx_path, _fx_status AS fx_status, _fx_basis AS fx_basis,
       _published_at AS published_at, _published_ns AS published_ns, _record_id AS record_id
FROM
(
    SELECT reporting_currency, country, region, product, tax_basis, currency, unit, source, frequency, date,
           argMax(price, (published_at, published_ns, _version)) AS _price,
           argMax(unit_mult, (published_at, published_ns, _version)) AS _unit_mult,
           if(argMax(isNull(price_converted), (published_at, published_ns, _version)), NULL, argMax(price_converted, (published_at, published_ns, _version))) AS _price_converted,
           if(argMax(isNull(price_per_litre_converted), (published_at, published_ns, _version)), NULL, argMax(price_per_litre_converted, (published_at, published_ns, _version))) AS _price_per_litre_converted,
           if(argMax(isNull(price_per_kg_converted), (published_at, published_ns, _version)), NULL, argMax(price_per_kg_converted, (published_at, published_ns, _version))) AS _price_per_kg_converted,
           if(argMax(isNull(fx_rate), (published_at, published_ns, _version)), NULL, argMax(fx_rate, (published_at, published_ns, _version))) AS _fx_rate,
           if(argMax(isNull(fx_date), (published_at, published_ns, _version)), NULL, argMax(fx_date, (published_at, published_ns, _version))) AS _fx_date,
           argMax(fx_path, (published_at, published_ns, _version)) AS _fx_path,
           argMax(fx_status, (published_at, published_ns, _version)) AS _fx_status,
           argMax(fx_basis, (published_at, published_ns, _version)) AS _fx_basis,
           max(published_at) AS _published_at,
           argMax(published_ns, (published_at, published_ns, _version)) AS _published_ns,
           argMax(withdrawn, (published_at, published_ns, _version)) AS _withdrawn,
           argMax(record_id, (published_at, published_ns, _version)) AS _record_id
    FROM econ.fuel_prices_converted_data
    GROUP BY reporting_currency, country, region, product, tax_basis, currency, unit, source, frequency, date
)
WHERE _withdrawn = 0;

DROP TABLE IF EXISTS econ.wages_converted;

CREATE VIEW IF NOT EXISTS econ.wages_converted AS
SELECT reporting_currency, source, country, region, measure, basis, per, frequency, date, _amount AS amount, currency,
       _unit_mult AS unit_mult, _amount_converted AS amount_converted, _monthly_amount_converted AS monthly_amount_converted,
       _fx_rate AS fx_rate, _fx_date AS fx_date, _fx_path AS fx_path, _fx_status AS fx_status, _fx_basis AS fx_basis,
       _published_at AS published_at, _published_ns AS published_ns, _record_id AS record_id
FROM
(
    SELECT reporting_currency, country, region, measure, basis, per, currency, source, frequency, date,
           argMax(amount, (published_at, published_ns, _version)) AS _amount,
           argMax(unit_mult, (published_at, published_ns, _version)) AS _unit_mult,
           if(argMax(isNull(amount_converted), (published_at, published_ns, _version)), NULL, argMax(amount_converted, (published_at, published_ns, _version))) AS _amount_converted,
           if(argMax(isNull(monthly_amount_converted), (published_at, published_ns, _version)), NULL, argMax(monthly_amount_converted, (published_at, published_ns, _version))) AS _monthly_amount_converted,
           if(argMax(isNull(fx_rate), (published_at, published_ns, _version)), NULL, argMax(fx_rate, (published_at, published_ns, _version))) AS _fx_rate,
           if(argMax(isNull(fx_date), (published_at, published_ns, _version)), NULL, argMax(fx_date, (published_at, published_ns, _version))) AS _fx_date,
           argMax(fx_path, (published_at, published_ns, _version)) AS _fx_path,
           argMax(fx_status, (published_at, published_ns, _version)) AS _fx_status,
           argMax(fx_basis, (published_at, published_ns, _version)) AS _fx_basis,
           max(published_at) AS _published_at,
           argMax(published_ns, (published_at, published_ns, _version)) AS _published_ns,
           argMax(withdrawn, (published_at, published_ns, _version)) AS _withdrawn,
           argMax(record_id, (published_at, published_ns, _version)) AS _record_id
    FROM econ.wages_converted_data
    GROUP BY reporting_currency, country, region, measure, basis, per, currency, source, frequency, date
)
WHERE _withdrawn = 0;

DROP TABLE IF EXISTS econ.indicators_converted;

CREATE VIEW IF NOT EXISTS econ.indicators_converted AS
SELECT reporting_currency, source, series, country, region, measure, unit, currency, base_period, adjustment, frequency, date,
       _value AS value, _unit_mult AS unit_mult, _value_converted AS value_converted,
       _fx_rate AS fx_rate, _fx_date AS fx_date, _fx_path AS fx_path, _fx_status AS fx_status, _fx_basis AS fx_basis,
       _published_at AS published_at, _published_ns AS published_ns, _record_id AS record_id
FROM
(
    SELECT reporting_currency, country, series, region, measure, unit, currency, base_period, adjustment, source, frequency, date,
           argMax(value, (published_at, published_ns, _version)) AS _value,
           argMax(unit_mult, (published_at, published_ns, _version)) AS _unit_mult,
           if(argMax(isNull(value_converted), (published_at, published_ns, _version)), NULL, argMax(value_converted, (published_at, published_ns, _version))) AS _value_converted,
           if(argMax(isNull(fx_rate), (published_at, published_ns, _version)), NULL, argMax(fx_rate, (published_at, published_ns, _version))) AS _fx_rate,
           if(argMax(isNull(fx_date), (published_at, published_ns, _version)), NULL, argMax(fx_date, (published_at, published_ns, _version))) AS _fx_date,
           argMax(fx_path, (published_at, published_ns, _version)) AS _fx_path,
           argMax(fx_status, (published_at, published_ns, _version)) AS _fx_status,
           argMax(fx_basis, (published_at, published_ns, _version)) AS _fx_basis,
           max(published_at) AS _published_at,
           argMax(published_ns, (published_at, published_ns, _version)) AS _published_ns,
           argMax(withdrawn, (published_at, published_ns, _version)) AS _withdrawn,
           argMax(record_id, (published_at, published_ns, _version)) AS _record_id
    FROM econ.indicators_converted_data
    GROUP BY reporting_currency, country, series, region, measure, unit, currency, base_period, adjustment, source, frequency, date
)
WHERE _withdrawn = 0;

DROP TABLE IF EXISTS econ.reconversion_failures;

CREATE VIEW IF NOT EXISTS econ.reconversion_failures AS
SELECT kind, reporting_currency, source, country, region, series, product, tax_basis, unit, measure, basis, per, base_period,
       adjustment, currency, frequency, date, published_at, published_ns, _record_id AS record_id, _reason AS reason, _failed_at AS failed_at
FROM
(
    SELECT kind, country, region, series, product, tax_basis, unit, measure, basis, per, base_period, adjustment, currency, source,
           frequency, reporting_currency, date, published_at, published_ns,
           argMax(record_id, _version) AS _record_id,
           argMax(reason, _version) AS _reason,
           argMax(failed_at, _version) AS _failed_at,
           argMax(resolved_at, _version) AS _resolved_at
    FROM econ.reconversion_failures_data
    GROUP BY kind, country, region, series, product, tax_basis, unit, measure, basis, per, base_period, adjustment, currency, source,
             frequency, reporting_currency, date, published_at, published_ns
)
WHERE toUInt32(_resolved_at) = 0;

DROP TABLE IF EXISTS econ.fuel_affordability;

CREATE VIEW IF NOT EXISTS econ.fuel_affordability AS
SELECT month, country, region, product, _w_all[_w_i][2] AS wage_measure, _w_all[_w_i][3] AS wage_basis, currency,
       _w_all[_w_i][1] AS wage_region, toDecimal128(_w_all[_w_i][8], 18) AS monthly_wage,
       _p_sum / toDecimal128(_p_count, 0) AS avg_price_per_litre,
       arrayMap((w, s, c) ->
           arrayMap((n, s_ok) ->
               arrayMap(d ->
                   arrayMap(q0 ->
                       arrayMap(t1 ->
                           arrayMap(q1 ->
                               arrayMap(t2 ->
                                   arrayMap(t3 ->
                                       arrayMap(t4 ->
                                           arrayMap(i ->
                                               arrayMap(ok ->
                                                   if(ok, toDecimal128(if(ok, i, toDecimal128(0, 0)), 18)
                                                          + toDecimal128((t2 / d) * toDecimal128(10000000000, 0) + (t3 / d) * toDecimal128(100, 0) + t4 / d, 18)
                                                            / toDecimal128('1000000000000000000', 0), NULL),
                                               [s_ok AND c < 100000000 AND i < toDecimal128('100000000000000000000', 0)])[1],
                                           [n * if(q0 < toDecimal128('100000000000000000000', 0), q0, toDecimal128('100000000000000000000', 0)) + q1])[1],
                                       [(t3 - (t3 / d) * d) * toDecimal128(100, 0)])[1],
                                   [(t2 - (t2 / d) * d) * toDecimal128(100000000, 0)])[1],
                               [(t1 - q1 * d) * toDecimal128(100000000, 0)])[1],
                           [t1 / d])[1],
                       [(w - q0 * d) * n])[1],
                   [w / d])[1],
               [if(s_ok, s, toDecimal128(1, 0))])[1],
           [toDecimal128(if(c < 100000000, c, 1), 0)], [s > toDecimal128(0, 0) AND s < toDecimal128('1000000000000000000000000000000', 0)])[1],
       [toDecimal128(monthly_wage, 0) * toDecimal128('1000000000000000000', 0)
            + toDecimal128((monthly_wage - toDecimal128(toDecimal128(monthly_wage, 0), 18)) * toDecimal128('1000000000000000000', 0), 0)],
       [toDecimal128(_p_sum, 0) * toDecimal128('1000000000000000000', 0)
            + toDecimal128((_p_sum - toDecimal128(toDecimal128(_p_sum, 0), 18)) * toDecimal128('1000000000000000000', 0), 0)],
       [_p_count])[1] AS litres_per_monthly_wage
FROM
(
    SELECT month, country, currency, region, product,
           toDecimal128(anyIf(_text, _kind = 0), 18) AS _p_sum, sumIf(_count, _kind = 0) AS _p_count,
           groupArrayIf(_w, _kind = 1) AS _w_all,
           arrayFilter((j, k) -> k = 1 OR _w_all[j][2] != _w_all[_w_order[k - 1]][2] OR _w_all[j][3] != _w_all[_w_order[k - 1]][3],
                       arraySort((j, w) -> (w[2], w[3], w[1] != region, 0 - toInt64(toRelativeDayNum(toDate(w[7]))), w[4], w[5], w[6]),
                                 arrayEnumerate(_w_all), _w_all) AS _w_order,
                       arrayEnumerate(_w_order)) AS _w_picks
    FROM
    (
        SELECT toUInt8(0) AS _kind, month, country, currency, region, product,
               toString(sum(assumeNotNull(_p_litre))) AS _text, count() AS _count, emptyArrayString() AS _w
        FROM
        (
            SELECT toStartOfMonth(date) AS month, country, region, product, currency,
                   if(argMax(isNull(price_per_litre), (published_at, published_ns, _version)), NULL, argMax(price_per_litre, (published_at, published_ns, _version))) AS _p_litre
            FROM econ.fuel_prices_data
            WHERE tax_basis = 'incl_tax'
            GROUP BY country, region, product, tax_basis, currency, unit, source, frequency, date
        )
        WHERE _p_litre IS NOT NULL
        GROUP BY month, country, region, product, currency
        UNION ALL
        SELECT toUInt8(1) AS _kind, addMonths(toDate('1970-01-01'), _w_m - 23641) AS month, country, currency, region, product,
               '' AS _text, toUInt64(0) AS _count, _w
        FROM
        (
            SELECT country, currency, region, product,
                   arrayReduce('groupArrayArray',
                               arrayMap((lo, n) -> arrayMap(x -> lo + x, range(n)), arrayMap(f -> greatest(f, _k_from), _w_froms),
                                        arrayMap((w, f, u) -> toUInt64(if(w[1] = region OR w[1] = '', greatest(least(u, _k_until) - greatest(f, _k_from), 0), 0)),
                                                 _w_obs, _w_froms, _w_untils) AS _w_ns)) AS _f_months,
                   arrayReduce('groupArrayArray', arrayMap((w, n) -> arrayResize([w], n, w), _w_obs, _w_ns)) AS _f_obs
            FROM
            (
                SELECT country, currency,
                       groupArrayIf(_a, _kind = 0) AS _k_regions,
                       groupArrayIf(_b, _kind = 0) AS _k_products,
                       groupArrayIf(_from, _kind = 0) AS _k_froms,
                       groupArrayIf(_until, _kind = 0) AS _k_untils,
                       arraySort(w -> (w[1], w[2], w[3], w[4], w[5], w[6], w[7]), groupArrayIf(_w, _kind = 1)) AS _w_obs,
                       arrayMap(w -> toInt64(toYear(toDate(w[7])) * 12 + toMonth(toDate(w[7]))), _w_obs) AS _w_froms,
                       arrayMap((w, x) -> if(x[1] = w[1] AND x[2] = w[2] AND x[3] = w[3] AND x[4] = w[4] AND x[5] = w[5] AND x[6] = w[6],
                                             toInt64(toYear(toDate(x[7])) * 12 + toMonth(toDate(x[7]))), toInt64(2100 * 12 + 1)),
                                _w_obs, arrayResize(arrayPushBack(arrayPopFront(_w_obs), ['', '', '', '', '', '', '2100-01-01', '']), length(_w_obs))) AS _w_untils
                FROM
                (
                    SELECT toUInt8(0) AS _kind, country, currency, region AS _a, product AS _b, emptyArrayString() AS _w,
                           toInt64(toYear(minMerge(first_month)) * 12 + toMonth(minMerge(first_month))) AS _from,
                           toInt64(toYear(maxMerge(last_month)) * 12 + toMonth(maxMerge(last_month))) + 1 AS _until
                    FROM econ.fuel_price_keys
                    GROUP BY country, currency, region, product
                    UNION ALL
                    SELECT toUInt8(1) AS _kind, country, currency, '' AS _a, '' AS _b,
                           [region, measure, basis, source, per, frequency, toString(date),
                            toString(assumeNotNull(if(argMax(isNull(monthly_amount), (published_at, published_ns, _version)), NULL, argMax(monthly_amount, (published_at, published_ns, _version)))))] AS _w,
                           toInt64(0) AS _from, toInt64(0) AS _until
                    FROM econ.wages_data
                    GROUP BY country, region, measure, basis, per, currency, source, frequency, date
                    HAVING if(argMax(isNull(monthly_amount), (published_at, published_ns, _version)), NULL, argMax(monthly_amount, (published_at, published_ns, _version))) IS NOT NULL
                )
                GROUP BY country, currency
            )
            ARRAY JOIN _k_regions AS region, _k_products AS product, _k_froms AS _k_from, _k_untils AS _k_until
        )
        ARRAY JOIN _f_months AS _w_m, _f_obs AS _w
    )
    GROUP BY month, country, currency, region, product
)
ARRAY JOIN _w_picks AS _w_i
WHERE _p_count > 0;

