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

# test_ca: the test CA of make_ca.sh in $T/tls, made once per test, so
# every server of a test shows a certificate the same CA signed.  Sets CA
# (its CA file) and OTHER_CA (a CA that signed nothing).
test_ca() {
	[ -s "$T/tls/ca.pem" ] ||
		sh "$BP_SRCDIR/tests/integration/make_ca.sh" "$T/tls" >/dev/null
	CA="$T/tls/ca.pem"
	OTHER_CA="$T/tls/other-ca.pem"
}

# start_server NAME CMD...: runs CMD in the background, its stderr in
# $T/NAME.err, and waits up to 10 s for it to write its port to
# $T/NAME.port (CMD is told so: --port-file "$T/NAME.port").  Sets
# SERVER_PID and SERVER_PORT; the server is stopped on exit.
start_server() {
	srv_name=$1
	shift
	rm -f "$T/$srv_name.port"
	"$@" 2>"$T/$srv_name.err" &
	SERVER_PID=$!
	SERVER_PIDS="$SERVER_PIDS $SERVER_PID"
	i=0
	while [ ! -s "$T/$srv_name.port" ]; do
		i=$((i + 1))
		if [ $i -ge 100 ] || ! kill -0 "$SERVER_PID" 2>/dev/null; then
			fail "$srv_name server did not start: $(cat "$T/$srv_name.err")"
		fi
		sleep 0.1
	done
	SERVER_PORT=$(cat "$T/$srv_name.port")
}

# start_https ROOT: a local HTTPS server (https_server.py) serving ROOT
# with the test CA; sets PORT, CA, OTHER_CA and SERVER_LOG.
start_https() {
	test_ca
	SERVER_LOG="$T/server.log"
	: >"$SERVER_LOG"
	start_server https "$PY" "$BP_SRCDIR/tests/integration/https_server.py" \
		--root "$1" --cert "$T/tls/server.pem" --key "$T/tls/server.key" \
		--port-file "$T/https.port" --log "$SERVER_LOG"
	PORT=$SERVER_PORT
}

# demo_data DIR [CONTACTS]: deterministic realistic exports.
demo_data() {
	"$GEN" --seed 7 --contacts "${2:-2000}" "$1" >/dev/null
}

# no_snapshot DIR: nothing but the download cache and the output folder's
# lock file was left in DIR.
no_snapshot() {
	if [ -d "$1" ]; then
		left=$(find "$1" -mindepth 1 -path "$1/.cache" -prune -o -path "$1/.lock" \
			-prune -o -type f -print | head -n 5)
		[ -z "$left" ] || fail "files left behind in $1: $left"
	fi
}

# mock_credentials FILE: the credentials the vendor mock accepts in tests
# (tests/mocks/README.md), with a fresh service-account key pair in
# $T/sa.key (PKCS#8, what a Google key file holds) and $T/sa.pub.
mock_credentials() {
	[ -s "$T/sa.key" ] || {
		openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
			-out "$T/sa.key" 2>/dev/null
		openssl pkey -in "$T/sa.key" -pubout -out "$T/sa.pub"
	}
	cat >"$1" <<JSON
{
  "hubspot": {"private_app_tokens": ["pat-na1-11111111-2222-3333-4444-555555555555"],
              "client_id": "hs-client-id", "client_secret": "hs-client-secret",
              "refresh_token": "hs-refresh-token"},
  "google": {"client_id": "123-test.apps.googleusercontent.com",
             "client_secret": "g-client-secret", "refresh_token": "1//g-refresh-token",
             "customer_ids": ["1234567890"], "login_customer_id": "9876543210",
             "ga4_properties": ["123456789"],
             "service_account": {"client_email": "boardpack@acme-test.iam.gserviceaccount.com",
                                 "private_key_id": "test-key-1", "public_key": "$T/sa.pub"}},
  "meta": {"access_tokens": ["EAAB-system-user-token"], "expired_tokens": ["EAAB-expired-token"],
           "ad_accounts": ["1029384756"]},
  "linkedin": {"client_id": "li-client-id", "client_secret": "li-client-secret",
               "refresh_token": "AQW-refresh-token", "refresh_token_ttl": 31536000,
               "ad_accounts": ["508812345"]}
}
JSON
}

# start_mock NAME DATA_DIR [OPTION...]: the vendor mock (tests/mocks/
# vendor_mock.py) on loopback, serving the bp-gen exports in DATA_DIR (may
# be empty), with the test CA and mock_credentials.  Sets MOCK_PORT,
# MOCK_URL, MOCK_LOG ($T/NAME.log, one JSON line per request) and CA.
# NAME tells several mocks of one test apart.
start_mock() {
	mock_name=$1 mock_data=$2
	shift 2
	test_ca
	[ -s "$T/mock-creds.json" ] || mock_credentials "$T/mock-creds.json"
	MOCK_LOG="$T/$mock_name.log"
	start_server "$mock_name" "$PY" "$BP_SRCDIR/tests/mocks/vendor_mock.py" \
		--cert "$T/tls/server.pem" --key "$T/tls/server.key" \
		--port-file "$T/$mock_name.port" --log "$MOCK_LOG" \
		--credentials "$T/mock-creds.json" ${mock_data:+--data "$mock_data"} "$@"
	MOCK_PORT=$SERVER_PORT
	MOCK_PID=$SERVER_PID
	MOCK_URL="https://127.0.0.1:$MOCK_PORT"
}

# demo_config CFG DATA OUT [SED-OPTION...]: examples/demo.xml as CFG,
# reading its exports from DATA and writing snapshots under OUT.  The
# SED-OPTIONs (-e EXPR ...) edit the demo's own text first, before the
# two folders are put in.
demo_config() {
	dc_cfg=$1 dc_data=$2 dc_out=$3
	shift 3
	sed "$@" -e "s|<output dir=\"reports\"/>|<output dir=\"$dc_out\"/>|" \
	    -e "s|demo-data/|$dc_data/|g" "$BP_SRCDIR/examples/demo.xml" >"$dc_cfg"
}

# man_clean PAGE: PAGE formats with man(1) without a warning; the text in
# $T/man.out.
man_clean() {
	LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$1" >"$T/man.out" 2>"$T/man.err" ||
		fail "man -l $1 failed: $(cat "$T/man.err")"
	[ ! -s "$T/man.err" ] || fail "man -l $1 warns: $(cat "$T/man.err")"
}
