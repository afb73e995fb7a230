#!/bin/sh
# The connectors' config contract, check --online, and boardpack auth.
# Config: each mistake is exit 78 naming the attribute and line (unknown
# connector, a kind it does not read, a bad account, url with connector,
# no or two credentials, an unknown oauth, a preset that does not fit,
# login-customer-id on another vendor, a refresh token file others may
# read).  check --online prints each account's name, currency and time
# zone, or what is wrong.  auth runs the loopback flow and writes the
# refresh token 0600.
. "$(dirname "$0")/lib.sh"
. "$BP_SRCDIR/tests/integration/conn_lib.sh"

conn_data 200
start_mock main "$T/data"
sa_key
conn_config "$T/good.xml" "$T/g" crm deals gads li meta ga4

# bad SED-EXPRESSION NEEDLE: the config altered so is refused with 78.
bad() {
	sed "$1" "$T/good.xml" >"$T/bad.xml"
	expect_status 78 "$BP" check -c "$T/bad.xml"
	grep -qF -- "$2" "$T/err" || fail "config ($1): wanted '$2', got: $(cat "$T/err")"
	grep -q "bad.xml:[0-9]" "$T/err" || fail "config ($1): no line in: $(cat "$T/err")"
}
bad 's/connector="meta"/connector="tiktok"/' "unknown connector 'tiktok': expected one of hubspot, google-ads, meta, linkedin, ga4"
bad 's/<traffic id="ga4" connector="ga4"/<traffic id="ga4" connector="meta"/' "connector 'meta' does not read traffic sources"
bad 's/account="123-456-7890"/account="123-456-789"/' "invalid account '123-456-789' for connector 'google-ads'"
bad 's/account="act_1029384756"/account="act_12x"/' "invalid account 'act_12x'"
bad 's/account="508812345"//' "connector 'linkedin' needs account="
bad 's/connector="hubspot" api-base/connector="hubspot" url="x.csv" api-base/' "url and connector exclude each other"
bad 's/token-env="META_TOKEN"//' "needs one of token-env, token-file and oauth"
bad 's/token-env="META_TOKEN"/token-env="META_TOKEN" oauth="google"/' "needs only one of token-env, token-file and oauth"
bad 's/oauth="li"/oauth="linked"/' "unknown oauth 'linked'"
bad 's/connector="google-ads"/connector="google-ads" linkedin-version="202603"/' "attribute 'linkedin-version' is for connector 'linkedin'"
bad 's|<oauth id="li" |<oauth id="li" redirect-uri="https://example.com/cb" |' "invalid value 'https://example.com/cb' for attribute 'redirect-uri'"
# Meta has no token endpoint to renew at: refused here, not a crash in run.
bad 's/token-env="META_TOKEN"/oauth="google"/' "connector 'meta' takes no oauth"
bad 's/connector="ga4"/connector="ga4" preset="csv"/' "preset 'csv' does not fit connector 'ga4'"
bad 's/connector="meta"/connector="meta" login-customer-id="1234567890"/' "attribute 'login-customer-id' is for connector 'google-ads'"
bad 's|api-base="https://\([^"]*\)" token-env="HS_TOKEN"|api-base="https://\1/crm" token-env="HS_TOKEN"|' "invalid value"
bad 's/<spend id="gads" connector="google-ads"/<spend id="gads" url="x.csv" preset="google-ads"/' "attribute 'account' is for a source with connector"

# The check without the network names each connector's source.
expect_status 0 "$BP" check -c "$T/good.xml"
grep -q "not read: a connector's source" "$T/out" || fail "check did not say the connectors' sources are not read"

# check --online: one call each, the accounts' facts.
expect_status 0 "$BP" check -c "$T/good.xml" --online
grep -q "meta .*Acme, currency KRW, time zone Asia/Seoul" "$T/out" || fail "no Meta account line: $(cat "$T/out")"
grep -q "gads .*Acme, currency KRW, time zone Asia/Seoul" "$T/out" || fail "no Google Ads line: $(cat "$T/out")"
grep -q "li .*currency KRW, time zone UTC" "$T/out" || fail "no LinkedIn line: $(cat "$T/out")"
grep -q "ga4 .*currency KRW, time zone Asia/Seoul" "$T/out" || fail "no GA4 line: $(cat "$T/out")"
# ... and what is wrong with a bad token.
META_TOKEN=EAAB-expired-token expect_status 78 "$BP" check -c "$T/good.xml" --online
grep -q "meta .*error: .*Meta error 190" "$T/out" || fail "no Meta error line: $(cat "$T/out")"
no_secret_in "$T/out" "$T/err"

# A credential variable that is set but empty says so.
META_TOKEN= expect_status 78 "$BP" run -c "$T/good.xml" --period 2026-10 --no-email
grep -q "'META_TOKEN' (token-env of source 'meta') is empty" "$T/err" ||
	fail "an empty token variable was not called empty: $(cat "$T/err")"

# A refresh token file others may read is refused (78), before any call.
chmod 644 "$T/secrets/li.refresh"
expect_status 78 "$BP" run -c "$T/good.xml" --period 2026-10 --no-email
grep -q "li.refresh.*chmod 600" "$T/err" || fail "a readable refresh token file was not refused: $(cat "$T/err")"
chmod 600 "$T/secrets/li.refresh"

# boardpack auth: the loopback flow writes the new refresh token, 0600,
# though the browser opens connections it sends nothing on, asks for a
# favicon and comes back from an older tab first.
rm -f "$T/secrets/new.refresh"
"$PY" "$BP_SRCDIR/tests/integration/auth_flow.py" "$T/tls/server.pem" "$T/tls/server.key" \
	"$T/tok.port" --stall -- "$BP" auth -c "$T/auth.xml" google >"$T/auth.out" 2>"$T/auth.err" &
flow=$!
i=0
while [ ! -s "$T/tok.port" ]; do i=$((i + 1)); [ $i -lt 100 ] || fail "no token endpoint"; sleep 0.1; done
sed "s|token-url=\"$MOCK_URL/token\" client-id=\"123|token-url=\"https://127.0.0.1:$(cat "$T/tok.port")/token\" auth-url=\"https://accounts.example/o/oauth2/auth\" client-id=\"123|; s|$T/secrets/g.refresh|$T/secrets/new.refresh|" \
	"$T/good.xml" >"$T/auth.xml"
: >"$T/tok.port.ready"
wait $flow || fail "auth failed: $(cat "$T/auth.out" "$T/auth.err")"
[ "$(cat "$T/secrets/new.refresh")" = "1//new-refresh-token" ] || fail "the refresh token was not written"
[ "$(stat -c %a "$T/secrets/new.refresh")" = 600 ] || fail "the refresh token file is not 0600"
grep -q "https://accounts.example/o/oauth2/auth?response_type=code" "$T/auth.out" || fail "no URL printed"
grep -q "new-refresh-token" "$T/auth.out" "$T/auth.err" && fail "auth printed the refresh token"

# LinkedIn takes only the redirect URI its app registered: redirect-uri
# is sent exactly, listened for on its port, and exchanged with the code.
free_port() {
	"$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
RP=$(free_port)
rm -f "$T/secrets/li-new.refresh" "$T/tok.port" "$T/tok.port.ready"
"$PY" "$BP_SRCDIR/tests/integration/auth_flow.py" "$T/tls/server.pem" "$T/tls/server.key" \
	"$T/tok.port" --secret li-client-secret --redirect "http://localhost:$RP/callback" \
	-- "$BP" auth -c "$T/li-auth.xml" li >"$T/auth.out" 2>"$T/auth.err" &
flow=$!
i=0
while [ ! -s "$T/tok.port" ]; do i=$((i + 1)); [ $i -lt 100 ] || fail "no token endpoint"; sleep 0.1; done
sed "s|token-url=\"$MOCK_URL/oauth/v2/accessToken\"|token-url=\"https://127.0.0.1:$(cat "$T/tok.port")/token\" redirect-uri=\"http://localhost:$RP/callback\"|; s|$T/secrets/li.refresh|$T/secrets/li-new.refresh|" \
	"$T/good.xml" >"$T/li-auth.xml"
: >"$T/tok.port.ready"
wait $flow || fail "LinkedIn auth failed: $(cat "$T/auth.out" "$T/auth.err")"
[ "$(cat "$T/secrets/li-new.refresh")" = "1//new-refresh-token" ] || fail "LinkedIn's refresh token was not written"
grep -q "redirect_uri=http%3A%2F%2Flocalhost%3A$RP%2Fcallback&" "$T/auth.out" ||
	fail "the registered redirect URI was not sent: $(cat "$T/auth.out")"

# Nobody comes back (a connection that sends nothing does not count):
# the wait ends, 75, saying what to do.
rm -f "$T/secrets/new.refresh"
RP=$(free_port)
sed "s|refresh-token-file=\"$T/secrets/g.refresh\"|refresh-token-file=\"$T/secrets/new.refresh\" redirect-uri=\"http://127.0.0.1:$RP/\"|" \
	"$T/good.xml" >"$T/wait.xml"
start=$(date +%s)
BOARDPACK_AUTH_WAIT_S=2 "$BP" auth -c "$T/wait.xml" google >"$T/auth.out" 2>"$T/auth.err" &
bpauth=$!
i=0
until grep -q "waiting for the browser" "$T/auth.out"; do i=$((i + 1)); [ $i -lt 100 ] || fail "auth printed no URL"; sleep 0.1; done
"$PY" -c 'import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
time.sleep(4)' "$RP" &
idle=$!
set +e
wait $bpauth
st=$?
set -e
wait $idle || :
[ "$st" -eq 75 ] || fail "a flow nobody finished: exit $st, not 75: $(cat "$T/auth.err")"
[ $(($(date +%s) - start)) -lt 15 ] || fail "the wait of 2 s did not end the flow"
grep -q "oauth 'google': no authorization came back to http://127.0.0.1:$RP/ within 2 s: run 'boardpack auth google' again" "$T/auth.err" ||
	fail "no clear message: $(cat "$T/auth.err")"
[ -e "$T/secrets/new.refresh" ] && fail "a refresh token file was written without an authorization"
echo "ok: config contract, check --online, auth"
