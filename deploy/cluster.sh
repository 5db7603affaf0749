#!/usr/bin/env bash
# cluster.sh — a local test cluster on loopback for econflow's cluster mode: one ZooKeeper
# (Debian's zookeeper package), four ClickHouse 18.16 servers (2 shards × 2 replicas, cluster
# `econflow`) and a three-node Apache Kafka 4.4 KRaft cluster (jars from Maven Central, as
# kafka.sh fetches them). Sized for a small machine: small heaps, one ZooKeeper.
#
# Run `cluster.sh --help` for usage. See deploy/README.md and docs/cluster.md for details.
set -euo pipefail

PROG=${0##*/}
SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

HOST=127.0.0.1
ROOT=${ECONFLOW_CLUSTER_DIR:-/var/tmp/econflow-cluster}
ROOT=${ROOT%/}
CLUSTER=${ECONFLOW_CLUSTER_NAME:-econflow}

ZK_PORT=${CLUSTER_ZK_PORT:-12181}
ZK_HEAP=${CLUSTER_ZK_HEAP:--Xms128m -Xmx128m}
ZK_JAR=${CLUSTER_ZK_JAR:-/usr/share/java/zookeeper.jar}
ZK_LOG_JAR=${CLUSTER_ZK_LOG_JAR:-/usr/share/java/slf4j-simple.jar}

CH_SERVER_BIN=${CLICKHOUSE_SERVER_BIN:-/usr/sbin/clickhouse-server}
CH_CLIENT_BIN=${CLICKHOUSE_CLIENT_BIN:-clickhouse-client}
CH_USER=clickhouse
# Node i (1…4) listens on TCP base+i, HTTP base+i and interserver base+i. Nodes 1, 2 are the
# replicas of shard 1; nodes 3, 4 those of shard 2.
CH_TCP_BASE=${CLUSTER_CH_TCP_BASE:-9100}
CH_HTTP_BASE=${CLUSTER_CH_HTTP_BASE:-8200}
CH_INTERSERVER_BASE=${CLUSTER_CH_INTERSERVER_BASE:-9200}
CH_NODES=(ch-s1-r1 ch-s1-r2 ch-s2-r1 ch-s2-r2)
# A replica further behind than this (seconds) does not count as serving.
CH_MAX_DELAY=${CLUSTER_CH_MAX_DELAY:-86400}

KAFKA_HOME=${ECONFLOW_KAFKA_HOME:-${HOME:-/root}/.cache/econflow/kafka}
LIBS_DIR=$KAFKA_HOME/libs
KAFKA_BASE=${CLUSTER_KAFKA_BASE:-29091}                 # broker n: client port base+n
KAFKA_CONTROLLER_BASE=${CLUSTER_KAFKA_CONTROLLER_BASE:-29191} # broker n: controller port base+n
KAFKA_HEAP=${CLUSTER_KAFKA_HEAP:--Xms128m -Xmx256m}
KAFKA_NODES=(kafka-1 kafka-2 kafka-3)

START_TIMEOUT=${CLUSTER_START_TIMEOUT:-180}
STOP_TIMEOUT=${CLUSTER_STOP_TIMEOUT:-30}

usage() {
	cat <<EOF
Usage: $PROG {install|start|stop|status|env|clean|--help}
       $PROG {start-node|stop-node|kill-node} NODE

A local econflow test cluster on $HOST only:
  zookeeper   ZooKeeper (standalone)          client port $ZK_PORT
  ch-s1-r1    ClickHouse shard 1 replica 1    native $((CH_TCP_BASE + 1)), HTTP $((CH_HTTP_BASE + 1)), interserver $((CH_INTERSERVER_BASE + 1))
  ch-s1-r2    ClickHouse shard 1 replica 2    native $((CH_TCP_BASE + 2)), HTTP $((CH_HTTP_BASE + 2)), interserver $((CH_INTERSERVER_BASE + 2))
  ch-s2-r1    ClickHouse shard 2 replica 1    native $((CH_TCP_BASE + 3)), HTTP $((CH_HTTP_BASE + 3)), interserver $((CH_INTERSERVER_BASE + 3))
  ch-s2-r2    ClickHouse shard 2 replica 2    native $((CH_TCP_BASE + 4)), HTTP $((CH_HTTP_BASE + 4)), interserver $((CH_INTERSERVER_BASE + 4))
  kafka-1…3   Kafka brokers (KRaft, each also a controller; quorum of 3)
              client ports $((KAFKA_BASE + 1)), $((KAFKA_BASE + 2)), $((KAFKA_BASE + 3)); controller ports $((KAFKA_CONTROLLER_BASE + 1)), $((KAFKA_CONTROLLER_BASE + 2)), $((KAFKA_CONTROLLER_BASE + 3))
The ClickHouse cluster is named '$CLUSTER' (remote_servers, internal_replication=true);
macros {shard} = 1|2 and {replica} = the node name; distributed DDL on. A second cluster,
'${CLUSTER}_shard_down', has shard 1 and a shard on port $((CH_TCP_BASE + 9)), where nothing
listens (for tests of writes while a shard is down).
Kafka: default.replication.factor=3, min.insync.replicas=2, offsets.topic.replication.factor=3.

Commands:
  install     apt-get install zookeeper, clickhouse-server and clickhouse-client if missing
              (needs root), and fetch the Kafka jars as kafka.sh does.
  start       start every node that is not running, then wait until all of them serve:
              ZooKeeper's 'srvr' shows Mode, every ClickHouse answers, lists 4 hosts in
              system.clusters, has every replicated table attached and writable, an ON CLUSTER
              DDL round-trips on all 4, and every broker's metadata lists 3 brokers.
  stop        stop the brokers, the ClickHouse servers, then ZooKeeper (SIGTERM; SIGKILL after
              ${STOP_TIMEOUT}s). Data is kept. Succeeds if nothing runs.
  status      one line per node (state, pid, RSS); exit 0 only if every node serves.
  env         print shell assignments of the cluster's addresses (eval "\$($PROG env)").
  clean       delete $ROOT (refuses while a node runs).
  start-node NODE  start one node and wait until it serves (a ClickHouse node: also its
              replicated tables writable; a broker: listed by its own metadata).
  stop-node NODE   SIGTERM one node and wait for it to exit.
  kill-node NODE   SIGKILL one node (for fault tests).
NODE: zookeeper, ${CH_NODES[*]}, ${KAFKA_NODES[*]}.

Environment:
  ECONFLOW_CLUSTER_DIR    data, configs, logs and pid files (default /var/tmp/econflow-cluster)
  ECONFLOW_CLUSTER_NAME   ClickHouse cluster name (default econflow)
  ECONFLOW_KAFKA_HOME     Kafka jar cache shared with kafka.sh (default \$HOME/.cache/econflow/kafka)
  CLUSTER_ZK_PORT         ZooKeeper client port (default 12181)
  CLUSTER_CH_TCP_BASE / CLUSTER_CH_HTTP_BASE / CLUSTER_CH_INTERSERVER_BASE
                          ClickHouse port bases; node i uses base+i (defaults 9100 / 8200 / 9200)
  CLUSTER_KAFKA_BASE / CLUSTER_KAFKA_CONTROLLER_BASE
                          Kafka port bases; broker n uses base+n (defaults 29091 / 29191)
  CLUSTER_ZK_HEAP         ZooKeeper JVM heap flags (default "-Xms128m -Xmx128m")
  CLUSTER_KAFKA_HEAP      each broker's JVM heap flags (default "-Xms128m -Xmx256m")
  CLUSTER_START_TIMEOUT   seconds to wait for the cluster to serve (default 180)
  CLUSTER_STOP_TIMEOUT    seconds to wait after SIGTERM before SIGKILL (default 30)

Layout: $ROOT/<node>/ holds each node's config, data, log and pid file.
Logs:   zookeeper/zookeeper.log, ch-*/log/clickhouse-server{,.err}.log, kafka-*/logs/server.log
EOF
}

log() { printf '%s: %s\n' "$PROG" "$*"; }
die() {
	printf '%s: error: %s\n' "$PROG" "$*" >&2
	exit 1
}
is_root() { [ "$(id -u)" -eq 0 ]; }

# now_ms: milliseconds since the epoch, for the timings printed by start and stop.
now_ms() { date +%s%3N; }
elapsed() { local ms=$(($(now_ms) - $1)); printf '%d.%01ds' $((ms / 1000)) $((ms % 1000 / 100)); }

# take_lock FILE: serialize runs of this script (fd 9). Servers are launched with fd 9 closed.
take_lock() {
	command -v flock >/dev/null 2>&1 || return 0
	mkdir -p "$ROOT" 2>/dev/null || return 0
	# The redirection of the probe applies to eval only; exec's 9>> stays for the shell.
	eval 'exec 9>>"$1"' 2>/dev/null || return 0
	flock -w 300 9 || die "could not lock $1 within 300s (another $PROG still running?)"
}

# port_open PORT: true if something accepts TCP connections on HOST:PORT.
port_open() {
	# shellcheck disable=SC2016 # $0/$1 belong to the inner shell
	timeout 2 bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$HOST" "$1" 2>/dev/null
}

read_pid() {
	[ -r "$1" ] || return 0
	tr -dc '0-9' <"$1"
}

# proc_running PID PATTERN: true if PID is alive, not a zombie, and its command line matches
# PATTERN (so a recycled pid is never mistaken for a node).
proc_running() {
	local pid=$1 pattern=$2 state
	[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
	state=$(sed -n 's/^State:[[:space:]]*\([A-Z]\).*/\1/p' "/proc/$pid/status" 2>/dev/null || true)
	[ "$state" != Z ] || return 1
	tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- "$pattern"
}

rss_mb() {
	local kb
	kb=$(sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\).*/\1/p' "/proc/$1/status" 2>/dev/null || true)
	echo $((${kb:-0} / 1024))
}

# ---------------------------------------------------------------------------------------------
# install

APT_UPDATED=0
apt_install() {
	is_root || die "missing $*; as root run: apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $*"
	command -v apt-get >/dev/null 2>&1 || die "missing $* and no apt-get; install them yourself"
	local aptlog
	aptlog=$(mktemp "${TMPDIR:-/tmp}/econflow-cluster-apt.XXXXXX")
	export DEBIAN_FRONTEND=noninteractive
	log "install: apt-get installing $* (log: $aptlog)"
	if [ "$APT_UPDATED" -eq 0 ]; then
		apt-get update >>"$aptlog" 2>&1 || {
			tail -n 20 "$aptlog" >&2
			die "apt-get update failed (full log: $aptlog)"
		}
		APT_UPDATED=1
	fi
	apt-get install -y --no-install-recommends "$@" >>"$aptlog" 2>&1 || {
		tail -n 20 "$aptlog" >&2
		die "apt-get install $* failed (full log: $aptlog)"
	}
	rm -f "$aptlog"
}

cmd_install() {
	local -a pkgs=()
	[ -r "$ZK_JAR" ] || pkgs+=(zookeeper)
	[ -x "$CH_SERVER_BIN" ] || pkgs+=(clickhouse-server)
	command -v "$CH_CLIENT_BIN" >/dev/null 2>&1 || pkgs+=(clickhouse-client)
	if [ ${#pkgs[@]} -gt 0 ]; then
		apt_install "${pkgs[@]}"
	fi
	[ -r "$ZK_JAR" ] || die "install: $ZK_JAR is still missing (package zookeeper)"
	[ -r "$ZK_LOG_JAR" ] || apt_install libslf4j-java
	# The Kafka jars: the same cache and the same fetch as kafka.sh.
	ECONFLOW_KAFKA_HOME=$KAFKA_HOME bash "$SCRIPT_DIR/kafka.sh" install 9>&-
	log "install: zookeeper, clickhouse-server $(dpkg-query -W -f='${Version}' clickhouse-server 2>/dev/null || echo '?') and the Kafka jars are present"
}

need_installed() {
	if [ ! -r "$ZK_JAR" ] || [ ! -r "$ZK_LOG_JAR" ] || [ ! -x "$CH_SERVER_BIN" ] ||
		! command -v "$CH_CLIENT_BIN" >/dev/null 2>&1 || [ ! -f "$LIBS_DIR/.complete" ]; then
		cmd_install
	fi
	command -v java >/dev/null 2>&1 || die "java not found (Kafka 4.x and ZooKeeper need Java 17+)"
}

# ---------------------------------------------------------------------------------------------
# ZooKeeper

ZK_DIR=$ROOT/zookeeper
ZK_PID=$ZK_DIR/zookeeper.pid

zk_pid() { read_pid "$ZK_PID"; }
zk_running() { proc_running "$(zk_pid)" 'org.apache.zookeeper.server'; }

# zk_cmd WORD: send a four-letter word to ZooKeeper and print the answer.
zk_cmd() {
	# shellcheck disable=SC2016 # $0/$1/$2 belong to the inner shell
	timeout 3 bash -c 'exec 3<>"/dev/tcp/$0/$1" || exit 1; printf "%s" "$2" >&3; cat <&3' \
		"$HOST" "$ZK_PORT" "$1" 2>/dev/null
}

# zk_serving: ZooKeeper answers `imok` about half a second before it serves sessions; `srvr`
# shows `Mode:` only once it does.
zk_serving() { zk_cmd srvr | grep -q '^Mode: '; }

zk_start() {
	if zk_serving; then
		return 0
	fi
	if zk_running; then
		log "zookeeper: pid $(zk_pid) is running but not serving yet; waiting"
	else
		port_open "$ZK_PORT" && die "zookeeper: $HOST:$ZK_PORT is in use by something that is not serving ZooKeeper; free it or set CLUSTER_ZK_PORT"
		mkdir -p "$ZK_DIR/data"
		cat >"$ZK_DIR/zoo.cfg" <<EOF
# Generated by econflow deploy/cluster.sh; rewritten on every start.
tickTime=2000
initLimit=10
syncLimit=5
dataDir=$ZK_DIR/data
clientPort=$ZK_PORT
clientPortAddress=$HOST
maxClientCnxns=200
admin.enableServer=false
4lw.commands.whitelist=srvr,ruok,mntr,stat,conf
autopurge.snapRetainCount=3
autopurge.purgeInterval=1
EOF
		# shellcheck disable=SC2016,SC2086 # $1/$$ are for the inner shell; ZK_HEAP is a flag list
		setsid bash -c 'pidfile=$1; shift; echo $$ >"$pidfile"; exec "$@"' econflow-zookeeper "$ZK_PID" \
			java $ZK_HEAP -XX:+UseSerialGC -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true \
			-Dorg.slf4j.simpleLogger.showDateTime=true \
			-Dorg.slf4j.simpleLogger.dateTimeFormat="yyyy-MM-dd HH:mm:ss.SSS" \
			-Dzookeeper.4lw.commands.whitelist=srvr,ruok,mntr,stat,conf \
			-cp "$ZK_JAR:$ZK_LOG_JAR" org.apache.zookeeper.server.quorum.QuorumPeerMain "$ZK_DIR/zoo.cfg" \
			</dev/null >>"$ZK_DIR/zookeeper.log" 2>&1 9>&- &
		wait_pid_file "$ZK_PID" || die "zookeeper: the launcher wrote no pid to $ZK_PID"
	fi
	local deadline=$((SECONDS + 60))
	until zk_serving; do
		if ! zk_running; then
			tail -n 20 "$ZK_DIR/zookeeper.log" >&2 || true
			die "zookeeper: exited during startup (log $ZK_DIR/zookeeper.log)"
		fi
		[ "$SECONDS" -lt "$deadline" ] || die "zookeeper: not serving on $HOST:$ZK_PORT within 60s (log $ZK_DIR/zookeeper.log)"
		sleep 0.1
	done
}

wait_pid_file() {
	local _
	for _ in $(seq 1 100); do
		[ -n "$(read_pid "$1")" ] && return 0
		sleep 0.05
	done
	return 1
}

# stop_pid NAME PIDFILE PATTERN SIGNAL: signal a node and wait for it to exit (SIGKILL after
# STOP_TIMEOUT).
stop_pid() {
	local name=$1 pidfile=$2 pattern=$3 sig=$4 pid deadline
	pid=$(read_pid "$pidfile")
	if ! proc_running "$pid" "$pattern"; then
		rm -f "$pidfile"
		return 0
	fi
	kill "-$sig" "$pid" 2>/dev/null || true
	deadline=$((SECONDS + STOP_TIMEOUT))
	while proc_running "$pid" "$pattern" && [ "$SECONDS" -lt "$deadline" ]; do
		sleep 0.1
	done
	if proc_running "$pid" "$pattern"; then
		log "$name: pid $pid still alive after ${STOP_TIMEOUT}s; sending SIGKILL"
		kill -KILL "$pid" 2>/dev/null || true
		sleep 0.5
		proc_running "$pid" "$pattern" && die "$name: pid $pid survived SIGKILL"
	fi
	rm -f "$pidfile"
}

zk_stop() { stop_pid zookeeper "$ZK_PID" 'org.apache.zookeeper.server' "${1:-TERM}"; }

# ---------------------------------------------------------------------------------------------
# ClickHouse

# ch_index NAME: 1…4 for ch-s1-r1…ch-s2-r2.
ch_index() {
	local i
	for i in "${!CH_NODES[@]}"; do
		[ "${CH_NODES[$i]}" = "$1" ] && {
			echo $((i + 1))
			return 0
		}
	done
	return 1
}
ch_port() { echo $((CH_TCP_BASE + $(ch_index "$1"))); }
ch_dir() { echo "$ROOT/$1"; }
ch_pidfile() { echo "$ROOT/$1/clickhouse.pid"; }
ch_pid() { read_pid "$(ch_pidfile "$1")"; }
ch_running() { proc_running "$(ch_pid "$1")" 'clickhouse'; }

# ch_query NAME SQL [client options…]: run SQL on a node, TabSeparated output.
ch_query() {
	local name=$1 sql=$2
	shift 2
	timeout 30 "$CH_CLIENT_BIN" --host "$HOST" --port "$(ch_port "$name")" "$@" --query "$sql"
}
ch_answering() { ch_query "$1" 'SELECT 1' >/dev/null 2>&1; }

ch_write_config() {
	local name=$1 i d shard n rn shard_no
	i=$(ch_index "$name")
	d=$(ch_dir "$name")
	shard=$(((i + 1) / 2))
	mkdir -p "$d/data" "$d/log"
	{
		cat <<EOF
<?xml version="1.0"?>
<!-- Generated by econflow deploy/cluster.sh for node $name; rewritten on every start. -->
<yandex>
    <logger>
        <level>information</level>
        <log>$d/log/clickhouse-server.log</log>
        <errorlog>$d/log/clickhouse-server.err.log</errorlog>
        <size>50M</size>
        <count>2</count>
    </logger>
    <listen_host>$HOST</listen_host>
    <tcp_port>$((CH_TCP_BASE + i))</tcp_port>
    <http_port>$((CH_HTTP_BASE + i))</http_port>
    <interserver_http_port>$((CH_INTERSERVER_BASE + i))</interserver_http_port>
    <!-- Replicas fetch parts from each other at this address (default: the hostname). -->
    <interserver_http_host>$HOST</interserver_http_host>
    <max_connections>1024</max_connections>
    <keep_alive_timeout>3</keep_alive_timeout>
    <max_concurrent_queries>100</max_concurrent_queries>
    <uncompressed_cache_size>268435456</uncompressed_cache_size>
    <mark_cache_size>268435456</mark_cache_size>
    <path>$d/data/</path>
    <tmp_path>$d/data/tmp/</tmp_path>
    <user_files_path>$d/data/user_files/</user_files_path>
    <format_schema_path>$d/data/format_schemas/</format_schema_path>
    <users_config>$d/users.xml</users_config>
    <default_profile>default</default_profile>
    <default_database>default</default_database>
    <mlock_executable>false</mlock_executable>
    <builtin_dictionaries_reload_interval>3600</builtin_dictionaries_reload_interval>
    <max_session_timeout>3600</max_session_timeout>
    <default_session_timeout>60</default_session_timeout>
    <remote_servers>
        <$CLUSTER>
EOF
		for shard_no in 1 2; do
			printf '            <shard>\n                <internal_replication>true</internal_replication>\n'
			for rn in 1 2; do
				n=$(((shard_no - 1) * 2 + rn))
				printf '                <replica><host>%s</host><port>%d</port></replica>\n' "$HOST" $((CH_TCP_BASE + n))
			done
			printf '            </shard>\n'
		done
		cat <<EOF
        </$CLUSTER>
        <!-- For tests: shard 1 of $CLUSTER and a shard 2 on a port nothing listens on. A
             synchronous INSERT through a Distributed table over it must fail. -->
        <${CLUSTER}_shard_down>
            <shard>
                <internal_replication>true</internal_replication>
                <replica><host>$HOST</host><port>$((CH_TCP_BASE + 1))</port></replica>
                <replica><host>$HOST</host><port>$((CH_TCP_BASE + 2))</port></replica>
            </shard>
            <shard>
                <internal_replication>true</internal_replication>
                <replica><host>$HOST</host><port>$((CH_TCP_BASE + 9))</port></replica>
            </shard>
        </${CLUSTER}_shard_down>
    </remote_servers>
    <zookeeper>
        <node><host>$HOST</host><port>$ZK_PORT</port></node>
        <session_timeout_ms>30000</session_timeout_ms>
        <operation_timeout_ms>10000</operation_timeout_ms>
    </zookeeper>
    <macros>
        <cluster>$CLUSTER</cluster>
        <shard>$shard</shard>
        <replica>$name</replica>
    </macros>
    <distributed_ddl>
        <path>/clickhouse/task_queue/ddl</path>
    </distributed_ddl>
</yandex>
EOF
	} >"$d/config.xml"
	cat >"$d/users.xml" <<EOF
<?xml version="1.0"?>
<!-- Generated by econflow deploy/cluster.sh; rewritten on every start. -->
<yandex>
    <profiles>
        <default>
            <max_memory_usage>4000000000</max_memory_usage>
            <use_uncompressed_cache>0</use_uncompressed_cache>
            <load_balancing>random</load_balancing>
            <!-- Push the views' outer WHERE into their subqueries (index use through views). -->
            <enable_optimize_predicate_expression>1</enable_optimize_predicate_expression>
            <!-- Sized for 2 cores shared by four servers (merges and replication fetches). -->
            <background_pool_size>4</background_pool_size>
        </default>
    </profiles>
    <users>
        <default>
            <password></password>
            <networks replace="replace">
                <ip>::1</ip>
                <ip>127.0.0.1</ip>
            </networks>
            <profile>default</profile>
            <quota>default</quota>
        </default>
    </users>
    <quotas>
        <default>
            <interval>
                <duration>3600</duration>
                <queries>0</queries>
                <errors>0</errors>
                <result_rows>0</result_rows>
                <read_rows>0</read_rows>
                <execution_time>0</execution_time>
            </interval>
        </default>
    </quotas>
</yandex>
EOF
	if is_root; then
		chown -R "$CH_USER:$CH_USER" "$d" || die "$name: cannot chown $d to $CH_USER"
	fi
}

# ch_launch NAME: start a ClickHouse node's daemon (does not wait).
ch_launch() {
	local name=$1 d pidfile
	d=$(ch_dir "$name")
	pidfile=$(ch_pidfile "$name")
	if ch_running "$name"; then
		return 0
	fi
	local p
	for p in $((CH_TCP_BASE + $(ch_index "$name"))) $((CH_HTTP_BASE + $(ch_index "$name"))) $((CH_INTERSERVER_BASE + $(ch_index "$name"))); do
		port_open "$p" && die "$name: $HOST:$p is already in use; free it or set the CLUSTER_CH_*_BASE ports"
	done
	rm -f "$pidfile"
	ch_write_config "$name"
	local -a run=()
	if is_root; then
		id -u "$CH_USER" >/dev/null 2>&1 || die "$name: user '$CH_USER' does not exist (the Debian package creates it)"
		run=(runuser -u "$CH_USER" --)
	fi
	# Run from the data dir: the server must be able to access its cwd.
	if ! (cd "$d/data" && "${run[@]}" "$CH_SERVER_BIN" --config-file="$d/config.xml" --daemon \
		--pid-file="$pidfile") >>"$d/log/launch.log" 2>&1 9>&-; then
		ch_show_log "$name"
		die "$name: clickhouse-server --daemon failed to launch"
	fi
	# The launcher returns before the daemon has written its pid: until it has, the node would
	# look as if it had exited during startup.
	wait_pid_file "$pidfile" || die "$name: clickhouse-server wrote no pid to $pidfile"
}

ch_show_log() {
	local d
	d=$(ch_dir "$1")
	if [ -r "$d/log/clickhouse-server.err.log" ]; then
		printf '%s: last lines of %s:\n' "$PROG" "$d/log/clickhouse-server.err.log" >&2
		tail -n 15 "$d/log/clickhouse-server.err.log" >&2 || true
	fi
	if [ -s "$d/log/stderr.log" ]; then
		grep -v -e '^Include not found' -e '^Logging .* to ' "$d/log/stderr.log" | tail -n 5 >&2 || true
	fi
}

# ch_replicas_ready NAME: every replicated table in the node's metadata is attached (listed in
# system.replicas), writable and replicating. A server that met ZooKeeper before it served may
# come up without its replicated tables and without an error; one restarted after SIGKILL
# within ZooKeeper's session timeout (30 s) finds its old session's "active" node and does not
# start replicating until that session expires, while it looks writable: its queue was never
# pulled, so its absolute_delay counts from 1970. Both are caught here.
ch_replicas_ready() {
	local name=$1 d want got
	d=$(ch_dir "$name")
	want=$(grep -l -s -E 'ENGINE = Replicated' "$d"/data/metadata/*/*.sql 2>/dev/null | wc -l)
	got=$(ch_query "$name" "SELECT count(), countIf(is_readonly OR is_session_expired OR absolute_delay > $CH_MAX_DELAY) FROM system.replicas" 2>/dev/null) || return 1
	[ "$got" = "$want	0" ]
}

# ch_ready NAME: the node answers, knows the 4 hosts of the cluster, reaches ZooKeeper and has
# its replicated tables attached and writable.
ch_ready() {
	local name=$1
	ch_answering "$name" || return 1
	[ "$(ch_query "$name" "SELECT count() FROM system.clusters WHERE cluster = '$CLUSTER'" 2>/dev/null)" = 4 ] || return 1
	ch_query "$name" "SELECT count() FROM system.zookeeper WHERE path = '/'" >/dev/null 2>&1 || return 1
	ch_replicas_ready "$name"
}

# ch_wait_ready NAME DEADLINE: wait until the node is ready; die with its log if it exits.
ch_wait_ready() {
	local name=$1 deadline=$2
	until ch_ready "$name"; do
		if ! ch_running "$name" && ! ch_answering "$name"; then
			ch_show_log "$name"
			die "$name: clickhouse-server exited during startup (logs in $(ch_dir "$name")/log)"
		fi
		if [ "$SECONDS" -ge "$deadline" ]; then
			ch_show_log "$name"
			die "$name: not ready within ${START_TIMEOUT}s: $(ch_why "$name")"
		fi
		sleep 0.2
	done
}

ch_why() {
	local name=$1
	ch_answering "$name" || {
		echo "does not answer SELECT 1 on $HOST:$(ch_port "$name")"
		return
	}
	echo "system.clusters rows for '$CLUSTER': $(ch_query "$name" "SELECT count() FROM system.clusters WHERE cluster = '$CLUSTER'" 2>&1 | head -n1);" \
		"replicas (attached, not writable or not replicating) $(ch_query "$name" "SELECT count(), countIf(is_readonly OR is_session_expired OR absolute_delay > $CH_MAX_DELAY) FROM system.replicas" 2>&1 | head -n1 | tr '\t' ' ')" \
		"of $(grep -l -s -E 'ENGINE = Replicated' "$(ch_dir "$name")"/data/metadata/*/*.sql 2>/dev/null | wc -l) in metadata"
}

# ch_ddl_roundtrip: an ON CLUSTER DDL reaches all 4 hosts and each reports success.
ch_ddl_roundtrip() {
	local probe=econflow_cluster_probe out q
	for q in "CREATE DATABASE IF NOT EXISTS $probe ON CLUSTER $CLUSTER" "DROP DATABASE IF EXISTS $probe ON CLUSTER $CLUSTER"; do
		out=$(ch_query "${CH_NODES[0]}" "$q" --distributed_ddl_task_timeout=60 2>&1) ||
			die "ON CLUSTER DDL failed: $q: $out"
		# One row per host: host, port, status, error, num_hosts_remaining, num_hosts_active.
		[ "$(printf '%s\n' "$out" | awk -F'\t' '$3 == 0' | wc -l)" = 4 ] ||
			die "ON CLUSTER DDL did not succeed on all 4 hosts: $q:
$out"
	done
}

ch_stop() { stop_pid "$1" "$(ch_pidfile "$1")" 'clickhouse' "${2:-TERM}"; }

# ---------------------------------------------------------------------------------------------
# Kafka

kafka_n() { echo "${1#kafka-}"; }
kafka_port() { echo $((KAFKA_BASE + $(kafka_n "$1"))); }
kafka_dir() { echo "$ROOT/$1"; }
kafka_pidfile() { echo "$ROOT/$1/kafka.pid"; }
kafka_running() { proc_running "$(read_pid "$(kafka_pidfile "$1")")" 'kafka\.Kafka'; }

# kafka_tool MAINCLASS ARGS…: run a Kafka tool class on the cached classpath.
kafka_tool() {
	java -Xmx256m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC \
		-Dlog4j2.configurationFile="$ROOT/kafka-tools-log4j2.properties" \
		-cp "$LIBS_DIR/*" "$@"
}

kafka_voters() {
	local n out=""
	for n in 1 2 3; do
		out+="${out:+,}$n@$HOST:$((KAFKA_CONTROLLER_BASE + n))"
	done
	echo "$out"
}

kafka_write_config() {
	local name=$1 n d
	n=$(kafka_n "$name")
	d=$(kafka_dir "$name")
	mkdir -p "$d/data" "$d/config" "$d/logs"
	cat >"$d/config/server.properties" <<EOF
# Generated by econflow deploy/cluster.sh; rewritten on every start.
process.roles=broker,controller
node.id=$n
controller.quorum.voters=$(kafka_voters)
listeners=PLAINTEXT://$HOST:$((KAFKA_BASE + n)),CONTROLLER://$HOST:$((KAFKA_CONTROLLER_BASE + n))
advertised.listeners=PLAINTEXT://$HOST:$((KAFKA_BASE + n))
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER
log.dirs=$d/data
num.partitions=3
auto.create.topics.enable=true
default.replication.factor=3
min.insync.replicas=2
offsets.topic.replication.factor=3
transaction.state.log.replication.factor=3
transaction.state.log.min.isr=2
share.coordinator.state.topic.replication.factor=3
share.coordinator.state.topic.min.isr=2
unclean.leader.election.enable=false
group.initial.rebalance.delay.ms=0
log.retention.hours=24
log.segment.bytes=67108864
log.retention.check.interval.ms=300000
num.network.threads=2
num.io.threads=2
num.replica.fetchers=1
num.recovery.threads.per.data.dir=1
# The log cleaner (compaction of __consumer_offsets) takes 128 MB of the heap by default, at
# start-up, in one piece: half the 256 MB heap of CLUSTER_KAFKA_HEAP. A restarted broker could
# die of it ("OutOfMemoryError: Java heap space" just as "Starting the log cleaner"). 16 MB
# holds some 700,000 keys, far more than a local cluster's offsets.
log.cleaner.dedupe.buffer.size=16777216
EOF
	cat >"$d/config/log4j2.properties" <<EOF
# Generated by econflow deploy/cluster.sh: broker logs go to a size-capped file.
status = warn
appender.file.type = RollingFile
appender.file.name = FILE
appender.file.fileName = $d/logs/server.log
appender.file.filePattern = $d/logs/server.log.%i
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
appender.file.policies.type = Policies
appender.file.policies.size.type = SizeBasedTriggeringPolicy
appender.file.policies.size.size = 50MB
appender.file.strategy.type = DefaultRolloverStrategy
appender.file.strategy.max = 2
rootLogger.level = INFO
rootLogger.appenderRef.file.ref = FILE
logger.request.name = kafka.request.logger
logger.request.level = WARN
logger.statechange.name = state.change.logger
logger.statechange.level = WARN
EOF
	cat >"$ROOT/kafka-tools-log4j2.properties" <<EOF
status = error
appender.err.type = Console
appender.err.name = STDERR
appender.err.target = SYSTEM_ERR
appender.err.layout.type = PatternLayout
appender.err.layout.pattern = %p %m%n
rootLogger.level = WARN
rootLogger.appenderRef.err.ref = STDERR
EOF
}

# kafka_format NAME: format a broker's storage once, with the cluster's one id.
kafka_format() {
	local name=$1 d cid out
	d=$(kafka_dir "$name")
	[ -f "$d/data/meta.properties" ] && return 0
	if [ -s "$ROOT/kafka.cluster.id" ]; then
		cid=$(cat "$ROOT/kafka.cluster.id")
	else
		cid=$(kafka_tool kafka.tools.StorageTool random-uuid 2>/dev/null | tail -n1) ||
			die "kafka: 'kafka.tools.StorageTool random-uuid' failed"
		[ -n "$cid" ] || die "kafka: StorageTool random-uuid printed nothing"
		printf '%s\n' "$cid" >"$ROOT/kafka.cluster.id"
	fi
	out=$(kafka_tool kafka.tools.StorageTool format --ignore-formatted \
		--config "$d/config/server.properties" --cluster-id "$cid" 2>&1) || {
		printf '%s\n' "$out" >&2
		die "$name: formatting storage in $d/data failed"
	}
}

kafka_launch() {
	local name=$1 d pidfile p
	d=$(kafka_dir "$name")
	pidfile=$(kafka_pidfile "$name")
	kafka_running "$name" && return 0
	for p in $(kafka_port "$name") $((KAFKA_CONTROLLER_BASE + $(kafka_n "$name"))); do
		port_open "$p" && die "$name: $HOST:$p is already in use; free it or set CLUSTER_KAFKA_BASE/CLUSTER_KAFKA_CONTROLLER_BASE"
	done
	rm -f "$pidfile"
	kafka_write_config "$name"
	kafka_format "$name"
	# shellcheck disable=SC2016,SC2086 # $1/$$ are for the inner shell; KAFKA_HEAP is a flag list
	setsid bash -c 'pidfile=$1; shift; echo $$ >"$pidfile"; exec "$@"' "econflow-$name" "$pidfile" \
		java $KAFKA_HEAP -server -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
		-XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true \
		-Dkafka.logs.dir="$d/logs" \
		-Dlog4j2.configurationFile="$d/config/log4j2.properties" \
		-cp "$LIBS_DIR/*" kafka.Kafka "$d/config/server.properties" \
		</dev/null >>"$d/logs/kafka.out" 2>&1 9>&- &
	wait_pid_file "$pidfile" || die "$name: the launcher wrote no pid to $pidfile"
}

# kafka_brokers PORT: how many brokers the Metadata (v4) answer of the broker on PORT lists,
# or nothing. Pure bash over /dev/tcp, no JVM.
kafka_brokers() {
	local hex
	# shellcheck disable=SC2016 # $0/$1 belong to the inner shell
	hex=$(timeout 3 bash -c '
		exec 3<>"/dev/tcp/$0/$1" || exit 1
		# size=17, api_key=3 (Metadata), version=4, correlation_id=1, client_id="hc",
		# topics=[] (none), allow_auto_topic_creation=false
		printf "\x00\x00\x00\x11\x00\x03\x00\x04\x00\x00\x00\x01\x00\x02hc\x00\x00\x00\x00\x00" >&3
		head -c 16 <&3
	' "$HOST" "$1" 2>/dev/null | od -An -tx1 | tr -d ' \n') || return 0
	# bytes 4..7 correlation id 1, 8..11 throttle time, 12..15 number of brokers
	[ "${hex:8:8}" = 00000001 ] || return 0
	echo $((16#${hex:24:8}))
}

kafka_show_log() {
	local d
	d=$(kafka_dir "$1")
	tail -n 5 "$d/logs/kafka.out" >&2 2>/dev/null || true
	grep -E '^\[[^]]*\] (ERROR|FATAL) ' "$d/logs/server.log" 2>/dev/null | tail -n 8 >&2 || true
}

# kafka_wait NAME WANT DEADLINE: wait until the broker's metadata lists at least WANT brokers.
kafka_wait() {
	local name=$1 want=$2 deadline=$3 got
	while :; do
		got=$(kafka_brokers "$(kafka_port "$name")")
		[ -n "$got" ] && [ "$got" -ge "$want" ] && return 0
		if ! kafka_running "$name"; then
			kafka_show_log "$name"
			die "$name: broker exited during startup (logs in $(kafka_dir "$name")/logs)"
		fi
		if [ "$SECONDS" -ge "$deadline" ]; then
			kafka_show_log "$name"
			die "$name: metadata on $HOST:$(kafka_port "$name") lists ${got:-no} brokers, want $want, after ${START_TIMEOUT}s"
		fi
		sleep 0.3
	done
}

kafka_stop() { stop_pid "$1" "$(kafka_pidfile "$1")" 'kafka\.Kafka' "${2:-TERM}"; }

# ---------------------------------------------------------------------------------------------
# commands

node_kind() {
	case $1 in
	zookeeper) echo zk ;;
	ch-s[12]-r[12]) echo ch ;;
	kafka-[123]) echo kafka ;;
	*) die "unknown node '$1' (want zookeeper, ${CH_NODES[*]}, ${KAFKA_NODES[*]})" ;;
	esac
}

cmd_start() {
	take_lock "$ROOT/.lock"
	need_installed
	local t0 name deadline
	t0=$(now_ms)
	deadline=$((SECONDS + START_TIMEOUT))
	mkdir -p "$ROOT"
	# The brokers need nothing else: launch them first, they take longest.
	for name in "${KAFKA_NODES[@]}"; do
		kafka_launch "$name"
	done
	zk_start
	log "start: zookeeper serving on $HOST:$ZK_PORT ($(elapsed "$t0"))"
	# Only now the ClickHouse servers: one started before ZooKeeper serves may come up without
	# its replicated tables.
	for name in "${CH_NODES[@]}"; do
		ch_launch "$name"
	done
	for name in "${CH_NODES[@]}"; do
		ch_wait_ready "$name" "$deadline"
	done
	ch_ddl_roundtrip
	log "start: clickhouse ${CH_NODES[*]} ready, cluster '$CLUSTER' has 4 hosts, ON CLUSTER DDL round-trips ($(elapsed "$t0"))"
	for name in "${KAFKA_NODES[@]}"; do
		kafka_wait "$name" 3 "$deadline"
	done
	log "start: kafka brokers ready on $HOST:$((KAFKA_BASE + 1))-$((KAFKA_BASE + 3)), each lists 3 brokers ($(elapsed "$t0"))"
	log "start: cluster ready in $(elapsed "$t0"); RSS $(total_rss) MB"
}

cmd_stop() {
	[ -d "$ROOT" ] || {
		log "stop: not running ($ROOT does not exist)"
		return 0
	}
	take_lock "$ROOT/.lock"
	local t0 name
	t0=$(now_ms)
	# All at once: brokers stopped one after the other hang in the last one's controlled shutdown
	# (its controller quorum is gone), while three SIGTERMs at once finish in seconds. ZooKeeper
	# goes last, after the servers that use it.
	local -a pids=()
	for name in "${KAFKA_NODES[@]}"; do
		kafka_stop "$name" &
		pids+=($!)
	done
	for name in "${CH_NODES[@]}"; do
		ch_stop "$name" &
		pids+=($!)
	done
	local rc=0 p
	for p in "${pids[@]}"; do
		wait "$p" || rc=1
	done
	[ "$rc" -eq 0 ] || die "stop: a node did not stop"
	zk_stop
	log "stop: stopped in $(elapsed "$t0")"
}

total_rss() {
	local sum=0 pid name
	for pid in "$(zk_pid)"; do
		zk_running && sum=$((sum + $(rss_mb "$pid")))
	done
	for name in "${CH_NODES[@]}"; do
		ch_running "$name" && sum=$((sum + $(rss_mb "$(ch_pid "$name")")))
	done
	for name in "${KAFKA_NODES[@]}"; do
		kafka_running "$name" && sum=$((sum + $(rss_mb "$(read_pid "$(kafka_pidfile "$name")")")))
	done
	echo "$sum"
}

cmd_status() {
	local ok=0 name pid state
	if zk_serving; then state=serving; else
		state=stopped
		ok=1
	fi
	pid=$(zk_pid)
	zk_running || pid=-
	printf '%-10s %-8s pid %-8s RSS %5s MB  %s:%s\n' zookeeper "$state" "$pid" "$([ "$pid" = - ] && echo - || rss_mb "$pid")" "$HOST" "$ZK_PORT"
	for name in "${CH_NODES[@]}"; do
		if ch_ready "$name"; then state=serving; elif ch_answering "$name"; then
			state=degraded
			ok=1
		else
			state=stopped
			ok=1
		fi
		pid=$(ch_pid "$name")
		ch_running "$name" || pid=-
		printf '%-10s %-8s pid %-8s RSS %5s MB  %s:%s\n' "$name" "$state" "$pid" "$([ "$pid" = - ] && echo - || rss_mb "$pid")" "$HOST" "$(ch_port "$name")"
	done
	local n
	for name in "${KAFKA_NODES[@]}"; do
		n=$(kafka_brokers "$(kafka_port "$name")")
		if [ -n "$n" ]; then state=serving; else
			state=stopped
			ok=1
		fi
		pid=$(read_pid "$(kafka_pidfile "$name")")
		kafka_running "$name" || pid=-
		printf '%-10s %-8s pid %-8s RSS %5s MB  %s:%s%s\n' "$name" "$state" "$pid" "$([ "$pid" = - ] && echo - || rss_mb "$pid")" "$HOST" "$(kafka_port "$name")" "${n:+ (metadata lists $n brokers)}"
	done
	printf 'total RSS %s MB\n' "$(total_rss)"
	return "$ok"
}

cmd_env() {
	local name ch="" kb=""
	for name in "${CH_NODES[@]}"; do ch+="${ch:+,}$HOST:$(ch_port "$name")"; done
	for name in "${KAFKA_NODES[@]}"; do kb+="${kb:+,}$HOST:$(kafka_port "$name")"; done
	cat <<EOF
ECONFLOW_CLUSTER_NAME=$CLUSTER
ECONFLOW_CLUSTER_CLICKHOUSE_NODES=$ch
ECONFLOW_CLUSTER_BROKERS=$kb
ECONFLOW_CLUSTER_ZOOKEEPER=$HOST:$ZK_PORT
ECONFLOW_CLUSTER_DIR=$ROOT
EOF
}

cmd_clean() {
	[ -d "$ROOT" ] || return 0
	take_lock "$ROOT/.lock"
	local name
	zk_running && die "clean: zookeeper is running; run '$0 stop' first"
	for name in "${CH_NODES[@]}"; do ch_running "$name" && die "clean: $name is running; run '$0 stop' first"; done
	for name in "${KAFKA_NODES[@]}"; do kafka_running "$name" && die "clean: $name is running; run '$0 stop' first"; done
	rm -rf "$ROOT"
	log "clean: removed $ROOT"
}

cmd_start_node() {
	local name=$1 kind t0 deadline n
	kind=$(node_kind "$name")
	take_lock "$ROOT/.lock"
	need_installed
	t0=$(now_ms)
	deadline=$((SECONDS + START_TIMEOUT))
	case $kind in
	zk)
		zk_start
		# The running servers' replicated tables stay read-only for a few seconds after ZooKeeper
		# returns: the node serves once they are writable again.
		for n in "${CH_NODES[@]}"; do
			ch_running "$n" && ch_wait_ready "$n" "$deadline"
		done
		;;
	ch)
		zk_serving || die "$name: zookeeper is not serving; start it first ('$0 start-node zookeeper')"
		ch_launch "$name"
		ch_wait_ready "$name" "$deadline"
		;;
	kafka)
		kafka_launch "$name"
		kafka_wait "$name" 1 "$deadline"
		;;
	esac
	log "start-node: $name ready ($(elapsed "$t0"))"
}

cmd_stop_node() {
	local name=$1 sig=$2 kind t0
	kind=$(node_kind "$name")
	take_lock "$ROOT/.lock"
	t0=$(now_ms)
	case $kind in
	zk) zk_stop "$sig" ;;
	ch) ch_stop "$name" "$sig" ;;
	kafka) kafka_stop "$name" "$sig" ;;
	esac
	log "$([ "$sig" = KILL ] && echo kill-node || echo stop-node): $name stopped ($(elapsed "$t0"))"
}

main() {
	case ${1:-} in
	install | start | stop | status | env | clean)
		[ $# -eq 1 ] || {
			usage >&2
			exit 2
		}
		"cmd_$1"
		;;
	start-node | stop-node | kill-node)
		[ $# -eq 2 ] || {
			usage >&2
			exit 2
		}
		case $1 in
		start-node) cmd_start_node "$2" ;;
		stop-node) cmd_stop_node "$2" TERM ;;
		kill-node) cmd_stop_node "$2" KILL ;;
		esac
		;;
	-h | --help | help) usage ;;
	*)
		usage >&2
		exit 2
		;;
	esac
}

main "$@"
