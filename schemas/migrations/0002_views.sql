-- The SQL surface of CONTRACT §5. History views: every vintage, deduplicated with FINAL.
-- Latest views: per identity, the vintage with the greatest published_at. Both are exact
-- whether or not parts have merged.
CREATE VIEW IF NOT EXISTS econ.fuel_prices_history AS
SELECT source, country, region, product, tax_basis, frequency, date, price, currency, unit, unit_mult,
       price_per_litre, price_per_kg, price_eur, price_per_litre_eur, price_per_kg_eur,
       fx_rate, fx_date, fx_path, fx_status, status, published_at, record_id, attributes,
       kafka_topic, kafka_partition, kafka_offset, ingested_at
FROM econ.fuel_prices_data FINAL;

CREATE VIEW IF NOT EXISTS econ.fuel_prices AS
SELECT source, country, region, product, tax_basis, frequency, date, price, currency, unit, unit_mult,
       price_per_litre, price_per_kg, price_eur, price_per_litre_eur, price_per_kg_eur,
       fx_rate, fx_date, fx_path, fx_status, status, published_at, record_id, attributes
FROM (SELECT * FROM econ.fuel_prices_data FINAL)
ORDER BY published_at DESC
LIMIT 1 BY country, region, product, tax_basis, currency, unit, source, frequency, date;

CREATE VIEW IF NOT EXISTS econ.wages_history AS
SELECT source, country, region, measure, basis, per, frequency, date, amount, currency, unit_mult,
       amount_eur, monthly_amount, monthly_amount_eur, fx_rate, fx_date, fx_path, fx_status,
       status, published_at, record_id, attributes,
       kafka_topic, kafka_partition, kafka_offset, ingested_at
FROM econ.wages_data FINAL;

CREATE VIEW IF NOT EXISTS econ.wages AS
SELECT source, country, region, measure, basis, per, frequency, date, amount, currency, unit_mult,
       amount_eur, monthly_amount, monthly_amount_eur, fx_rate, fx_date, fx_path, fx_status,
       status, published_at, record_id, attributes
FROM (SELECT * FROM econ.wages_data FINAL)
ORDER BY published_at DESC
LIMIT 1 BY country, region, measure, basis, per, currency, source, frequency, date;

CREATE VIEW IF NOT EXISTS econ.fx_rates_history AS
SELECT source, base, quote, rate_type, frequency, date, rate, quantity, unit_mult, status,
       published_at, record_id, attributes,
       kafka_topic, kafka_partition, kafka_offset, ingested_at
FROM econ.fx_rates_data FINAL;

CREATE VIEW IF NOT EXISTS econ.fx_rates AS
SELECT source, base, quote, rate_type, frequency, date, rate, quantity, unit_mult, status,
       published_at, record_id, attributes
FROM (SELECT * FROM econ.fx_rates_data FINAL)
ORDER BY published_at DESC
LIMIT 1 BY base, quote, rate_type, source, frequency, date;

CREATE VIEW IF NOT EXISTS econ.rejects AS
SELECT received_at, kafka_topic, kafka_partition, kafka_offset, key, value, error_code, error
FROM econ.rejects_data FINAL;
