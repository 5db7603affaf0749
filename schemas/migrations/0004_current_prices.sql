-- The most recent observation of every fuel price series: the latest vintage of its latest date.
CREATE VIEW IF NOT EXISTS econ.fuel_prices_current AS
SELECT *
FROM econ.fuel_prices
ORDER BY date DESC
LIMIT 1 BY country, region, product, tax_basis, currency, unit, source, frequency;
