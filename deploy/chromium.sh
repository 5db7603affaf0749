#!/usr/bin/env bash
# chromium.sh — install Debian's Chromium for the dashboard's browser test (go test ./dashboard/
# -run TestBrowser), which drives it headless with chromedp.
#
# Run `chromium.sh --help` for usage. See deploy/README.md for details.
set -euo pipefail

PROG=${0##*/}

usage() {
	cat <<EOF
Usage: $PROG {install|status|--help}

Commands:
  install   apt-get install chromium if no Chromium is found (needs root; otherwise prints
            the command to run). Idempotent: does nothing when one is there.
  status    print the Chromium the browser test will use and its version; exit 1 if none.

The browser test looks for \$ECONFLOW_CHROMIUM, then chromium, chromium-headless-shell,
headless_shell, chromium-browser and google-chrome on the PATH. Without one it skips, or
fails under CI=true or ECONFLOW_REQUIRE_SERVICES=1.
EOF
}

log() { printf '%s: %s\n' "$PROG" "$*"; }
die() {
	printf '%s: error: %s\n' "$PROG" "$*" >&2
	exit 1
}

# find_chromium prints the path of the Chromium the browser test would use.
find_chromium() {
	if [ -n "${ECONFLOW_CHROMIUM:-}" ]; then
		[ -x "$ECONFLOW_CHROMIUM" ] && { printf '%s\n' "$ECONFLOW_CHROMIUM"; return 0; }
		return 1
	fi
	local name
	for name in chromium chromium-headless-shell headless_shell chromium-browser google-chrome; do
		if command -v "$name" >/dev/null 2>&1; then
			command -v "$name"
			return 0
		fi
	done
	return 1
}

cmd_status() {
	local path
	path=$(find_chromium) || { log "status: no Chromium found"; return 1; }
	log "status: $path ($("$path" --version 2>/dev/null | head -n 1 || echo 'version unknown'))"
}

cmd_install() {
	local path
	if path=$(find_chromium); then
		log "install: Chromium already installed: $path"
		return 0
	fi
	if [ "$(id -u)" -ne 0 ]; then
		die "install: Chromium is not installed and this needs root. Run:
  sudo apt-get update && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y chromium
or: sudo $0 install"
	fi
	command -v apt-get >/dev/null 2>&1 || die "install: apt-get not found; install Chromium yourself or set ECONFLOW_CHROMIUM"
	local aptlog
	aptlog=$(mktemp "${TMPDIR:-/tmp}/econflow-chromium-apt.XXXXXX")
	log "install: apt-get installing chromium (log: $aptlog)"
	export DEBIAN_FRONTEND=noninteractive
	if ! apt-get update >>"$aptlog" 2>&1; then
		tail -n 20 "$aptlog" >&2
		die "install: apt-get update failed (full log: $aptlog)"
	fi
	if ! apt-get install -y chromium >>"$aptlog" 2>&1; then
		tail -n 20 "$aptlog" >&2
		die "install: apt-get install chromium failed (full log: $aptlog)"
	fi
	rm -f "$aptlog"
	path=$(find_chromium) || die "install: apt-get succeeded but no chromium is on the PATH"
	log "install: installed $path"
}

case ${1:-} in
install) cmd_install ;;
status) cmd_status ;;
-h | --help | help) usage ;;
*)
	usage >&2
	exit 2
	;;
esac
