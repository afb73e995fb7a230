#!/bin/sh
# HubSpot through the vendor mock: the list endpoint through 429s with
# and without Retry-After and an HTML 502; an OAuth token that expires
# mid-run is renewed once (the 401) and the run goes on; the daily limit
# ends the run with 75 and no snapshot; the exports API (zipped parts, a
# download URL that expires, a file host that refuses a bearer token, a
# start answered 200) gives the same numbers as the list; pacing keeps to
# the documented rate.
. "$(dirname "$0")/lib.sh"
. "$BP_SRCDIR/tests/integration/conn_lib.sh"

conn_data

# The reference: the same two sources listed with nothing in the way.
start_mock ref "$T/data" --pacing off
conn_config "$T/ref.xml" "$T/ref" crm deals
run_ok "$T/ref.xml"
REF=$SNAP
mock_saw '"hs_v2_date_entered_customer" in r["query"] and "hs_lifecyclestage_customer_date" in r["query"]' \
	"contacts were listed without both stage date families"

# 1. Rate limits and an edge failure, retried.
start_mock rl "$T/data" --pacing off --scenario "$SC/hubspot-429-retry-after.json" \
	--scenario "$SC/hubspot-429-no-retry-after.json" --scenario "$SC/hubspot-502-once.json"
conn_config "$T/rl.xml" "$T/rl" crm deals
run_ok "$T/rl.xml"
same_numbers "$REF" "$SNAP" "after 429s and a 502"
n429=$(grep -c '"status": 429' "$MOCK_LOG")
[ "$n429" -eq 3 ] || fail "expected 3 answers 429, the mock logged $n429"
# Retry-After: 1 is waited out (every backoff here is 5 ms): the gap
# between the 429 and the next request of the mock's log.
"$PY" -c 'import json, sys
rs = [json.loads(l) for l in open(sys.argv[1])]
i = next(i for i, r in enumerate(rs) if r.get("scenario") == "hubspot-429-retry-after.json")
gap = rs[i + 1]["time"] - rs[i]["time"]
print("Retry-After: next request after %.2f s" % gap)
sys.exit(0 if gap >= 0.95 else 1)' "$MOCK_LOG" || fail "Retry-After: 1 was not honoured"

# 1b. A ten-secondly limit that outlasts the retries: 75 (try later),
# not 69.
start_mock rl75 "$T/data" --pacing off --scenario "$SC/hubspot-429-no-retry-after.json"
CRM_EXTRA='retries="1"' conn_config "$T/rl75.xml" "$T/rl75" crm
expect_status 75 "$BP" run -c "$T/rl75.xml" --period 2026-10 --no-email
grep -q "TEN_SECONDLY_ROLLING" "$T/err" || fail "no policy in: $(cat "$T/err")"
no_snapshot "$T/rl75"

# 1c. A server error that outlasts the retries names the vendor and what
# its answer says, on one line, without control characters or the
# token the answer echoes, and bounded.
long=$(printf 'x%.0s' $(seq 1 600))
cat >"$T/503.json" <<JSON
{"match": {"path": "^/crm/v3/objects/contacts\$"}, "nth": 1, "times": -1,
 "reply": {"status": 503, "body": {"status": "error", "category": "SERVICE_UNAVAILABLE",
   "message": "Service down\u001b[31m\nfor maintenance of $HS_TOKEN $long"}}}
JSON
start_mock s503 "$T/data" --pacing off --scenario "$T/503.json"
CRM_EXTRA='retries="1"' conn_config "$T/s503.xml" "$T/s503" crm
expect_status 69 "$BP" run -c "$T/s503.xml" --period 2026-10 --no-email
grep -q "HubSpot answered HTTP 503 (SERVICE_UNAVAILABLE: Service down \[31m for maintenance of \[secret\] xxx" "$T/err" ||
	fail "the 503's message is not in: $(cat "$T/err")"
[ "$(wc -l <"$T/err")" -eq 1 ] || fail "more than one line: $(cat "$T/err")"
[ "$(wc -c <"$T/err")" -lt 600 ] || fail "the vendor's message is not bounded: $(wc -c <"$T/err") bytes"
tr -d '\033' <"$T/err" | cmp -s - "$T/err" || fail "an escape character reached the message"
no_secret_in "$T/err"

# 2. OAuth: the token expires at the 2nd CRM request; renewed once.
start_mock oauth "$T/data" --pacing off --scenario "$SC/hubspot-401-token-expires.json"
conn_config "$T/oauth.xml" "$T/oauth" crm deals
sed -i 's|token-env="HS_TOKEN"|oauth="hubspot"|' "$T/oauth.xml"
run_ok "$T/oauth.xml"
grants=$(grep -c '"path": "/oauth/v1/token"' "$MOCK_LOG")
[ "$grants" -eq 2 ] || fail "expected 2 token grants (start, after the 401), got $grants"
grep -q '"status": 401' "$MOCK_LOG" || fail "the mock never answered 401"
same_numbers "$REF" "$SNAP" "OAuth run"

# 3. The daily limit: exit 75, the vendor's words, no snapshot.
start_mock daily "$T/data" --pacing off --scenario "$SC/hubspot-429-daily.json"
conn_config "$T/daily.xml" "$T/daily" crm deals
expect_status 75 "$BP" run -c "$T/daily.xml" --period 2026-10 --no-email
grep -q "DAILY" "$T/err" || fail "the daily limit's error does not name DAILY: $(cat "$T/err")"
grep -q "source 'crm'" "$T/err" || fail "the error does not name the source: $(cat "$T/err")"
[ "$(wc -l <"$T/err")" -eq 1 ] || fail "more than one line: $(cat "$T/err")"
no_snapshot "$T/daily"

# 4. The exports API, in its awkward forms, against the list's numbers.
start_mock ex "$T/data" --pacing off --scenario "$SC/hubspot-export-zip-parts.json" \
	--scenario "$SC/hubspot-export-reject-auth.json" --scenario "$SC/hubspot-export-200.json" \
	--scenario "$SC/hubspot-export-slow.json"
CRM_EXTRA='method="export"' DEALS_EXTRA='method="export"' conn_config "$T/ex.xml" "$T/ex" crm deals
run_ok "$T/ex.xml"
same_numbers "$REF" "$SNAP" "export (zip in parts) vs list"
[ -f "$SNAP/sources/crm/export.zip" ] || fail "the zipped export was not archived as it came"
mock_saw 'r["port"] == "download" and r["status"] == 200 and not r["authorization_sent"]' \
	"the export download failed or carried the bearer token"
grep -q 'Signature' "$SNAP/sources/crm/index.json" && fail "the index keeps the pre-signed URL's signature"
no_secret_in "$T/ex"

# 5. A download URL that has expired when it is used: a fresh poll gives
# a fresh one (URLs live 1 s here, the first download finds it expired).
start_mock exp "$T/data" --pacing off --scenario "$SC/hubspot-export-url-expires.json" \
	--scenario "$SC/hubspot-export-download-expired.json"
CRM_EXTRA='method="export"' conn_config "$T/exp.xml" "$T/exp" crm deals
run_ok "$T/exp.xml"
mock_saw 'r["port"] == "download" and r["status"] == 403' "no download was refused as expired"
same_numbers "$REF" "$SNAP" "export after an expired URL"

# 6. Pacing on: within HubSpot's smallest limit (100 requests per 10 s)
# in every rolling second, as the requests arrive, and never refused.
# The connector spaces its sends 1/9 s apart; arrival times jitter by a
# few milliseconds, so the check counts requests per window, as the
# vendor does, rather than the gap between two of them.
start_mock pace "$T/data"
sed 's/pacing="false"//' "$T/ref.xml" | sed "s|$(grep -o 'https://127.0.0.1:[0-9]*' "$T/ref.xml" | head -n 1)|$MOCK_URL|g; s|$T/ref\"|$T/pace\"|" >"$T/pace.xml"
run_ok "$T/pace.xml"
"$PY" -c 'import json, sys
rs = [json.loads(l) for l in open(sys.argv[1])]
t = sorted(r["time"] for r in rs)
most = max(sum(1 for u in t if s <= u < s + 1.0) for s in t)
print("pacing: %d requests, at most %d in a second" % (len(t), most))
sys.exit(0 if len(t) > 5 and most <= 10 and all(r["status"] != 429 for r in rs) else 1)' "$MOCK_LOG" ||
	fail "paced requests exceeded 10 in a second, or were refused"
echo "ok: HubSpot list, OAuth renewal, daily limit, exports, pacing"
