#!/bin/sh
# The vendor mock (tests/mocks) behaves as CONNECTORS.md says the vendors
# do: paging ends, HubSpot's search cap, export states, zip and expiring
# URLs, Google's JWT check, Rest.li strictness, Meta's paging and async
# runs, GA4's offsets, and the scenario files' injected failures.  Numbers
# served are compared with the bp-gen files they came from, read here with
# Python's csv module, independently of the mock's own reader.
. "$(dirname "$0")/lib.sh"

[ -x "$GEN" ] || { echo "skip: build/bp-gen not built" >&2; exit 77; }
"$PY" -c 'import cryptography' 2>/dev/null ||
	{ echo "skip: python3-cryptography missing" >&2; exit 77; }
command -v curl >/dev/null || { echo "skip: curl missing" >&2; exit 77; }

SC="$BP_SRCDIR/tests/mocks/scenarios"
demo_data "$T/data" 2000

# call NAME CURL-ARGS...: the status; body in $T/NAME.json, headers in
# $T/NAME.hdr.
call() {
	n=$1
	shift
	curl -sS --cacert "$CA" -o "$T/$n.json" -D "$T/$n.hdr" -w '%{http_code}' "$@" || :
}

# expect STATUS NAME CURL-ARGS...
expect() {
	want=$1
	shift
	got=$(call "$@")
	[ "$got" = "$want" ] || fail "$1: expected HTTP $want, got $got: $(head -c 400 "$T/$1.json")"
}

# ok NAME PYTHON-EXPRESSION WHAT: the expression holds for d, the body of
# NAME parsed as JSON.
ok() {
	"$PY" -c 'import json, sys
d = json.load(open(sys.argv[1], encoding="utf-8"))
sys.exit(0 if eval(sys.argv[2]) else 1)' "$T/$1.json" "$2" ||
		fail "$3: $(head -c 400 "$T/$1.json")"
}

has_header() {
	grep -qi "^$2:" "$T/$1.hdr" || fail "$1: no $2 header"
}

# A Python helper for the checks that walk pages or read the exports.
cat >"$T/walk.py" <<'PY'
import csv, io, json, ssl, sys, urllib.request
ctx = ssl.create_default_context(cafile=sys.argv[1])

def get(url, headers=None, data=None):
    req = urllib.request.Request(url, data=data, headers=headers or {})
    with urllib.request.urlopen(req, context=ctx) as r:
        return json.load(r)

def rows(path, header_first, enc="utf-8-sig", delim=","):
    text = open(path, encoding=enc).read()
    lines = list(csv.reader(io.StringIO(text), delimiter=delim))
    i = next(k for k, l in enumerate(lines) if l and l[0] == header_first)
    return [dict(zip(lines[i], l)) for l in lines[i + 1:] if l]

def num(s):
    s = s.replace(",", "").replace("\u20a9", "").strip()
    return 0 if s in ("", "--") else float(s)
PY

start_mock main "$T/data"
# Meta rows of October 2026, counted from meta.csv.
OCT=$("$PY" -c 'import sys
print(sum(1 for l in open(sys.argv[1], encoding="utf-8-sig") if l.startswith("2026-10-")))' "$T/data/meta.csv")
A=$MOCK_URL
ALOG=$MOCK_LOG
PAT="Authorization: Bearer pat-na1-11111111-2222-3333-4444-555555555555"

# ---- HubSpot list: paging to the end, strings, both timestamp forms ----
T="$T" "$PY" - "$CA" "$A" "$T/data" <<'PY' || fail "HubSpot list paging"
import os, re, sys, datetime, zoneinfo
exec(open(os.environ["T"] + "/walk.py").read())
ca, base, data = sys.argv[1:4]
h = {"Authorization": "Bearer pat-na1-11111111-2222-3333-4444-555555555555"}
want = {}
for r in rows(data + "/contacts.csv", "First Name"):
    want.setdefault(r["Record ID"], r)
got, after, pages = {}, None, 0
while True:
    url = base + "/crm/v3/objects/contacts?limit=100&properties=createdate,lifecyclestage,hs_analytics_source&associations=deals"
    if after:
        url += "&after=" + after
    page = get(url, h)
    pages += 1
    for c in page["results"]:
        assert c["id"] not in got, "id twice: " + c["id"]
        got[c["id"]] = c
        for v in c["properties"].values():
            assert v is None or isinstance(v, str), v
    if "paging" not in page:
        break
    after = page["paging"]["next"]["after"]
    assert after.endswith("%3D%3D"), after   # already URL-encoded
assert set(got) == set(want), (len(got), len(want))
assert pages == (len(want) + 99) // 100, pages
stamps = [c["properties"]["createdate"] for c in got.values()]
assert any(re.search(r"\.\d{3}Z$", s) for s in stamps)
assert any(re.search(r":\d\dZ$", s) for s in stamps)
seoul = zoneinfo.ZoneInfo("Asia/Seoul")
for ident in list(want)[:50]:
    local = datetime.datetime.strptime(want[ident]["Create Date"], "%Y-%m-%d %H:%M").replace(tzinfo=seoul)
    utc = local.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
    assert got[ident]["properties"]["createdate"].startswith(utc), ident
    if want[ident]["Original Source"] == "Paid search":
        assert got[ident]["properties"]["hs_analytics_source"] == "PAID_SEARCH"
    if want[ident]["Associated Deal IDs"]:
        ids = [a["id"] for a in got[ident]["associations"]["deals"]["results"]]
        assert ids == want[ident]["Associated Deal IDs"].split(";"), ids
PY

expect 200 hs1 "$A/crm/objects/2026-03/contacts?limit=1" -H "$PAT"
ok hs1 'len(d["results"]) == 1 and "%3D" in d["paging"]["next"]["after"]' "date-versioned path"
has_header hs1 X-HubSpot-RateLimit-Remaining
has_header hs1 X-HubSpot-RateLimit-Daily
after=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["paging"]["next"]["after"])' "$T/hs1.json")
dbl=$(printf %s "$after" | sed 's/%/%25/g')
expect 400 hs2 "$A/crm/v3/objects/contacts?limit=1&after=$dbl" -H "$PAT"
expect 400 hs3 "$A/crm/v3/objects/contacts?limit=101" -H "$PAT"
expect 401 hs4 "$A/crm/v3/objects/contacts" -H "Authorization: Bearer nope"
ok hs4 'd["category"] == "INVALID_AUTHENTICATION"' "HubSpot 401 body"

# Deals: stage ids, amounts as strings, a labelled+unlabelled duplicate.
expect 200 hs5 "$A/crm/v3/objects/deals?limit=100&properties=dealstage,amount&associations=contacts" -H "$PAT"
ok hs5 'all(r["properties"]["dealstage"] in ("closedwon","closedlost","appointmentscheduled","qualifiedtobuy","presentationscheduled","decisionmakerboughtin","contractsent") for r in d["results"])' "deal stage ids"
ok hs5 'any(len({a["id"] for a in r["associations"]["contacts"]["results"]}) < len(r["associations"]["contacts"]["results"]) for r in d["results"])' "duplicate association rows"
deal=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["results"][1]["id"])' "$T/hs5.json")
expect 200 hs6 "$A/crm/v4/associations/deals/contacts/batch/read" -H "$PAT" \
	-H 'Content-Type: application/json' -d "{\"inputs\":[{\"id\":\"$deal\"}]}"
ok hs6 'type(d["results"][0]["to"][0]["toObjectId"]) is int' "v4 toObjectId is a number"

# Search: limits, integer after, total, no associations, no rate headers.
expect 200 hs7 "$A/crm/v3/objects/contacts/search" -H "$PAT" -H 'Content-Type: application/json' \
	-d '{"filterGroups":[{"filters":[{"propertyName":"createdate","operator":"GTE","value":"1759276800000"}]}],"sorts":[{"propertyName":"hs_object_id","direction":"ASCENDING"}],"properties":["createdate"],"limit":200,"after":"0"}'
ok hs7 'd["total"] > 200 and d["paging"]["next"]["after"] == "200" and "associations" not in d["results"][0]' "search page"
ok hs7 'all(r["properties"]["createdate"] >= "2025-10-01" for r in d["results"])' "search filter"
grep -qi '^X-HubSpot-RateLimit' "$T/hs7.hdr" && fail "search reply carries rate-limit headers"
expect 400 hs8 "$A/crm/v3/objects/contacts/search" -H "$PAT" -d '{"limit":201}'
# Contacts' modification date is lastmodifieddate; hs_lastmodifieddate is
# accepted and silently finds the wrong records.
expect 200 hs8a "$A/crm/v3/objects/contacts/search" -H "$PAT" \
	-d '{"filterGroups":[{"filters":[{"propertyName":"hs_lastmodifieddate","operator":"GTE","value":"0"}]}]}'
ok hs8a 'd["total"] == 0' "hs_lastmodifieddate on contacts"
# Search allows 5 requests a second: a burst of 7 meets SECONDLY.
curl -sS --cacert "$CA" -H "$PAT" -d '{"limit":1}' "$A/crm/v3/objects/deals/search" \
	"$A/crm/v3/objects/deals/search" "$A/crm/v3/objects/deals/search" \
	"$A/crm/v3/objects/deals/search" "$A/crm/v3/objects/deals/search" \
	"$A/crm/v3/objects/deals/search" "$A/crm/v3/objects/deals/search" >"$T/burst" 2>&1
grep -q '"policyName":"SECONDLY"' "$T/burst" || fail "no secondly 429 in a search burst"

# OAuth: form body only, RFC 6749 errors with HubSpot's status.
expect 400 hs9 "$A/oauth/2026-03/token" -d grant_type=refresh_token -d client_id=hs-client-id \
	-d client_secret=hs-client-secret -d refresh_token=wrong
ok hs9 'd["error"] == "invalid_grant" and d["status"] == "BAD_REFRESH_TOKEN"' "HubSpot bad refresh token"
expect 400 hs10 "$A/oauth/v1/token?grant_type=refresh_token&client_id=hs-client-id&client_secret=hs-client-secret&refresh_token=hs-refresh-token" -X POST
expect 200 hs11 "$A/oauth/v1/token" -d grant_type=refresh_token -d client_id=hs-client-id \
	-d client_secret=hs-client-secret -d refresh_token=hs-refresh-token
ok hs11 'd["expires_in"] == 1800 and len(d["access_token"]) == 300' "HubSpot token"
HSTOK=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["access_token"])' "$T/hs11.json")
expect 200 hs12 "$A/crm/v3/objects/deals?limit=1" -H "Authorization: Bearer $HSTOK"
grep -qi '^X-HubSpot-RateLimit-Daily' "$T/hs12.hdr" && fail "daily headers on an OAuth call"

# ---- HubSpot export: 202, PENDING -> PROCESSING -> COMPLETE, second port ----
expect 202 ex1 "$A/crm/v3/exports/export/async" -H "$PAT" -H 'Content-Type: application/json' \
	-d '{"exportType":"VIEW","exportName":"bp contacts","format":"CSV","language":"EN","objectType":"CONTACT","objectProperties":["hs_object_id","createdate","lifecyclestage"],"associatedObjectType":"DEAL","exportInternalValuesOptions":["NAMES","VALUES"]}'
ok ex1 'd["id"] and d["links"]["status"].endswith("/status")' "export task locator"
status=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["links"]["status"])' "$T/ex1.json")
states=""
for i in 1 2 3 4 5 6; do
	expect 200 ex2 "$status" -H "$PAT"
	s=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["status"])' "$T/ex2.json")
	states="$states $s"
	[ "$s" = COMPLETE ] && break
	sleep 0.1
done
case "$states" in " PENDING PROCESSING"*COMPLETE) ;; *) fail "export states:$states" ;; esac
url=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["result"])' "$T/ex2.json")
case "$url" in "$A"/*) fail "export result on the API port: $url" ;; https://127.0.0.1:*) ;; *) fail "result $url" ;; esac
expect 200 ex3 "$url"
head -c 200 "$T/ex3.json" | grep -q '"hs_object_id","createdate","lifecyclestage"' || fail "export header"
rows=$(grep -c '^"[0-9]' "$T/ex3.json")
want=$("$PY" -c 'import csv,sys; print(len({r["Record ID"] for r in csv.DictReader(open(sys.argv[1], encoding="utf-8-sig"))}))' "$T/data/contacts.csv")
[ "$rows" -eq "$want" ] || fail "export has $rows rows, want $want"
expect 200 ex4 "$url" -H "$PAT"
grep '"port": "download"' "$ALOG" | grep -q '"authorization_sent": false' || fail "log: download without auth"
grep '"port": "download"' "$ALOG" | grep -q '"authorization_sent": true' || fail "log: download with auth"

# ---- Google: refresh grant, JWT-bearer grant verified with the test key ----
expect 400 go1 "$A/token" -d grant_type=refresh_token -d client_id=123-test.apps.googleusercontent.com \
	-d client_secret=g-client-secret -d refresh_token=revoked
ok go1 'd["error"] == "invalid_grant"' "Google invalid_grant"
expect 200 go2 "$A/token" -d grant_type=refresh_token -d client_id=123-test.apps.googleusercontent.com \
	-d client_secret=g-client-secret -d refresh_token=1//g-refresh-token
GTOK=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["access_token"])' "$T/go2.json")

# jwt KEY [CLAIM=VALUE...]: an assertion signed by openssl with KEY.
cat >"$T/jwt.py" <<'PY'
import base64, json, subprocess, sys, time
def b64(b): return base64.urlsafe_b64encode(b).rstrip(b"=").decode()
now = int(time.time())
claims = {"iss": "boardpack@acme-test.iam.gserviceaccount.com",
          "scope": "https://www.googleapis.com/auth/analytics.readonly",
          "aud": "https://oauth2.googleapis.com/token", "iat": now, "exp": now + 3600}
for kv in sys.argv[2:]:
    k, v = kv.split("=", 1)
    claims[k] = int(v) + now if k in ("iat", "exp") else v
head = b64(json.dumps({"alg": "RS256", "typ": "JWT", "kid": "test-key-1"}).encode())
signing = head + "." + b64(json.dumps(claims).encode())
sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", sys.argv[1]],
                     input=signing.encode(), capture_output=True, check=True).stdout
print(signing + "." + b64(sig))
PY
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$T/wrong.key" 2>/dev/null
jwt_grant() {
	expect "$1" "$2" "$A/token" --data-urlencode "grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer" \
		--data-urlencode "assertion=$("$PY" "$T/jwt.py" "$3" ${4:+"$4"})"
}
jwt_grant 200 jw1 "$T/sa.key"
ok jw1 'd["token_type"] == "Bearer" and d["expires_in"] == 3599' "JWT grant"
SATOK=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["access_token"])' "$T/jw1.json")
jwt_grant 400 jw2 "$T/wrong.key"
ok jw2 'd["error"] == "invalid_grant" and "Signature" in d["error_description"]' "JWT signed by another key"
jwt_grant 400 jw3 "$T/sa.key" exp=7200
ok jw3 'd["error"] == "invalid_grant"' "JWT living longer than an hour"
jwt_grant 400 jw4 "$T/sa.key" aud=https://example.com/token
jwt_grant 400 jw5 "$T/sa.key" iss=other@acme-test.iam.gserviceaccount.com
jwt_grant 400 jw6 "$T/sa.key" scope=https://www.googleapis.com/auth/drive
ok jw6 'd["error"] == "invalid_scope"' "JWT with a foreign scope"

# ---- Google Ads searchStream ----
Q="SELECT customer.currency_code, customer.time_zone, campaign.id, campaign.name, segments.date, metrics.cost_micros, metrics.impressions, metrics.clicks, metrics.conversions FROM campaign WHERE segments.date BETWEEN '2025-05-01' AND '2026-10-31' ORDER BY segments.date"
expect 200 ga1 "$A/v26/customers/1234567890/googleAds:searchStream" -H "Authorization: Bearer $GTOK" \
	-H "login-customer-id: 9876543210" -H "developer-token: ignored" -H 'Content-Type: application/json' \
	-d "{\"query\": \"$Q\"}"
"$PY" - "$T/ga1.json" "$T/data/google-ads.csv" <<'PY' || fail "Google Ads stream vs google-ads.csv"
import csv, io, json, sys
d = json.load(open(sys.argv[1]))
assert isinstance(d, list) and len(d) >= 2
rid = d[0]["requestId"]
assert all(b["requestId"] == rid for b in d)
assert "queryResourceConsumption" in d[-1] and all("queryResourceConsumption" not in b for b in d[:-1])
rows = [r for b in d for r in b["results"]]
for r in rows:
    assert isinstance(r["metrics"]["costMicros"], str) and isinstance(r["campaign"]["id"], str)
    assert isinstance(r["metrics"]["conversions"], (int, float))
    assert r["customer"]["currencyCode"] == "KRW" and r["customer"]["timeZone"] == "Asia/Seoul"
lines = list(csv.reader(open(sys.argv[2], encoding="utf-8-sig")))
want = {}
for l in lines[3:]:
    if l[0].startswith("Total"):
        continue
    impr = int(l[5].replace(",", ""))
    if impr:
        want[(l[0], l[1])] = round(float(l[9].replace(",", "")) * 1e6)
got = {(r["segments"]["date"], r["campaign"]["name"]): int(r["metrics"]["costMicros"]) for r in rows}
assert got == want, (len(got), len(want))
assert len(lines) - 5 > len(want)   # days without impressions were left out
PY
expect 400 ga2 "$A/v26/customers/123-456-7890/googleAds:searchStream" -H "Authorization: Bearer $GTOK" \
	-H "login-customer-id: 9876543210" -d "{\"query\": \"$Q\"}"
ok ga2 'd[0]["error"]["details"][0]["errors"][0]["errorCode"] == {"requestError": "INVALID_CUSTOMER_ID"}' "hyphenated id"
expect 403 ga3 "$A/v26/customers/1234567890/googleAds:searchStream" -H "Authorization: Bearer $GTOK" -d "{\"query\": \"$Q\"}"
ok ga3 'd[0]["error"]["details"][0]["errors"][0]["errorCode"] == {"authorizationError": "USER_PERMISSION_DENIED"}' "login-customer-id missing"
expect 403 ga4 "$A/v26/customers/1234567890/googleAds:searchStream" -H "Authorization: Bearer $SATOK" \
	-H "login-customer-id: 9876543210" -d "{\"query\": \"$Q\"}"
expect 401 ga5 "$A/v26/customers/1234567890/googleAds:searchStream" -H "Authorization: Bearer ya29.unknown" -d '{}'
ok ga5 'd["error"]["status"] == "UNAUTHENTICATED"' "Google 401"

# ---- GA4 runReport: offsets until rowCount, strings, quota ----
T="$T" "$PY" - "$CA" "$A" "$SATOK" "$T/data/ga4.csv" <<'PY' || fail "GA4 paging vs ga4.csv"
import os, sys
exec(open(os.environ["T"] + "/walk.py").read())
ca, base, tok, path = sys.argv[1:5]
h = {"Authorization": "Bearer " + tok, "Content-Type": "application/json"}
got, offset, pages = 0, 0, 0
while True:
    body = {"dateRanges": [{"startDate": "2025-05-01", "endDate": "2026-10-31"}],
            "dimensions": [{"name": "date"}, {"name": "sessionDefaultChannelGroup"}],
            "metrics": [{"name": "sessions"}, {"name": "bounceRate"}],
            "limit": "1000" if pages % 2 else 1000, "offset": str(offset) if pages % 2 else offset,
            "returnPropertyQuota": pages == 0}
    d = get(base + "/v1beta/properties/123456789:runReport", h, json.dumps(body).encode())
    assert d["metadata"]["timeZone"] == "Asia/Seoul" and d["metadata"]["currencyCode"] == "KRW"
    assert ("propertyQuota" in d) == (pages == 0)
    for r in d.get("rows", []):
        assert all(isinstance(v["value"], str) for v in r["dimensionValues"] + r["metricValues"])
        got += int(r["metricValues"][0]["value"])
    pages += 1
    offset += 1000
    if offset >= d["rowCount"]:
        break
want = sum(int(r["Sessions"]) for r in rows(path, "Date", enc="utf-8"))
assert got == want and pages > 1, (got, want, pages)
PY
expect 200 g41 "$A/v1beta/properties/123456789/metadata" -H "Authorization: Bearer $SATOK"
ok g41 '"sessionDefaultChannelGroup" in [x["apiName"] for x in d["dimensions"]]' "GA4 metadata"
expect 403 g42 "$A/v1beta/properties/999:runReport" -H "Authorization: Bearer $SATOK" -d '{}'

# ---- Meta insights: paging.next with the token, strings, async runs ----
T="$T" "$PY" - "$CA" "$A" "$T/data/meta.csv" <<'PY' || fail "Meta paging vs meta.csv"
import os, sys, urllib.parse
exec(open(os.environ["T"] + "/walk.py").read())
ca, base, path = sys.argv[1:4]
q = urllib.parse.urlencode({"level": "campaign", "time_increment": "1",
    "time_range": json.dumps({"since": "2026-09-01", "until": "2026-10-31"}),
    "fields": "campaign_id,campaign_name,spend,impressions,clicks", "limit": "25"})
url = base + "/v26.0/act_1029384756/insights?" + q
spend, pages, bearer = 0, 0, {"Authorization": "Bearer EAAB-system-user-token"}
while url:
    d = get(url, bearer if pages == 0 else None)
    for r in d["data"]:
        assert isinstance(r["spend"], str) and isinstance(r["impressions"], str)
        spend += int(r["spend"])
    pages += 1
    url = d.get("paging", {}).get("next")
    assert url is None or "access_token=EAAB-system-user-token" in url
want = sum(num(r["Amount spent (KRW)"]) for r in rows(path, "Reporting starts")
           if "2026-09-01" <= r["Reporting starts"] <= "2026-10-31")
assert spend == want and pages > 2, (spend, want, pages)
PY
expect 400 me1 "$A/v26.0/act_1029384756/insights?access_token=EAAB-expired-token"
ok me1 'd["error"]["code"] == 190 and d["error"]["error_subcode"] == 463' "Meta expired token"
expect 400 me2 "$A/v26.0/act_1029384756/insights?access_token=EAAB-system-user-token&fields=bogus"
ok me2 'd["error"]["code"] == 100' "Meta bad field"
has_header me2 X-Business-Use-Case-Usage
expect 200 me3 "$A/v27.0/act_1029384756/insights" -H "Authorization: Bearer EAAB-system-user-token" \
	--data-urlencode level=campaign --data-urlencode time_increment=1 \
	--data-urlencode 'time_range={"since":"2026-10-01","until":"2026-10-31"}' --data-urlencode fields=spend
run=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["report_run_id"])' "$T/me3.json")
states=""
for i in 1 2 3 4 5 6; do
	expect 200 me4 "$A/v27.0/$run?access_token=EAAB-system-user-token"
	s=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["async_status"])' "$T/me4.json")
	states="$states|$s"
	[ "$s" = "Job Completed" ] && break
done
[ "$states" = "|Job Not Started|Job Started|Job Running|Job Completed" ] || fail "async states $states"
expect 200 me5 "$A/v27.0/$run/insights?access_token=EAAB-system-user-token&limit=500"
ok me5 'len(d["data"]) == '"$OCT"' and all(r["date_start"] == r["date_stop"] for r in d["data"])' "async report rows"

# ---- LinkedIn: strict Rest.li, headers, field cap, paging, refresh ----
expect 200 li0 "$A/oauth/v2/accessToken" -d grant_type=refresh_token -d refresh_token=AQW-refresh-token \
	-d client_id=li-client-id -d client_secret=li-client-secret
LTOK=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["access_token"])' "$T/li0.json")
LH="LinkedIn-Version: 202603"
RH="X-Restli-Protocol-Version: 2.0.0"
LA="Authorization: Bearer $LTOK"
RANGE='dateRange=(start:(year:2026,month:9,day:1),end:(year:2026,month:10,day:30))'
ACCTS='accounts=List(urn%3Ali%3AsponsoredAccount%3A508812345)'
AN="$A/rest/adAnalytics?q=analytics&pivot=CAMPAIGN&timeGranularity=DAILY&$RANGE&$ACCTS"
expect 200 li1 "$AN&fields=dateRange,pivotValues,costInLocalCurrency,impressions,clicks" -H "$LH" -H "$RH" -H "$LA"
ok li1 'len(d["elements"]) == 120 and all(isinstance(e["costInLocalCurrency"], str) and isinstance(e["impressions"], int) for e in d["elements"])' "adAnalytics elements"
expect 400 li2 "$A/rest/adAnalytics?q=analytics&pivot=CAMPAIGN&timeGranularity=DAILY&dateRange=%28start%3A%28year%3A2026%2Cmonth%3A10%2Cday%3A1%29%29&$ACCTS" -H "$LH" -H "$RH" -H "$LA"
ok li2 'd["errorDetails"]["inputErrors"][0]["code"] == "PARAM_INVALID"' "encoded parens"
expect 400 li3 "$A/rest/adAnalytics?q=analytics&pivot=CAMPAIGN&$RANGE&accounts=List%28urn%3Ali%3AsponsoredAccount%3A508812345%29" -H "$LH" -H "$RH" -H "$LA"
expect 400 li4 "$AN" -H "$RH" -H "$LA"
expect 426 li5 "$AN" -H "LinkedIn-Version: 202401" -H "$RH" -H "$LA"
expect 400 li6 "$AN" -H "$LH" -H "$LA"
f21=$(seq 1 21 | sed 's/^/f/' | paste -sd, -)
expect 400 li7 "$AN&fields=$f21" -H "$LH" -H "$RH" -H "$LA"
expect 200 li8 "$A/rest/adAccounts/508812345/adCampaigns?q=search&pageSize=1&search=(status:(values:List(ACTIVE,PAUSED,ARCHIVED)))" -H "$LH" -H "$RH" -H "$LA"
tok=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["metadata"]["nextPageToken"])' "$T/li8.json")
expect 200 li9 "$A/rest/adAccounts/508812345/adCampaigns?q=search&pageSize=1&pageToken=$tok" -H "$LH" -H "$RH" -H "$LA"
ok li9 'len(d["elements"]) == 1 and "nextPageToken" not in d["metadata"] and type(d["elements"][0]["id"]) is int' "adCampaigns last page"
expect 200 li10 "$A/rest/adAccounts/508812345" -H "$LH" -H "$RH" -H "$LA"
ok li10 'd["currency"] == "KRW"' "ad account currency"

# ---- a synthetic portal: the 10k search cap, zip over 2 MB, expiry ----
start_mock synth "" --hubspot-synthetic 30000 --pacing off --export-url-ttl 1 --token-ttl 1
B=$MOCK_URL
expect 200 sy1 "$B/crm/v3/objects/contacts/search" -H "$PAT" -d '{"limit":200,"after":"9800"}'
ok sy1 'd["total"] == 30000 and d["paging"]["next"]["after"] == "10000"' "search near the cap"
expect 400 sy2 "$B/crm/v3/objects/contacts/search" -H "$PAT" -d '{"limit":200,"after":"10000"}'
expect 202 sy3 "$B/crm/v3/exports/export/async" -H "$PAT" \
	-d '{"exportType":"VIEW","exportName":"big","format":"CSV","objectType":"CONTACT","objectProperties":["hs_object_id","email","createdate","lifecyclestage","hs_analytics_source","hs_lifecyclestage_lead_date","hs_v2_date_entered_lead"],"exportInternalValuesOptions":["NAMES","VALUES"]}'
st=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["links"]["status"])' "$T/sy3.json")
for i in 1 2 3 4 5 6 7 8 9 10; do
	expect 200 sy4 "$st" -H "$PAT"
	grep -q '"COMPLETE"' "$T/sy4.json" && break
	sleep 0.2
done
zurl=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["result"])' "$T/sy4.json")
expect 200 big "$zurl"
"$PY" - "$T/big.json" <<'PY' || fail "export over 2 MB is not a zip of 30000 rows"
import sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
lines = sum(z.read(n).count(b"\n") for n in z.namelist())
assert open(sys.argv[1], "rb").read(4) == b"PK\x03\x04" and lines == 30001, lines
PY
expect 200 sy5 "$B/oauth/2026-03/token" -d grant_type=refresh_token -d client_id=hs-client-id \
	-d client_secret=hs-client-secret -d refresh_token=hs-refresh-token
STOK=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["access_token"])' "$T/sy5.json")
expect 200 sy6 "$B/crm/v3/objects/contacts?limit=1" -H "Authorization: Bearer $STOK"
sleep 1.2
expect 403 sy7 "$zurl"
grep -q "expired" "$T/sy7.json" || fail "expired export URL body"
expect 401 sy8 "$B/crm/v3/objects/contacts?limit=1" -H "Authorization: Bearer $STOK"
ok sy8 'd["category"] == "EXPIRED_AUTHENTICATION"' "expired HubSpot token"
expect 200 sy9 "$st" -H "$PAT"
expect 200 big2 "$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["result"])' "$T/sy9.json")"

# LinkedIn's refresh token keeps its expiry: the second answer has less left.
expect 200 li11 "$A/oauth/v2/accessToken" -d grant_type=refresh_token -d refresh_token=AQW-refresh-token \
	-d client_id=li-client-id -d client_secret=li-client-secret
"$PY" -c 'import json,sys
a, b = (json.load(open(p))["refresh_token_expires_in"] for p in sys.argv[1:3])
sys.exit(0 if b < a < 31536000 + 1 else 1)' "$T/li0.json" "$T/li11.json" || fail "refresh_token_expires_in did not decrease"

# ---- scenarios: every file loads; a set of them in one mock ----
set --
for f in "$SC"/*.json; do set -- "$@" --scenario "$f"; done
"$PY" "$BP_SRCDIR/tests/mocks/vendor_mock.py" "$@" --list-settings >/dev/null ||
	fail "a scenario file does not load"
start_mock scen "$T/data" --scenario "$SC/hubspot-429-retry-after.json" \
	--scenario "$SC/hubspot-export-zip-parts.json" --scenario "$SC/google-ads-429-retry-delay.json" \
	--scenario "$SC/google-ads-stream-error-after-batch.json" --scenario "$SC/meta-empty-page.json" \
	--scenario "$SC/linkedin-401-token-expires.json" --scenario "$SC/linkedin-truncate-100.json" \
	--scenario "$SC/hubspot-search-429-secondly.json"
C=$MOCK_URL
# Search's secondly limit, once: the next search is answered.
expect 429 scs "$C/crm/v3/objects/contacts/search" -H "$PAT" -d '{"limit":1}'
ok scs 'd["policyName"] == "SECONDLY" and "secondly limit" in d["message"]' "search's SECONDLY 429"
expect 200 scs2 "$C/crm/v3/objects/contacts/search" -H "$PAT" -d '{"limit":1}'
expect 200 sc1 "$C/crm/v3/objects/contacts?limit=1" -H "$PAT"
expect 429 sc2 "$C/crm/v3/objects/contacts?limit=1" -H "$PAT"
ok sc2 'd["policyName"] == "TEN_SECONDLY_ROLLING"' "scenario 429 body"
grep -qi '^Retry-After: 1' "$T/sc2.hdr" || fail "scenario Retry-After"
expect 200 sc3 "$C/crm/v3/objects/contacts?limit=1" -H "$PAT"
grep '"status": 429' "$MOCK_LOG" | grep -q '"scenario": "hubspot-429-retry-after.json"' || fail "log names the scenario"

expect 200 sc4 "$C/token" -d grant_type=refresh_token -d client_id=123-test.apps.googleusercontent.com \
	-d client_secret=g-client-secret -d refresh_token=1//g-refresh-token
CTOK=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["access_token"])' "$T/sc4.json")
gads() {
	expect "$1" "$2" "$C/v26/customers/1234567890/googleAds:searchStream" -H "Authorization: Bearer $CTOK" \
		-H "login-customer-id: 9876543210" -d "{\"query\": \"$Q\"}"
}
gads 429 sc5
ok sc5 'd[0]["error"]["details"][0]["errors"][0]["details"]["quotaErrorDetails"]["retryDelay"] == "2s"' "retryDelay"
gads 200 sc6
ok sc6 'len(d) == 2 and d[0]["results"] and "error" in d[1]' "error after a good batch"
gads 200 sc7
ok sc7 'all("results" in b for b in d)' "stream after the scenarios"

expect 202 sc8 "$C/crm/v3/exports/export/async" -H "$PAT" \
	-d '{"exportType":"VIEW","exportName":"parts","format":"CSV","objectType":"CONTACT","objectProperties":["hs_object_id"]}'
st=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["links"]["status"])' "$T/sc8.json")
for i in 1 2 3 4 5 6; do
	expect 200 sc9 "$st" -H "$PAT"
	grep -q '"COMPLETE"' "$T/sc9.json" && break
	sleep 0.1
done
expect 200 parts "$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["result"])' "$T/sc9.json")"
"$PY" -c 'import sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
sys.exit(0 if len(z.namelist()) >= 4 and all(z.read(n).count(b"\n") <= 501 for n in z.namelist()) else 1)' \
	"$T/parts.json" || fail "zip in parts of 500 rows"

T="$T" "$PY" - "$CA" "$C" "$OCT" <<'PY' || fail "Meta empty page with next"
import os, sys, urllib.parse
exec(open(os.environ["T"] + "/walk.py").read())
ca, base = sys.argv[1:3]
q = urllib.parse.urlencode({"level": "campaign", "time_increment": "1",
    "time_range": json.dumps({"since": "2026-10-01", "until": "2026-10-31"}),
    "fields": "spend", "limit": "10", "access_token": "EAAB-system-user-token"})
url, sizes = base + "/v26.0/act_1029384756/insights?" + q, []
while url:
    d = get(url)
    sizes.append(len(d["data"]))
    url = d.get("paging", {}).get("next")
assert sizes[1] == 0 and sum(sizes) == int(sys.argv[3]), sizes
PY

expect 200 sc10 "$C/oauth/v2/accessToken" -d grant_type=refresh_token -d refresh_token=AQW-refresh-token \
	-d client_id=li-client-id -d client_secret=li-client-secret
CL="Authorization: Bearer $("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["access_token"])' "$T/sc10.json")"
CAN="$C/rest/adAnalytics?q=analytics&pivot=CAMPAIGN&timeGranularity=DAILY&$RANGE&$ACCTS"
expect 401 sc11 "$CAN" -H "$LH" -H "$RH" -H "$CL"
ok sc11 'd["code"] == "EXPIRED_ACCESS_TOKEN"' "LinkedIn expired token"
expect 401 sc12 "$CAN" -H "$LH" -H "$RH" -H "$CL"
expect 200 sc13 "$C/oauth/v2/accessToken" -d grant_type=refresh_token -d refresh_token=AQW-refresh-token \
	-d client_id=li-client-id -d client_secret=li-client-secret
CL="Authorization: Bearer $("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["access_token"])' "$T/sc13.json")"
expect 200 sc14 "$CAN" -H "$LH" -H "$RH" -H "$CL"
ok sc14 'len(d["elements"]) == 100' "silent truncation"

# ---- the request log: one JSON line per request, with what was sent ----
"$PY" - "$ALOG" <<'PY' || fail "request log"
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
tok = [l for l in lines if l["path"] == "/token" and "jwt-bearer" in l["body"]]
assert tok and tok[0]["method"] == "POST" and tok[0]["port"] == "api"
assert any(l["headers"].get("login-customer-id") == "9876543210" for l in lines)
assert any("after=" in l["query"] for l in lines)
PY
echo "test_mocks: ok"
