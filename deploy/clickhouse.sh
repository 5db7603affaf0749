#!/usr/bin/env bash
# clickhouse.sh — install, start, stop and probe a local ClickHouse server for econflow
# development and CI (Debian bookworm's clickhouse-server 18.16, no systemd needed).
#
# Run `clickhouse.sh --help` for usage. See deploy/README.md for details.
set -euo pipefail

PROG=${0##*/}

CH_SERVER_BIN=${CLICKHOUSE_SERVER_BIN:-/usr/sbin/clickhouse-server}
CH_CLIENT_BIN=${CLICKHOUSE_CLIENT_BIN:-clickhouse-client}
CH_CONFIG=${CLICKHOUSE_CONFIG:-/etc/clickhouse-server/config.xml}
# users.d/ beside the config: ClickHouse merges its files into users.xml (the packaged config's
# <users_config>), so econflow's profile settings need no change to a packaged file.
CH_USERS_D=${CLICKHOUSE_USERS_D:-$(dirname "$CH_CONFIG")/users.d}
CH_HOST=127.0.0.1
CH_PORT=${CLICKHOUSE_PORT:-9000}
CH_HTTP_PORT=${CLICKHOUSE_HTTP_PORT:-8123}
CH_INTERSERVER_PORT=${CLICKHOUSE_INTERSERVER_PORT:-9009}
CH_USER=clickhouse
CH_DATA_DIR=${CLICKHOUSE_DATA_DIR:-/var/lib/clickhouse}
CH_DATA_DIR=${CH_DATA_DIR%/}
CH_LOG_DIR=${CLICKHOUSE_LOG_DIR:-/var/log/clickhouse-server}
CH_LOG_DIR=${CH_LOG_DIR%/}
CH_LOG=$CH_LOG_DIR/clickhouse-server.log
CH_ERR_LOG=$CH_LOG_DIR/clickhouse-server.err.log
RUN_DIR=${ECONFLOW_RUN_DIR:-/var/run/econflow}
PID_FILE=$RUN_DIR/clickhouse.pid
START_TIMEOUT=${CLICKHOUSE_START_TIMEOUT:-30}
STOP_TIMEOUT=${CLICKHOUSE_STOP_TIMEOUT:-20}

usage() {
	cat <<EOF
Usage: $PROG {install|start|stop|status|wait|--help}

Manage a local, loopback-only ClickHouse server (native 127.0.0.1:$CH_PORT,
HTTP 127.0.0.1:$CH_HTTP_PORT, interserver 127.0.0.1:$CH_INTERSERVER_PORT).

Commands:
  install   apt-get install clickhouse-server and clickhouse-client if $CH_SERVER_BIN
            is missing (needs root; otherwise prints the command to run).
  start     install if needed, prepare directories, start the daemon as user '$CH_USER'
            listening on 127.0.0.1 only, wait until it answers SELECT 1. No-op if it
            already answers.
  stop      SIGTERM the daemon from the pid file, wait up to ${STOP_TIMEOUT}s, then SIGKILL.
            Succeeds if it is not running.
  status    exit 0 if the server answers SELECT 1 on 127.0.0.1:$CH_PORT, 1 otherwise.
  wait      wait up to ${START_TIMEOUT}s for the server to answer; exit 1 on timeout.

Environment:
  ECONFLOW_RUN_DIR           directory for the pid file (default /var/run/econflow)
  CLICKHOUSE_CONFIG          server config (default /etc/clickhouse-server/config.xml)
  CLICKHOUSE_USERS_D         where start writes econflow.xml, the settings of the default
                             profile that econflow's views need (default users.d/ beside the config)
  CLICKHOUSE_PORT            native TCP port (default 9000)
  CLICKHOUSE_HTTP_PORT       HTTP port (default 8123)
  CLICKHOUSE_INTERSERVER_PORT  interserver HTTP port (default 9009)
  CLICKHOUSE_DATA_DIR        data directory (default /var/lib/clickhouse)
  CLICKHOUSE_LOG_DIR         log directory (default /var/log/clickhouse-server)
  CLICKHOUSE_START_TIMEOUT   seconds to wait for the server to answer (default 30)
  CLICKHOUSE_STOP_TIMEOUT    seconds to wait after SIGTERM before SIGKILL (default 20)

Pid file: $PID_FILE
Logs:     $CH_LOG, $CH_ERR_LOG
Ports, paths and listen_host are passed as command-line overrides, so the packaged
config.xml is used unchanged. start also writes $CH_USERS_D/econflow.xml, which sets in
the default profile what econflow's SQL views need (see write_settings); a running server
picks it up within seconds.
EOF
}

log() { printf '%s: %s\n' "$PROG" "$*"; }
die() {
	printf '%s: error: %s\n' "$PROG" "$*" >&2
	exit 1
}
is_root() { [ "$(id -u)" -eq 0 ]; }

# answering: true if the server answers SELECT 1 over the native protocol on loopback.
answering() {
	command -v "$CH_CLIENT_BIN" >/dev/null 2>&1 || return 1
	timeout 5 "$CH_CLIENT_BIN" --host "$CH_HOST" --port "$CH_PORT" --query 'SELECT 1' >/dev/null 2>&1
}

# pid_alive PID: true if PID is a running clickhouse-server process.
pid_alive() {
	local pid=$1 comm
	[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
	comm=$(cat "/proc/$pid/comm" 2>/dev/null || true)
	case $comm in clickhouse*) return 0 ;; *) return 1 ;; esac
}

read_pid() {
	[ -r "$PID_FILE" ] || return 0
	tr -dc '0-9' <"$PID_FILE"
}

show_err_log() {
	if [ -r "$CH_ERR_LOG" ]; then
		printf '%s: last lines of %s:\n' "$PROG" "$CH_ERR_LOG" >&2
		tail -n 25 "$CH_ERR_LOG" >&2 || true
	else
		printf '%s: (no %s)\n' "$PROG" "$CH_ERR_LOG" >&2
	fi
	if [ -s "$CH_LOG_DIR/stderr.log" ]; then
		printf '%s: last lines of %s:\n' "$PROG" "$CH_LOG_DIR/stderr.log" >&2
		grep -v -e '^Include not found' -e '^Logging .* to ' "$CH_LOG_DIR/stderr.log" | tail -n 10 >&2 || true
	fi
}

# take_lock FILE: serialize concurrent runs of this script (fd 9). The server is launched
# with fd 9 closed so it never holds the lock.
take_lock() {
	command -v flock >/dev/null 2>&1 || return 0
	eval 'exec 9>>"$1"' 2>/dev/null || return 0
	flock -w 120 9 || die "could not lock $1 within 120s (another $PROG still running?)"
}

ch_version() {
	dpkg-query -W -f='${Version}' clickhouse-server 2>/dev/null || echo "$CH_SERVER_BIN"
}

cmd_install() {
	if [ -x "$CH_SERVER_BIN" ] && command -v "$CH_CLIENT_BIN" >/dev/null 2>&1; then
		log "install: clickhouse-server already installed (version $(ch_version))"
		return 0
	fi
	if ! is_root; then
		die "install: clickhouse-server is not installed and this needs root. Run:
  sudo apt-get update && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends clickhouse-server clickhouse-client
or: sudo $0 install"
	fi
	command -v apt-get >/dev/null 2>&1 || die "install: apt-get not found; install clickhouse-server and clickhouse-client yourself"
	local aptlog
	aptlog=$(mktemp "${TMPDIR:-/tmp}/econflow-clickhouse-apt.XXXXXX")
	log "install: apt-get installing clickhouse-server clickhouse-client (log: $aptlog)"
	export DEBIAN_FRONTEND=noninteractive
	if ! apt-get update >>"$aptlog" 2>&1; then
		tail -n 20 "$aptlog" >&2
		die "install: apt-get update failed (full log: $aptlog)"
	fi
	if ! apt-get install -y --no-install-recommends clickhouse-server clickhouse-client >>"$aptlog" 2>&1; then
		tail -n 20 "$aptlog" >&2
		die "install: apt-get install clickhouse-server clickhouse-client failed (full log: $aptlog)"
	fi
	[ -x "$CH_SERVER_BIN" ] || die "install: apt-get succeeded but $CH_SERVER_BIN is still missing"
	rm -f "$aptlog"
	log "install: installed clickhouse-server $(ch_version)"
}

prepare_dirs() {
	id -u "$CH_USER" >/dev/null 2>&1 || die "start: user '$CH_USER' does not exist (the Debian package creates it; reinstall clickhouse-server)"
	local d
	for d in "$CH_DATA_DIR" "$CH_LOG_DIR" "$RUN_DIR"; do
		mkdir -p "$d" || die "start: cannot create $d"
		chown "$CH_USER:$CH_USER" "$d" || die "start: cannot chown $d to $CH_USER"
	done
	# Files left behind by a root-run server would make the clickhouse user fail to start.
	chown -R "$CH_USER:$CH_USER" "$CH_DATA_DIR" "$CH_LOG_DIR" 2>/dev/null || true
}

wait_answering() {
	local timeout=$1 pid=${2:-} deadline
	deadline=$((SECONDS + timeout))
	while ! answering; do
		if [ -n "$pid" ] && ! pid_alive "$pid"; then
			return 2
		fi
		if [ "$SECONDS" -ge "$deadline" ]; then
			return 1
		fi
		sleep 0.2
	done
}

# write_settings: the default profile's settings econflow needs, as a users.d file that the
# server merges into the packaged users.xml (and re-reads while running):
#   enable_optimize_predicate_expression = 1: push a query's filters into the views' subqueries,
#   so that a filter on a view reaches the table's primary key (docs/cookbook.md). Current
#   ClickHouse has it on by default; 18.16 has it off, and every query on a view then reads
#   the whole table.
write_settings() {
	local file=$CH_USERS_D/econflow.xml tmp
	if ! is_root; then
		[ -r "$file" ] || log "start: not root, so $file is not written: econflow's views will read whole tables (see docs/cookbook.md)"
		return 0
	fi
	mkdir -p "$CH_USERS_D" || die "start: cannot create $CH_USERS_D"
	tmp=$(mktemp "$CH_USERS_D/.econflow.xml.XXXXXX") || die "start: cannot write in $CH_USERS_D"
	cat >"$tmp" <<'XML'
<?xml version="1.0"?>
<!-- Written by econflow's deploy/clickhouse.sh start: settings of the default profile that
     econflow's SQL views need. The packaged users.xml stays as it is. -->
<yandex>
    <profiles>
        <default>
            <!-- Push filters into views' subqueries, down to the primary key (off by default in 18.16). -->
            <enable_optimize_predicate_expression>1</enable_optimize_predicate_expression>
        </default>
    </profiles>
</yandex>
XML
	chmod 644 "$tmp"
	if cmp -s "$tmp" "$file"; then
		rm -f "$tmp"
	else
		mv -f "$tmp" "$file" || die "start: cannot write $file"
		log "start: wrote $file (enable_optimize_predicate_expression = 1 in the default profile)"
	fi
}

cmd_start() {
	if answering; then
		write_settings
		log "start: already answering on $CH_HOST:$CH_PORT"
		return 0
	fi
	if [ ! -x "$CH_SERVER_BIN" ]; then
		cmd_install
	fi
	is_root || die "start: must run as root (the server runs as user '$CH_USER' via runuser). Run: sudo $0 start"
	command -v runuser >/dev/null 2>&1 || die "start: runuser not found (package util-linux)"
	[ -r "$CH_CONFIG" ] || die "start: config $CH_CONFIG not found"
	mkdir -p "$RUN_DIR" || die "start: cannot create $RUN_DIR"
	take_lock "$RUN_DIR/clickhouse.lock"
	if answering; then # started by a concurrent run while we waited
		log "start: already answering on $CH_HOST:$CH_PORT"
		return 0
	fi

	local oldpid
	oldpid=$(read_pid)
	if pid_alive "$oldpid"; then
		log "start: pid $oldpid is running but not answering yet; waiting"
		if wait_answering "$START_TIMEOUT" "$oldpid"; then
			log "start: answering on $CH_HOST:$CH_PORT (pid $oldpid)"
			return 0
		fi
		show_err_log
		die "start: existing server pid $oldpid does not answer; run '$0 stop' and retry"
	fi
	rm -f "$PID_FILE"

	prepare_dirs
	write_settings
	local t0=$SECONDS
	# The Debian config listens on ::1 and 127.0.0.1 (loopback only, never 0.0.0.0/::). The
	# command-line --listen_host replaces the first <listen_host> (::1) with 127.0.0.1, so the
	# server binds 127.0.0.1 only (verified with `ss -ltn`). Everything after `--` overrides a
	# config key; this keeps the packaged config.xml untouched.
	# Run from the data dir: the server must be able to access its cwd as user clickhouse.
	if ! (cd "$CH_DATA_DIR" && runuser -u "$CH_USER" -- "$CH_SERVER_BIN" \
		--config-file="$CH_CONFIG" --daemon --pid-file="$PID_FILE" \
		-- --listen_host=127.0.0.1 \
		--tcp_port="$CH_PORT" --http_port="$CH_HTTP_PORT" \
		--interserver_http_port="$CH_INTERSERVER_PORT" \
		--path="$CH_DATA_DIR/" --tmp_path="$CH_DATA_DIR/tmp/" \
		--user_files_path="$CH_DATA_DIR/user_files/" \
		--format_schema_path="$CH_DATA_DIR/format_schemas/" \
		--logger.log="$CH_LOG" --logger.errorlog="$CH_ERR_LOG") >/dev/null 2>&1 9>&-; then
		show_err_log
		die "start: clickhouse-server --daemon failed to launch"
	fi

	# The pid file appears shortly after the daemon forks.
	local pid=""
	for _ in $(seq 1 50); do
		pid=$(read_pid)
		[ -n "$pid" ] && break
		sleep 0.1
	done
	local rc=0
	wait_answering "$START_TIMEOUT" "$pid" || rc=$?
	if [ "$rc" -ne 0 ]; then
		show_err_log
		if [ "$rc" -eq 2 ]; then
			die "start: clickhouse-server (pid $pid) exited during startup"
		fi
		die "start: clickhouse-server did not answer on $CH_HOST:$CH_PORT within ${START_TIMEOUT}s"
	fi
	log "start: answering on $CH_HOST:$CH_PORT (pid ${pid:-?}, $((SECONDS - t0))s)"
}

cmd_stop() {
	local pid
	[ -d "$RUN_DIR" ] && [ -w "$RUN_DIR" ] && take_lock "$RUN_DIR/clickhouse.lock"
	pid=$(read_pid)
	if ! pid_alive "$pid"; then
		rm -f "$PID_FILE" 2>/dev/null || true
		if answering; then
			die "stop: a server answers on $CH_HOST:$CH_PORT but was not started by this script (no live pid in $PID_FILE); stop it yourself"
		fi
		log "stop: not running"
		return 0
	fi
	kill -TERM "$pid" 2>/dev/null || true
	local deadline=$((SECONDS + STOP_TIMEOUT))
	while pid_alive "$pid" && [ "$SECONDS" -lt "$deadline" ]; do
		sleep 0.2
	done
	if pid_alive "$pid"; then
		log "stop: pid $pid still alive after ${STOP_TIMEOUT}s; sending SIGKILL"
		kill -KILL "$pid" 2>/dev/null || true
		sleep 0.5
		pid_alive "$pid" && die "stop: pid $pid survived SIGKILL"
	fi
	rm -f "$PID_FILE" 2>/dev/null || true
	log "stop: stopped (pid $pid)"
}

cmd_status() {
	if answering; then
		log "status: answering on $CH_HOST:$CH_PORT"
		return 0
	fi
	log "status: not answering on $CH_HOST:$CH_PORT"
	return 1
}

cmd_wait() {
	if wait_answering "$START_TIMEOUT"; then
		log "wait: answering on $CH_HOST:$CH_PORT"
		return 0
	fi
	die "wait: not answering on $CH_HOST:$CH_PORT after ${START_TIMEOUT}s"
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
