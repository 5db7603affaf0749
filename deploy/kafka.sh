#!/usr/bin/env bash
# kafka.sh — fetch, start, stop and probe a real single-node Apache Kafka broker (KRaft
# combined mode, no ZooKeeper) for econflow development and CI. The jars come from Maven
# Central through deploy/pom.xml; only Java 17+ and Maven are needed.
#
# Run `kafka.sh --help` for usage. See deploy/README.md for details.
set -euo pipefail

PROG=${0##*/}
SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

KAFKA_HOME=${ECONFLOW_KAFKA_HOME:-${HOME:-/root}/.cache/econflow/kafka}
LIBS_DIR=$KAFKA_HOME/libs
POM=${ECONFLOW_KAFKA_POM:-$SCRIPT_DIR/pom.xml}
DATA_ROOT=${ECONFLOW_KAFKA_DATA:-/var/tmp/econflow-kafka}
LOG_DIRS=$DATA_ROOT/data
CONF_DIR=$DATA_ROOT/config
APP_LOG_DIR=$DATA_ROOT/logs
PID_FILE=${KAFKA_PID_FILE:-$DATA_ROOT/kafka.pid}
HOST=127.0.0.1
PORT=${KAFKA_PORT:-19092}
CONTROLLER_PORT=${KAFKA_CONTROLLER_PORT:-19093}
NODE_ID=1
HEAP_OPTS=${KAFKA_HEAP_OPTS:--Xms256m -Xmx512m}
START_TIMEOUT=${KAFKA_START_TIMEOUT:-120}
START_MAX=${KAFKA_START_MAX:-900}
STOP_TIMEOUT=${KAFKA_STOP_TIMEOUT:-30}
KAFKA_VERSION=${KAFKA_VERSION:-}
READY_CHECK=${KAFKA_READY_CHECK:-topics}
case $READY_CHECK in api | topics) ;; *)
	printf '%s: error: KAFKA_READY_CHECK must be "api" or "topics", not "%s"\n' "${0##*/}" "$READY_CHECK" >&2
	exit 2
	;;
esac

usage() {
	cat <<EOF
Usage: $PROG {install|start|stop|status|wait|--help}

Manage a local single-node Apache Kafka broker (KRaft, process.roles=broker,controller)
listening on $HOST:$PORT (controller $HOST:$CONTROLLER_PORT), loopback only.

Commands:
  install   fetch the Kafka jars from Maven Central into $LIBS_DIR
            with 'mvn dependency:copy-dependencies' (skipped if already there).
            Installs maven/Java with apt-get when missing and running as root.
  start     install if needed, write the config, format the storage once, start the
            broker in the background and wait until it serves metadata. No-op if a
            broker already answers on $HOST:$PORT.
  stop      SIGTERM the broker from the pid file, wait up to ${STOP_TIMEOUT}s, then SIGKILL.
            Succeeds if it is not running.
  status    exit 0 if a Kafka broker answers an ApiVersions request on $HOST:$PORT, 1 otherwise.
  wait      wait up to ${START_TIMEOUT}s until the broker answers and lists topics; exit 1 on timeout.

Environment:
  KAFKA_PORT               client listener port (default 19092)
  KAFKA_CONTROLLER_PORT    KRaft controller port (default 19093)
  ECONFLOW_KAFKA_HOME      jar cache; jars go to \$ECONFLOW_KAFKA_HOME/libs
                           (default \$HOME/.cache/econflow/kafka)
  ECONFLOW_KAFKA_DATA      data, config and logs (default /var/tmp/econflow-kafka)
  ECONFLOW_KAFKA_POM       pom.xml listing the jars (default: pom.xml next to this script)
  KAFKA_VERSION            Kafka version to fetch (default: the one in pom.xml)
  KAFKA_HEAP_OPTS          JVM heap flags (default "-Xms256m -Xmx512m")
  KAFKA_PID_FILE           pid file (default \$ECONFLOW_KAFKA_DATA/kafka.pid)
  KAFKA_START_TIMEOUT      seconds to wait for the broker (default 120). While a broker we
                           started is still writing its log (e.g. recovering thousands of
                           partitions after an unclean stop) the wait goes on, up to
                           KAFKA_START_MAX seconds (default 900)
  KAFKA_READY_CHECK        "topics" (default): ready = ApiVersions answers and TopicCommand
                           --list succeeds (one extra JVM, ~1-3 s); "api": ApiVersions only
  KAFKA_STOP_TIMEOUT       seconds to wait after SIGTERM before SIGKILL (default 30)

Paths now: pom  $POM
           libs $LIBS_DIR
           data $LOG_DIRS
           log  $APP_LOG_DIR/server.log (JVM stdout/stderr: $APP_LOG_DIR/kafka.out)
           pid  $PID_FILE
EOF
}

log() { printf '%s: %s\n' "$PROG" "$*"; }
die() {
	printf '%s: error: %s\n' "$PROG" "$*" >&2
	exit 1
}
is_root() { [ "$(id -u)" -eq 0 ]; }

APT_UPDATED=0
apt_install() {
	# apt_install PKG...: install Debian packages as root, apt-get update at most once per run.
	is_root || die "missing $*; as root run: apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $*"
	command -v apt-get >/dev/null 2>&1 || die "missing $* and no apt-get; install them yourself"
	local aptlog
	aptlog=$(mktemp "${TMPDIR:-/tmp}/econflow-kafka-apt.XXXXXX")
	export DEBIAN_FRONTEND=noninteractive
	if [ "$APT_UPDATED" -eq 0 ]; then
		if ! apt-get update >>"$aptlog" 2>&1; then
			tail -n 20 "$aptlog" >&2
			die "apt-get update failed (full log: $aptlog)"
		fi
		APT_UPDATED=1
	fi
	if ! apt-get install -y --no-install-recommends "$@" >>"$aptlog" 2>&1; then
		tail -n 20 "$aptlog" >&2
		die "apt-get install $* failed (full log: $aptlog)"
	fi
	rm -f "$aptlog"
}

java_major() {
	# Prints the major version of `java` (e.g. 17), or nothing.
	java -version 2>&1 | sed -n 's/.*version "\([0-9]*\)[."].*/\1/p' | head -n1
}

ensure_java() {
	if ! command -v java >/dev/null 2>&1; then
		log "install: java not found; apt-get installing default-jre-headless"
		apt_install default-jre-headless
	fi
	local v
	v=$(java_major)
	if [ -z "$v" ] || [ "$v" -lt 17 ]; then
		die "Kafka 4.x needs Java 17 or newer; 'java -version' reports '${v:-unknown}'"
	fi
}

ensure_mvn() {
	if ! command -v mvn >/dev/null 2>&1; then
		log "install: mvn not found; apt-get installing maven"
		apt_install maven
	fi
}

# take_lock FD FILE: serialize concurrent runs of this script (e.g. parallel test packages).
# The broker is launched with these fds closed so it never holds the lock.
take_lock() {
	command -v flock >/dev/null 2>&1 || return 0
	eval "exec $1>>\"\$2\"" 2>/dev/null || return 0
	flock -w 300 "$1" || die "could not lock $2 within 300s (another $PROG still running?)"
}

jars_present() {
	[ -f "$LIBS_DIR/.complete" ] && compgen -G "$LIBS_DIR/kafka_2.13-*.jar" >/dev/null
}

cmd_install() {
	if jars_present; then
		log "install: jars already in $LIBS_DIR ($(cat "$LIBS_DIR/.complete"))"
		return 0
	fi
	[ -r "$POM" ] || die "install: $POM not found (set ECONFLOW_KAFKA_POM to deploy/pom.xml)"
	ensure_java
	ensure_mvn
	mkdir -p "$KAFKA_HOME" || die "install: cannot create $KAFKA_HOME"
	take_lock 8 "$KAFKA_HOME/.lock"
	if jars_present; then # fetched by a concurrent run while we waited
		log "install: jars already in $LIBS_DIR ($(cat "$LIBS_DIR/.complete"))"
		return 0
	fi
	local tmp mvnlog t0=$SECONDS
	tmp=$(mktemp -d "$KAFKA_HOME/libs.tmp.XXXXXX")
	mvnlog=$KAFKA_HOME/mvn.log
	local -a args=(-q -B -f "$POM" dependency:copy-dependencies
		-DoutputDirectory="$tmp" -DincludeScope=runtime)
	[ -n "$KAFKA_VERSION" ] && args+=(-Dkafka.version="$KAFKA_VERSION")
	log "install: fetching Kafka jars from Maven Central into $LIBS_DIR"
	if ! mvn "${args[@]}" >"$mvnlog" 2>&1; then
		sed 's/\x1b\[[0-9;]*m//g' "$mvnlog" | grep -v '^\[ERROR\] *$' | tail -n 30 >&2
		rm -rf "$tmp"
		die "install: mvn dependency:copy-dependencies failed (full log: $mvnlog)"
	fi
	local kjar
	kjar=$(compgen -G "$tmp/kafka_2.13-*.jar" | head -n1 || true)
	[ -n "$kjar" ] || {
		rm -rf "$tmp"
		die "install: mvn finished but no kafka_2.13 jar was fetched (see $mvnlog)"
	}
	kjar=${kjar##*/}
	printf 'kafka %s, %s jars, %s\n' "$(basename "$kjar" .jar | sed 's/^kafka_2.13-//')" \
		"$(find "$tmp" -name '*.jar' | wc -l)" "$(du -sh "$tmp" | cut -f1)" >"$tmp/.complete"
	rm -rf "$LIBS_DIR"
	mv "$tmp" "$LIBS_DIR"
	rm -f "$mvnlog"
	log "install: fetched $(cat "$LIBS_DIR/.complete") in $((SECONDS - t0))s"
}

# kafka_java MAINCLASS ARGS...: run a Kafka tool class on the cached classpath, logging warnings
# to stderr only.
kafka_java() {
	java -Xmx256m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC \
		-Dlog4j2.configurationFile="$CONF_DIR/tools-log4j2.properties" \
		-cp "$LIBS_DIR/*" "$@"
}

write_config() {
	mkdir -p "$LOG_DIRS" "$CONF_DIR" "$APP_LOG_DIR" || die "start: cannot create directories under $DATA_ROOT"
	# Static single-voter quorum: no --standalone/--initial-controllers needed at format
	# time, and ports may change between runs without reformatting.
	cat >"$CONF_DIR/server.properties" <<EOF
# Generated by econflow deploy/kafka.sh; rewritten on every start.
process.roles=broker,controller
node.id=$NODE_ID
controller.quorum.voters=$NODE_ID@$HOST:$CONTROLLER_PORT
listeners=PLAINTEXT://$HOST:$PORT,CONTROLLER://$HOST:$CONTROLLER_PORT
advertised.listeners=PLAINTEXT://$HOST:$PORT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER
log.dirs=$LOG_DIRS
num.partitions=3
auto.create.topics.enable=true
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
group.initial.rebalance.delay.ms=0
log.retention.hours=24
log.segment.bytes=134217728
log.retention.check.interval.ms=300000
num.network.threads=2
num.io.threads=4
num.recovery.threads.per.data.dir=1
EOF
	cat >"$CONF_DIR/log4j2.properties" <<EOF
# Generated by econflow deploy/kafka.sh: broker logs go to a size-capped file, not stdout.
status = warn
appender.file.type = RollingFile
appender.file.name = FILE
appender.file.fileName = $APP_LOG_DIR/server.log
appender.file.filePattern = $APP_LOG_DIR/server.log.%i
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
appender.file.policies.type = Policies
appender.file.policies.size.type = SizeBasedTriggeringPolicy
appender.file.policies.size.size = 50MB
appender.file.strategy.type = DefaultRolloverStrategy
appender.file.strategy.max = 3
rootLogger.level = INFO
rootLogger.appenderRef.file.ref = FILE
logger.request.name = kafka.request.logger
logger.request.level = WARN
logger.statechange.name = state.change.logger
logger.statechange.level = WARN
EOF
	cat >"$CONF_DIR/tools-log4j2.properties" <<EOF
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

format_storage() {
	if [ -f "$LOG_DIRS/meta.properties" ]; then
		return 0
	fi
	local cid out
	if [ -s "$DATA_ROOT/cluster.id" ]; then
		cid=$(cat "$DATA_ROOT/cluster.id")
	else
		cid=$(kafka_java kafka.tools.StorageTool random-uuid 2>/dev/null | tail -n1) ||
			die "start: 'kafka.tools.StorageTool random-uuid' failed"
		[ -n "$cid" ] || die "start: StorageTool random-uuid printed nothing"
		printf '%s\n' "$cid" >"$DATA_ROOT/cluster.id"
	fi
	if ! out=$(kafka_java kafka.tools.StorageTool format --ignore-formatted \
		--config "$CONF_DIR/server.properties" --cluster-id "$cid" 2>&1); then
		printf '%s\n' "$out" >&2
		die "start: formatting storage in $LOG_DIRS failed"
	fi
	log "start: formatted storage $LOG_DIRS (cluster id $cid)"
}

read_pid() {
	[ -r "$PID_FILE" ] || return 0
	tr -dc '0-9' <"$PID_FILE"
}

# pid_alive PID: true if PID is a running Kafka broker JVM.
pid_alive() {
	local pid=$1
	[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
	tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q 'kafka\.Kafka'
}

# proc_running PID: true if PID exists and is not a zombie. Used for the child just launched,
# whose cmdline is still the forking bash for a moment (so pid_alive would misfire).
proc_running() {
	local pid=$1 state
	[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
	state=$(sed -n 's/^State:[[:space:]]*\([A-Z]\).*/\1/p' "/proc/$pid/status" 2>/dev/null || true)
	[ "$state" != Z ]
}

# api_versions_ok: true if something on HOST:PORT answers a Kafka ApiVersions v0 request
# with error code 0. Pure bash (/dev/tcp), no JVM: fast enough for polling.
api_versions_ok() {
	local hex
	# shellcheck disable=SC2016 # $0/$1 belong to the inner shell
	hex=$(timeout 3 bash -c '
		exec 3<>"/dev/tcp/$0/$1" || exit 1
		# size=12, api_key=18 (ApiVersions), api_version=0, correlation_id=1, client_id="hc"
		printf "\x00\x00\x00\x0c\x00\x12\x00\x00\x00\x00\x00\x01\x00\x02hc" >&3
		head -c 10 <&3
	' "$HOST" "$PORT" 2>/dev/null | od -An -tx1 | tr -d ' \n') || return 1
	# bytes 4..7 correlation id 1, bytes 8..9 error code 0
	[ "${hex:8:12}" = "000000010000" ]
}

# usable: ApiVersions answers and TopicCommand can list topics (metadata is served).
usable() {
	api_versions_ok || return 1
	kafka_java org.apache.kafka.tools.TopicCommand --bootstrap-server "$HOST:$PORT" --list \
		>/dev/null 2>&1
}

# Byte offsets of the log files at launch, so failures show only this run's lines.
OUT_MARK=0
SRV_MARK=0
mark_logs() {
	OUT_MARK=$(stat -c %s "$APP_LOG_DIR/kafka.out" 2>/dev/null || echo 0)
	SRV_MARK=$(stat -c %s "$APP_LOG_DIR/server.log" 2>/dev/null || echo 0)
}

show_log() {
	local out=$APP_LOG_DIR/kafka.out f=$APP_LOG_DIR/server.log new errs
	new=$(tail -c +"$((OUT_MARK + 1))" "$out" 2>/dev/null | tail -n 5 || true)
	if [ -n "$new" ]; then
		printf '%s: last lines of %s:\n%s\n' "$PROG" "$out" "$new" >&2
	fi
	new=$(tail -c +"$((SRV_MARK + 1))" "$f" 2>/dev/null || true)
	[ -n "$new" ] || return 0
	errs=$(printf '%s\n' "$new" | grep -E '^\[[^]]*\] (ERROR|FATAL) |^Caused by: ' | tail -n 8 || true)
	if [ -n "$errs" ]; then
		printf '%s: errors in %s:\n%s\n' "$PROG" "$f" "$errs" >&2
	else
		printf '%s: last lines of %s:\n' "$PROG" "$f" >&2
		printf '%s\n' "$new" | tail -n 20 >&2
	fi
}

# port_open PORT: true if something accepts TCP connections on HOST:PORT.
port_open() {
	# shellcheck disable=SC2016 # $0/$1 belong to the inner shell
	timeout 2 bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$HOST" "$1" 2>/dev/null
}

# log_size: bytes in the broker's server.log (0 if none).
log_size() { stat -c %s "$APP_LOG_DIR/server.log" 2>/dev/null || echo 0; }

# wait_usable TIMEOUT [PID]: wait until the broker is usable. With PID (a broker we launched),
# the wait goes past TIMEOUT while the broker keeps writing its log — a broker loading
# thousands of partitions after an unclean stop can need minutes — up to START_MAX, and a
# progress line is printed every 15 s. Returns 1 on timeout, 2 if PID exits.
wait_usable() {
	local timeout=$1 pid=${2:-} t0=$SECONDS deadline hard size last_size last_growth next_note
	deadline=$((SECONDS + timeout))
	hard=$((SECONDS + (START_MAX > timeout ? START_MAX : timeout)))
	last_size=$(log_size)
	last_growth=$SECONDS
	next_note=$((SECONDS + 15))
	while :; do
		if [ -n "$pid" ] && ! proc_running "$pid"; then
			return 2
		fi
		if api_versions_ok; then
			# Ready once metadata is served (one JVM probe per iteration at most). Without local
			# jars or tool config (a broker not started by us) ApiVersions is all we can check.
			if [ "$READY_CHECK" = api ] || [ ! -f "$CONF_DIR/tools-log4j2.properties" ] || ! jars_present; then
				return 0
			fi
			usable && return 0
		fi
		if [ -n "$pid" ]; then
			size=$(log_size)
			if [ "$size" != "$last_size" ]; then
				last_size=$size
				last_growth=$SECONDS
			fi
			if [ "$SECONDS" -ge "$next_note" ]; then
				log "start: broker (pid $pid) not ready after $((SECONDS - t0))s; $(startup_stage)"
				next_note=$((SECONDS + 15))
			fi
			# Still loading: keep waiting while the log grew in the last 30 s.
			if [ "$SECONDS" -ge "$deadline" ] && [ $((SECONDS - last_growth)) -lt 30 ] && [ "$SECONDS" -lt "$hard" ]; then
				sleep 0.3
				continue
			fi
		fi
		[ "$SECONDS" -lt "$deadline" ] || return 1
		sleep 0.3
	done
}

# startup_stage: what the broker's log says it is doing since launch, in a few words.
startup_stage() {
	local new done_
	new=$(tail -c +"$((SRV_MARK + 1))" "$APP_LOG_DIR/server.log" 2>/dev/null || true)
	# LogManager: "Completed load of Log(...) ... (152/5386 completed in /data/dir)"
	done_=$(printf '%s\n' "$new" | grep -o '([0-9]*/[0-9]* completed in' | tail -n1 | tr -d '(' || true)
	if printf '%s\n' "$new" | grep -q 'Kafka Server started'; then
		echo "server started; loading group metadata"
	elif [ -n "$done_" ]; then
		echo "loading partition logs: ${done_% completed in}"
	else
		echo "starting"
	fi
}

cmd_start() {
	if api_versions_ok; then
		log "start: a broker already answers on $HOST:$PORT"
		return 0
	fi
	mkdir -p "$DATA_ROOT" || die "start: cannot create $DATA_ROOT"
	take_lock 9 "$DATA_ROOT/.lock"
	if api_versions_ok; then # started by a concurrent run while we waited
		log "start: a broker already answers on $HOST:$PORT"
		return 0
	fi
	cmd_install
	ensure_java
	local oldpid
	oldpid=$(read_pid)
	if pid_alive "$oldpid"; then
		log "start: pid $oldpid is running but not answering yet; waiting"
		if wait_usable "$START_TIMEOUT" "$oldpid"; then
			log "start: broker ready on $HOST:$PORT (pid $oldpid)"
			return 0
		fi
		show_log
		die "start: existing broker pid $oldpid does not answer; run '$0 stop' and retry"
	fi
	rm -f "$PID_FILE"
	local p
	for p in "$PORT" "$CONTROLLER_PORT"; do
		if port_open "$p"; then
			die "start: $HOST:$p is already in use by something that does not answer as a Kafka broker; free it or set KAFKA_PORT/KAFKA_CONTROLLER_PORT"
		fi
	done
	write_config
	format_storage
	mark_logs

	local t0=$SECONDS pid
	# setsid: own session, so the broker survives the caller's exit, its process-group kill
	# and terminal signals. setsid forks when it is a process-group leader (e.g. under job
	# control), so $! may not be the broker: the inner shell writes its own pid, which
	# `exec` turns into the JVM's pid.
	# shellcheck disable=SC2016,SC2086 # $1/$$ are for the inner shell; HEAP_OPTS is a flag list
	setsid bash -c 'pidfile=$1; shift; echo $$ >"$pidfile"; exec "$@"' econflow-kafka "$PID_FILE" \
		java $HEAP_OPTS -server -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
		-XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true \
		-Dkafka.logs.dir="$APP_LOG_DIR" \
		-Dlog4j2.configurationFile="$CONF_DIR/log4j2.properties" \
		-cp "$LIBS_DIR/*" kafka.Kafka "$CONF_DIR/server.properties" \
		</dev/null >>"$APP_LOG_DIR/kafka.out" 2>&1 8>&- 9>&- &
	local launcher=$!
	pid=""
	for _ in $(seq 1 50); do
		pid=$(read_pid)
		[ -n "$pid" ] && break
		sleep 0.1
	done
	[ -n "$pid" ] || {
		show_log
		die "start: broker launcher (pid $launcher) wrote no pid to $PID_FILE"
	}

	local rc=0
	wait_usable "$START_TIMEOUT" "$pid" || rc=$?
	if [ "$rc" -ne 0 ]; then
		show_log
		if [ "$rc" -eq 2 ]; then
			rm -f "$PID_FILE"
			wait "$pid" 2>/dev/null || true
			die "start: broker (pid $pid) exited during startup"
		fi
		die "start: broker (pid $pid) not ready on $HOST:$PORT within ${START_TIMEOUT}s (still running; '$0 stop' to kill it)"
	fi
	log "start: broker ready on $HOST:$PORT (pid $pid, $((SECONDS - t0))s)"
}

cmd_stop() {
	local pid
	[ -d "$DATA_ROOT" ] && take_lock 9 "$DATA_ROOT/.lock"
	pid=$(read_pid)
	if ! pid_alive "$pid"; then
		rm -f "$PID_FILE"
		if api_versions_ok; then
			die "stop: a broker answers on $HOST:$PORT but was not started by this script (no live pid in $PID_FILE); stop it yourself"
		fi
		log "stop: not running"
		return 0
	fi
	kill -TERM "$pid" 2>/dev/null || true
	local deadline=$((SECONDS + STOP_TIMEOUT)) t0=$SECONDS
	while pid_alive "$pid" && [ "$SECONDS" -lt "$deadline" ]; do
		sleep 0.2
	done
	if pid_alive "$pid"; then
		log "stop: pid $pid still alive after ${STOP_TIMEOUT}s; sending SIGKILL"
		kill -KILL "$pid" 2>/dev/null || true
		sleep 0.5
		pid_alive "$pid" && die "stop: pid $pid survived SIGKILL"
	fi
	rm -f "$PID_FILE"
	log "stop: stopped (pid $pid, $((SECONDS - t0))s)"
}

cmd_status() {
	if api_versions_ok; then
		log "status: broker answers on $HOST:$PORT"
		return 0
	fi
	log "status: no broker on $HOST:$PORT"
	return 1
}

cmd_wait() {
	if wait_usable "$START_TIMEOUT"; then
		log "wait: broker ready on $HOST:$PORT"
		return 0
	fi
	die "wait: no usable broker on $HOST:$PORT after ${START_TIMEOUT}s"
}

main() {
	[ $# -eq 1 ] || {
		usage >&2
		exit 2
	}
	case $1 in
	install) cmd_install ;;
	start) cmd_start ;;
	stop) cmd_stop ;;
	status) cmd_status ;;
	wait) cmd_wait ;;
	-h | --help | help) usage ;;
	*)
		usage >&2
		exit 2
		;;
	esac
}

main "$@"
