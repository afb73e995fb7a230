#!/bin/sh
# Meta and LinkedIn through the vendor mock.  Meta: rate-limit codes 17
# and 4/1504022 and the 500 "reduce the amount of data" are retried, an
# empty page that still has paging.next is followed, the token that
# paging.next carries is kept out of the archived pages, and an expired
# token (190) is exit 78 saying how to renew it.  LinkedIn: Rest.li
# encoding the strict parser takes, per-month requests that a 100-element
# cap cannot cut short, a brief 429 retried, a token expiring mid-run
# renewed, a version the API no longer serves (426) is 78, the
# APPLICATION DAY throttle is 75.
. "$(dirname "$0")/lib.sh"
. "$BP_SRCDIR/tests/integration/conn_lib.sh"

conn_data
files_config "$T/files.xml" "$T/fout"
run_ok "$T/files.xml"
FILES=$SNAP

# Files for everything but the spend source(s) named.
spend_via() { # FILE OUTDIR SOURCE...
	mf=$1 mo=$2
	shift 2
	sed -n '1,/<sources>/p' "$T/files.xml" | sed "s|<report |<report ca-file=\"$CA\" |" >"$mf"
	grep -E 'id="(crm|deals|gads|ga4)"' "$T/files.xml" >>"$mf"
	for s in li meta; do
		case " $* " in
		*" $s "*) echo "    $(conn_source "$s")" >>"$mf" ;;
		*) grep "id=\"$s\"" "$T/files.xml" >>"$mf" ;;
		esac
	done
	conn_config "$T/auth.tmp" "$mo"
	sed -n '/<\/sources>/,$p' "$T/auth.tmp" >>"$mf"
}

# Meta's business-use-case budget spent at the 2nd insights call, with 1
# minute to regain access: the connector waits that minute.  Run in the
# background while the rest of the test goes on.
start_mock buc "$T/data" --scenario "$SC/meta-80000-ads-insights.json"
BUC_LOG=$MOCK_LOG
spend_via "$T/b.xml" "$T/b" meta
"$BP" run -c "$T/b.xml" --period 2026-10 --no-email >"$T/b.out" 2>"$T/b.err" &
BUC_PID=$!

# Meta's quirks, one after another in one run; a campaign is archived,
# which insights leave out unless filtered for (pitfall 1).
start_mock meta "$T/data" --scenario "$SC/meta-17-user-limit.json" \
	--scenario "$SC/meta-4-1504022.json" --scenario "$SC/meta-500-reduce-data.json" \
	--scenario "$SC/meta-empty-page.json" --scenario "$SC/meta-archived-campaign.json"
spend_via "$T/m.xml" "$T/m" meta
run_ok "$T/m.xml"
same_numbers "$FILES" "$SNAP" "Meta after its quirks"
mock_saw '"campaign.effective_status" in r["query"] and "ARCHIVED" in r["query"]' \
	"insights were not filtered on campaign.effective_status"
for f in meta-17-user-limit.json meta-4-1504022.json meta-500-reduce-data.json; do
	mock_saw "r.get('scenario') == '$f'" "$f was not served"
done
mock_saw '"limit=250" in r["query"]' "the request after 'reduce the amount of data' did not ask for less"
grep -q 'access_token=' "$SNAP"/sources/meta/*-insights.json ||
	fail "the pages lost their paging links"
no_secret_in "$T/m" "$T/err"

# A rate limit with no retry left is one for later: 75, for Meta (17)
# and LinkedIn (a throttle that is not the DAY one).
start_mock m75 "$T/data" --scenario "$SC/meta-17-user-limit.json"
META_EXTRA='retries="0"' spend_via "$T/m75.xml" "$T/m75" meta
expect_status 75 "$BP" run -c "$T/m75.xml" --period 2026-10 --no-email
grep -q "Meta error 17" "$T/err" || fail "no code 17 in: $(cat "$T/err")"
start_mock l75 "$T/data" --scenario "$SC/linkedin-429-once.json"
LI_EXTRA='retries="0"' spend_via "$T/l75.xml" "$T/l75" li
expect_status 75 "$BP" run -c "$T/l75.xml" --period 2026-10 --no-email
grep -q "TOO_MANY_REQUESTS" "$T/err" || fail "no throttle in: $(cat "$T/err")"

# A synchronous call that times out (100/1504018): the window as an async
# report run; the first run fails (Job Failed) and a second one is
# started, polled and read.
start_mock async "$T/data" --scenario "$SC/meta-100-1504018-timeout.json" \
	--scenario "$SC/meta-async-job-failed.json" --scenario "$SC/meta-archived-campaign.json"
spend_via "$T/a.xml" "$T/a" meta
run_ok "$T/a.xml"
same_numbers "$FILES" "$SNAP" "Meta through async report runs"
mock_saw 'r.get("scenario") == "meta-async-job-failed.json"' "no report run failed"
runs=$(mock_count 'r["method"] == "POST" and r["path"].endswith("/insights")')
[ "$runs" -eq 2 ] || fail "expected 2 report runs started (one failed), the mock logged $runs"
mock_saw 'r["path"].startswith("/v26.0/6") and r["path"].endswith("/insights") and r["status"] == 200' \
	"the report run's insights were not read"
no_secret_in "$T/a" "$T/err"

# An expired Meta token: 78 and how to renew it.
start_mock meta190 "$T/data" --scenario "$SC/meta-190-token-expires.json"
spend_via "$T/e.xml" "$T/e" meta
expect_status 78 "$BP" run -c "$T/e.xml" --period 2026-10 --no-email
grep -q "Meta error 190" "$T/err" || fail "no code 190 in: $(cat "$T/err")"
grep -q "system user token" "$T/err" || fail "no renewal advice in: $(cat "$T/err")"
no_snapshot "$T/e"
no_secret_in "$T/err"

# LinkedIn: a 100-element cap (15,000 in reality) and per-month requests,
# a brief throttle, a token expiring at the first adAnalytics call; the
# campaigns' names from adCampaigns, one page per campaign.
start_mock li "$T/data" --scenario "$SC/linkedin-truncate-100.json" \
	--scenario "$SC/linkedin-429-once.json" --scenario "$SC/linkedin-401-token-expires.json" \
	--scenario "$SC/linkedin-campaigns-one-per-page.json"
spend_via "$T/l.xml" "$T/l" li
run_ok "$T/l.xml"
same_numbers "$FILES" "$SNAP" "LinkedIn under a 100-element cap"
same_campaigns "$FILES" "$SNAP" "LinkedIn's campaign names"
[ "$(mock_count '"/adCampaigns" in r["path"] and r["status"] == 200')" -ge 2 ] ||
	fail "adCampaigns was not read page by page"
mock_saw '"/adCampaigns" in r["path"] and "pageToken=" in r["query"] and "ARCHIVED" in r["query"]' \
	"adCampaigns was not followed by pageToken, or left archived campaigns out"
mock_saw '"dateRange=(start:(year:" in r["query"] and "List(urn%3Ali%3AsponsoredAccount%3A508812345)" in r["query"] and r["status"] == 200' \
	"adAnalytics was not asked in Rest.li form"
mock_saw 'r["headers"].get("LinkedIn-Version") and r["headers"].get("X-Restli-Protocol-Version") == "2.0.0"' \
	"LinkedIn's headers were not sent"
[ "$(grep -c '"path": "/oauth/v2/accessToken"' "$MOCK_LOG")" -eq 2 ] ||
	fail "the expired LinkedIn token was not renewed exactly once"

# A cap that a month and a week of two campaigns reach (10 here, 15,000
# in reality): the month is asked again by week, a full week by day, and
# nothing is lost.
start_mock li10 "$T/data" --scenario "$SC/linkedin-truncate-10.json"
spend_via "$T/l10.xml" "$T/l10" li
BOARDPACK_LINKEDIN_MAX_ELEMENTS=10 run_ok "$T/l10.xml"
same_numbers "$FILES" "$SNAP" "LinkedIn split by week and day under a 10-element cap"
same_campaigns "$FILES" "$SNAP" "LinkedIn split by week and day"
spans() { # the adAnalytics requests whose dateRange spans $1 days
	"$PY" - "$MOCK_LOG" "$1" <<'PY'
import datetime, json, re, sys
n = 0
for line in open(sys.argv[1], encoding="utf-8"):
    r = json.loads(line)
    d = [int(x) for x in re.findall(r"(?:year|month|day):(\d+)", r["query"])]
    if "/adAnalytics" in r["path"] and len(d) == 6:
        n += (datetime.date(*d[3:]) - datetime.date(*d[:3])).days + 1 == int(sys.argv[2])
print(n)
PY
}
[ "$(spans 7)" -gt 0 ] || fail "no month was asked again by week"
[ "$(spans 1)" -gt 0 ] || fail "no week was asked again by day"

# A refresh token the endpoint rotates is saved at once: a new file
# renamed into place (0600, nothing left beside it), which the next
# refresh needs, as the old token is retired.
start_mock rot "$T/data" --scenario "$SC/linkedin-refresh-token-rotates.json"
spend_via "$T/r.xml" "$T/r" li
ino=$(stat -c %i "$T/secrets/li.refresh")
files=$(ls -A "$T/secrets")
run_ok "$T/r.xml" -v
new=$(cat "$T/secrets/li.refresh")
case $new in AQW-rotated-*) ;; *) fail "the rotated refresh token was not saved: $new" ;; esac
[ "$(stat -c %i "$T/secrets/li.refresh")" != "$ino" ] ||
	fail "the refresh token file was written in place, not replaced whole"
[ "$(stat -c %a "$T/secrets/li.refresh")" = 600 ] || fail "the saved refresh token is not 0600"
[ "$(ls -A "$T/secrets")" = "$files" ] || fail "files left beside the refresh token: $(ls -A "$T/secrets")"
grep -q "saved the rotated refresh token" "$T/err" || fail "the rotation was not logged: $(cat "$T/err")"
grep -qF "AQW-rotated-" "$T/err" && fail "the verbose log shows the rotated refresh token"
rm -f "$T"/r/.cache/.oauth-*
run_ok "$T/r.xml"
[ "$(cat "$T/secrets/li.refresh")" != "$new" ] || fail "the second refresh did not use the saved token"
grep -rqF "AQW-rotated-" "$T/r" "$T/err" && fail "a rotated refresh token is in an output"
printf 'AQW-refresh-token\n' >"$T/secrets/li.refresh"

# LinkedIn's refresh tokens do not roll: with 20 days left the run warns
# and says what to do.
"$PY" - "$T/mock-creds.json" "$T/short-creds.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
d["linkedin"]["refresh_token_ttl"] = 20 * 86400
json.dump(d, open(sys.argv[2], "w"))
PY
start_mock short "$T/data" --credentials "$T/short-creds.json"
spend_via "$T/w.xml" "$T/w" li
run_ok "$T/w.xml"
grep -q "oauth 'li': the refresh token expires in 19 days: run 'boardpack auth li -c CONFIG'" "$T/err" ||
	fail "no expiry warning: $(cat "$T/err")"

# A LinkedIn-Version the API no longer serves: 78.
LI_EXTRA='linkedin-version="202401"' spend_via "$T/v.xml" "$T/v" li
expect_status 78 "$BP" run -c "$T/v.xml" --period 2026-10 --no-email
grep -q "linkedin-version" "$T/err" || fail "no advice on the version: $(cat "$T/err")"

# An ad account in another currency than the report's: 65, saying the
# account's currency and what to change, not a line of a file.
start_mock lieur "$T/data" --currency EUR
spend_via "$T/c.xml" "$T/c" li
expect_status 65 "$BP" run -c "$T/c.xml" --period 2026-10 --no-email
grep -q "the LinkedIn account 508812345 is in EUR but the report currency is KRW" "$T/err" ||
	fail "no account currency in: $(cat "$T/err")"
grep -q 'report/@currency="EUR"' "$T/err" || fail "no advice in: $(cat "$T/err")"
grep -q "export in\|API (https" "$T/err" && fail "a file's advice for an API: $(cat "$T/err")"
no_snapshot "$T/c"

# The daily throttle: 75, no snapshot.
start_mock liday "$T/data" --scenario "$SC/linkedin-429-day.json"
spend_via "$T/d.xml" "$T/d" li
expect_status 75 "$BP" run -c "$T/d.xml" --period 2026-10 --no-email
grep -q "APPLICATION DAY" "$T/err" || fail "no DAY throttle in: $(cat "$T/err")"
no_snapshot "$T/d"
# The BUC wait: the request after the 80000 came a minute later.
wait $BUC_PID || fail "the run through Meta's 80000 failed: $(cat "$T/b.err")"
"$PY" -c 'import json, sys
rs = [json.loads(l) for l in open(sys.argv[1])]
i = next(i for i, r in enumerate(rs) if r.get("scenario") == "meta-80000-ads-insights.json")
gap = rs[i + 1]["time"] - rs[i]["time"]
print("80000: next request after %.1f s" % gap)
sys.exit(0 if gap >= 59.5 else 1)' "$BUC_LOG" || fail "estimated_time_to_regain_access was not waited out"
echo "ok: Meta and LinkedIn"
