// Package grafana holds econflow's Grafana provisioning: a data source file for the ClickHouse
// plugin (grafana-clickhouse-datasource) and Prometheus (provisioning/datasources), a dashboard
// provider (provisioning/dashboards) and the dashboards (dashboards/*.json: prices,
// affordability, exchange rates over the SQL views; operations over the consumer's Prometheus
// metrics). README.md in this directory says how to install them. The files are embedded so
// that tools can write them out; the tests check their structure and run every panel's SQL
// against ClickHouse.
package grafana

import "embed"

// Files are the provisioning files and the dashboards, under provisioning/ and dashboards/.
//
//go:embed provisioning dashboards
var Files embed.FS
