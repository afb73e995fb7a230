# Shared helpers for boardpack's integration tests (sourced by test_*.sh).
# Every test gets its own temporary folder, removed on exit, and servers it
# starts are stopped on exit too.
set -eu

: "${BP_SRCDIR:=$(pwd)}"
: "${BP:=$BP_SRCDIR/build/boardpack}"
GEN="$BP_SRCDIR/build/bp-gen"
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3

T=$(mktemp -d /tmp/bp-it.XXXXXX)
SERVER_PIDS=""
cleanup() {
	for p in $SERVER_PIDS; do kill "$p" 2>/dev/null || true; done
	for p in $SERVER_PIDS; do wait "$p" 2>/dev/null || true; done
	rm -rf "$T"
}
trap cleanup EXIT INT TERM

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

# expect_status WANT CMD...: runs CMD, output to $T/out and $T/err.
expect_status() {
	want=$1
	shift
	set +e
	"$@" >"$T/out" 2>"$T/err"
	got=$?
	set -e
	if [ "$got" -ne "$want" ]; then
		echo "--- stdout" >&2; cat "$T/out" >&2
		echo "--- stderr" >&2; cat "$T/err" >&2
		fail "expected exit $want, got $got: $*"
	fi
}

# start_https ROOT: a local HTTPS server with a fresh test CA; sets PORT,
# CA (its CA file), OTHER_CA and SERVER_LOG.
start_https() {
	sh "$BP_SRCDIR/tests/integration/make_ca.sh" "$T/tls" >/dev/null
	CA="$T/tls/ca.pem"
	OTHER_CA="$T/tls/other-ca.pem"
	SERVER_LOG="$T/server.log"
	: >"$SERVER_LOG"
	"$PY" "$BP_SRCDIR/tests/integration/https_server.py" --root "$1" \
		--cert "$T/tls/server.pem" --key "$T/tls/server.key" \
		--port-file "$T/port" --log "$SERVER_LOG" 2>"$T/server.err" &
	SERVER_PIDS="$SERVER_PIDS $!"
	i=0
	while [ ! -s "$T/port" ]; do
		i=$((i + 1))
		[ $i -lt 100 ] || fail "https server did not start: $(cat "$T/server.err")"
		sleep 0.1
	done
	PORT=$(cat "$T/port")
}

# demo_data DIR [CONTACTS]: deterministic realistic exports.
demo_data() {
	"$GEN" --seed 7 --contacts "${2:-2000}" "$1" >/dev/null
}

# no_snapshot DIR: nothing but the download cache was left in DIR.
no_snapshot() {
	if [ -d "$1" ]; then
		left=$(find "$1" -mindepth 1 -path "$1/.cache" -prune -o -type f -print | head -n 5)
		[ -z "$left" ] || fail "files left behind in $1: $left"
	fi
}
