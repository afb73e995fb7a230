#!/bin/sh
# Google Ads and GA4 through the vendor mock, with Google's OAuth: a
# refresh token, and a service account whose RS256-signed JWT the mock
# verifies with the test key.  Quirks: the searchStream 429 with
# retryDelay, an error after a good batch under HTTP 200, an access token
# that expires mid-run, GA4's 429 RESOURCE_EXHAUSTED; and the failures
# that stop a run: a revoked refresh token (78, what to do), a service
# key the mock does not know (78), a missing login-customer-id (78), the
# daily quota (75, no snapshot).
. "$(dirname "$0")/lib.sh"
. "$BP_SRCDIR/tests/integration/conn_lib.sh"

conn_data
start_mock ref "$T/data"
sa_key
files_config "$T/files.xml" "$T/fout"
run_ok "$T/files.xml"
FILES=$SNAP

# A config with the files' contacts and deals and the connectors' spend and
# traffic: only the Google sources differ from the files' run.
mixed() { # FILE OUTDIR SOURCE...
	mf=$1 mo=$2
	shift 2
	sed -n '1,/<sources>/p' "$T/files.xml" | sed "s|<report |<report ca-file=\"$CA\" |" >"$mf"
	grep -E '<(contacts|deals) ' "$T/files.xml" >>"$mf"
	grep -E 'id="(li|meta)"' "$T/files.xml" >>"$mf"
	for s in "$@"; do echo "    $(conn_source "$s")" >>"$mf"; done
	case " $* " in *" gads "*) ;; *) grep 'id="gads"' "$T/files.xml" >>"$mf" ;; esac
	case " $* " in *" ga4 "*) ;; *) grep 'id="ga4"' "$T/files.xml" >>"$mf" ;; esac
	conn_config "$T/auth.tmp" "$mo"
	sed -n '/<\/sources>/,$p' "$T/auth.tmp" >>"$mf"
}

# 1. Refresh token for Ads, service account (JWT) for GA4.
GA4_OAUTH=ga4-sa mixed "$T/g.xml" "$T/g" gads ga4
run_ok "$T/g.xml"
same_numbers "$FILES" "$SNAP" "Google Ads and GA4 vs files"
mock_saw '"jwt-bearer" in r["body"] and r["status"] == 200' "no JWT-bearer grant was accepted"
mock_saw 'r["headers"].get("login-customer-id") == "9876543210"' "login-customer-id not sent"
grep -q '"time_zone": "Asia/Seoul"' "$SNAP/sources/ga4/index.json" ||
	fail "the property's time zone is not recorded"
no_secret_in "$T/g"
# The second run finds the access tokens in the cache: no new grant.
grants=$(grep -c '"path": "/token"' "$MOCK_LOG")
run_ok "$T/g.xml"
[ "$(grep -c '"path": "/token"' "$MOCK_LOG")" -eq "$grants" ] ||
	fail "cached access tokens were not reused"

# 2. Quirks, retried: 429 retryDelay 2s, an error after one good batch,
# the token expiring at the stream, GA4's 429.
start_mock quirks "$T/data" --scenario "$SC/google-ads-429-retry-delay.json" \
	--scenario "$SC/google-ads-stream-error-after-batch.json" \
	--scenario "$SC/google-ads-401-token-expires.json" \
	--scenario "$SC/ga4-429-resource-exhausted.json"
mixed "$T/q.xml" "$T/q" gads ga4
rm -f "$T"/q/.cache/.oauth-*
run_ok "$T/q.xml"
same_numbers "$FILES" "$SNAP" "after Google's quirks"
mock_saw 'r.get("scenario") == "google-ads-429-retry-delay.json"' "the 429 was not served"
mock_saw 'r.get("scenario") == "google-ads-stream-error-after-batch.json"' "the stream error was not served"
stream_times=$("$PY" -c 'import json, sys
t = [json.loads(l)["time"] for l in open(sys.argv[1]) if "searchStream" in l]
print("%.1f" % (t[1] - t[0]))' "$MOCK_LOG")
"$PY" -c "import sys; sys.exit(0 if $stream_times >= 1.9 else 1)" ||
	fail "retryDelay 2s not honoured (retried after ${stream_times}s)"

# 2b. GA4 in pages of 1,000 rows: limit/offset until rowCount, the same
# numbers.
start_mock pages "$T/data"
mixed "$T/p.xml" "$T/p" ga4
BOARDPACK_GA4_PAGE_ROWS=1000 run_ok "$T/p.xml"
same_numbers "$FILES" "$SNAP" "GA4 in pages of 1,000 rows"
pages=$(mock_count '":runReport" in r["path"] and r["status"] == 200')
"$PY" - "$MOCK_LOG" "$pages" <<'PY' || fail "GA4 was not paged by limit/offset until rowCount"
import json, sys
rs = [json.loads(l) for l in open(sys.argv[1]) if ":runReport" in l]
bodies = [json.loads(r["body"]) for r in rs]
offsets = [int(b["offset"]) for b in bodies]
assert int(sys.argv[2]) >= 3, "only %s pages" % sys.argv[2]
assert offsets == list(range(0, 1000 * len(offsets), 1000)), offsets
assert all(int(b["limit"]) == 1000 for b in bodies)
PY
# A property with 30 tokens an hour left, 10 a report: the 4th page is
# refused (429 RESOURCE_EXHAUSTED) through every retry: 75, no snapshot.
start_mock small "$T/data" --scenario "$SC/ga4-small-quota.json"
mixed "$T/sq.xml" "$T/sq" ga4
BOARDPACK_GA4_PAGE_ROWS=1000 expect_status 75 "$BP" run -c "$T/sq.xml" --period 2026-10 --no-email
grep -q "RESOURCE_EXHAUSTED" "$T/err" || fail "no quota error: $(cat "$T/err")"
[ "$(mock_count '":runReport" in r["path"] and r["status"] == 200')" -eq 3 ] ||
	fail "expected 3 reports within the quota"
no_snapshot "$T/sq"

# 5. Through a manager without login-customer-id: 78.
mixed "$T/l.xml" "$T/l" gads
sed -i 's/ login-customer-id="[^"]*"//' "$T/l.xml"
expect_status 78 "$BP" run -c "$T/l.xml" --period 2026-10 --no-email
grep -q "USER_PERMISSION_DENIED" "$T/err" || fail "no permission error: $(cat "$T/err")"

# 3. A revoked refresh token: exit 78 and what to do.
start_mock grant "$T/data" --scenario "$SC/google-oauth-invalid-grant.json"
mixed "$T/r.xml" "$T/r" gads
expect_status 78 "$BP" run -c "$T/r.xml" --period 2026-10 --no-email
grep -q "invalid_grant" "$T/err" || fail "no invalid_grant in: $(cat "$T/err")"
grep -q "boardpack auth google" "$T/err" || fail "no advice in: $(cat "$T/err")"
[ "$(wc -l <"$T/err")" -eq 1 ] || fail "more than one line: $(cat "$T/err")"
no_snapshot "$T/r"
no_secret_in "$T/err"

# 4. A service account key the mock does not know: 78.
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$T/other.key" 2>/dev/null
"$PY" - "$T/other.key" "$T/secrets/sa.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[2]))
d["private_key"] = open(sys.argv[1]).read()
json.dump(d, open(sys.argv[2], "w"))
PY
GA4_OAUTH=ga4-sa mixed "$T/k.xml" "$T/k" ga4
expect_status 78 "$BP" run -c "$T/k.xml" --period 2026-10 --no-email
grep -q "Invalid JWT Signature" "$T/err" || fail "no signature error: $(cat "$T/err")"
# A key file others may read is refused before any request.
chmod 644 "$T/secrets/sa.json"
expect_status 78 "$BP" run -c "$T/k.xml" --period 2026-10 --no-email
grep -q "chmod 600" "$T/err" || fail "a world-readable key was not refused: $(cat "$T/err")"

# 6. The daily quota: 75, no snapshot.
start_mock daily "$T/data" --scenario "$SC/google-ads-daily-quota.json"
mixed "$T/d.xml" "$T/d" gads
expect_status 75 "$BP" run -c "$T/d.xml" --period 2026-10 --no-email
grep -q "RESOURCE_EXHAUSTED" "$T/err" || fail "no quota error: $(cat "$T/err")"
no_snapshot "$T/d"

# 7. A quota error without retryDelay that outlasts the retries is one
# for later too: 75, not 69.
start_mock quota "$T/data" --scenario "$SC/google-ads-429-no-retry-delay.json"
mixed "$T/n.xml" "$T/n" gads
expect_status 75 "$BP" run -c "$T/n.xml" --period 2026-10 --no-email
grep -q "RESOURCE_EXHAUSTED" "$T/err" || fail "no quota error: $(cat "$T/err")"
grep -q "try again later" "$T/err" || fail "no advice to try later: $(cat "$T/err")"
no_snapshot "$T/n"
# GA4's hourly tokens, with no retry left: 75 as well.
start_mock ga4q "$T/data" --scenario "$SC/ga4-429-resource-exhausted.json"
GA4_EXTRA='retries="0"' mixed "$T/q0.xml" "$T/q0" ga4
expect_status 75 "$BP" run -c "$T/q0.xml" --period 2026-10 --no-email
grep -q "GA4 error RESOURCE_EXHAUSTED" "$T/err" || fail "no GA4 quota error: $(cat "$T/err")"

# 8. A key file whose private_key is no key: 78, naming the file and
# the oauth client.
"$PY" - "$T/secrets/sa.json" "$T/secrets/sa-bad.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
d["private_key"] = "-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n"
json.dump(d, open(sys.argv[2], "w"))
PY
chmod 600 "$T/secrets/sa-bad.json"
sed "s|$T/secrets/sa.json|$T/secrets/sa-bad.json|" "$T/k.xml" >"$T/kb.xml"
expect_status 78 "$BP" run -c "$T/kb.xml" --period 2026-10 --no-email
grep -q "service-account-file '$T/secrets/sa-bad.json' of oauth 'ga4-sa'" "$T/err" ||
	fail "the bad key is not named: $(cat "$T/err")"
grep -q "not a PEM private key" "$T/err" || fail "no reason: $(cat "$T/err")"
echo "ok: Google Ads and GA4, refresh and JWT grants, quirks, failures"
