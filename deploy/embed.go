// Package deploy carries the service scripts that install, start and stop the local
// ClickHouse server and the single-node Apache Kafka broker used for development and CI.
//
// The scripts are embedded so the econflow binary can run them when it is started outside
// the repository: write them to a temporary directory (mode 0755 for the scripts), then run
// e.g. `bash <dir>/kafka.sh start`. kafka.sh finds pom.xml next to itself, or through the
// environment variable ECONFLOW_KAFKA_POM. See README.md in this directory for the
// commands, environment variables, ports and paths.
package deploy

import _ "embed"

// ClickHouseScript is clickhouse.sh: `bash clickhouse.sh {install|start|stop|status|wait}`
// manages a loopback-only clickhouse-server (Debian's package; native port 9000, HTTP
// 8123). start and install need root; status exits 0 when the server answers SELECT 1.
//
//go:embed clickhouse.sh
var ClickHouseScript []byte

// KafkaScript is kafka.sh: `bash kafka.sh {install|start|stop|status|wait}` fetches the
// Apache Kafka jars from Maven Central (using KafkaPOM) and runs a single-node KRaft broker
// on 127.0.0.1:19092 (KAFKA_PORT overrides). It looks for pom.xml in $ECONFLOW_KAFKA_POM,
// else next to the script, so write KafkaPOM beside it or set that variable.
//
//go:embed kafka.sh
var KafkaScript []byte

// KafkaPOM is pom.xml: the Maven dependency list (org.apache.kafka:kafka_2.13, kafka-tools
// and a log4j2 SLF4J binding) that kafka.sh copies into its jar cache with
// `mvn dependency:copy-dependencies`. Nothing is built from it.
//
//go:embed pom.xml
var KafkaPOM []byte
