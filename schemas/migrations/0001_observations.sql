-- Storage of every vintage of every observation. One row per (identity, published_at):
-- ReplacingMergeTree(_version) keeps the row with the greatest _version, so a re-delivered
-- message or a re-conversion replaces the row instead of adding one. Views read it with FINAL,
-- so they are exact before any merge. The tables are not partitioned: one batch of a backfill
-- spans decades of dates, and a table partitioned by year gets a new part per year per insert.
CREATE TABLE IF NOT EXISTS econ.fuel_prices_data (
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
    status String,
    attributes String,
    record_id String,
    kafka_topic String,
    kafka_partition Int32,
    kafka_offset Int64,
    ingested_at DateTime('UTC'),
    _version UInt64
) ENGINE = ReplacingMergeTree(_version)
ORDER BY (country, region, product, tax_basis, currency, unit, source, frequency, date, published_at);

CREATE TABLE IF NOT EXISTS econ.wages_data (
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
    status String,
    attributes String,
    record_id String,
    kafka_topic String,
    kafka_partition Int32,
    kafka_offset Int64,
    ingested_at DateTime('UTC'),
    _version UInt64
) ENGINE = ReplacingMergeTree(_version)
ORDER BY (country, region, measure, basis, per, currency, source, frequency, date, published_at);

CREATE TABLE IF NOT EXISTS econ.fx_rates_data (
    source String,
    base String,
    quote String,
    rate_type String,
    frequency String,
    date Date,
    published_at DateTime('UTC'),
    rate Decimal(38, 18),
    quantity UInt64,
    unit_mult Int8,
    status String,
    attributes String,
    record_id String,
    kafka_topic String,
    kafka_partition Int32,
    kafka_offset Int64,
    ingested_at DateTime('UTC'),
    _version UInt64
) ENGINE = ReplacingMergeTree(_version)
ORDER BY (base, quote, rate_type, source, frequency, date, published_at);

-- Rejected messages, one row per Kafka offset: a re-delivered bad message replaces its row.
-- Unpartitioned, so that a re-delivery in a later month still replaces the earlier row.
CREATE TABLE IF NOT EXISTS econ.rejects_data (
    received_at DateTime('UTC'),
    kafka_topic String,
    kafka_partition Int32,
    kafka_offset Int64,
    key String,
    value String,
    error_code String,
    error String,
    _version UInt64
) ENGINE = ReplacingMergeTree(_version)
ORDER BY (kafka_topic, kafka_partition, kafka_offset);
