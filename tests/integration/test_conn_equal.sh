#!/bin/sh
# The connectors read the same data as the exported files: bp-gen's demo
# data served through the vendor mock (every vendor, OAuth refresh tokens
# and a private-app token) gives cohorts.csv and channels.csv identical to
# a run on bp-gen's files, and the same <campaigns> in metrics.xml (the
# period's top campaigns: the CRM's drill-downs matched by name to the ad
# platforms' campaigns, with their spend and CPL).  Then, with the mock stopped, --offline and
# --from-snapshot rebuild the same CSVs byte for byte from what the
# connectors archived; the snapshot verifies; and no secret is in any
# output, the cache's pulls or the verbose log.
. "$(dirname "$0")/lib.sh"
. "$BP_SRCDIR/tests/integration/conn_lib.sh"

conn_data
start_mock main "$T/data"
conn_config "$T/conn.xml" "$T/cout" crm deals gads li meta ga4
files_config "$T/files.xml" "$T/fout"

run_ok "$T/files.xml"
FILES=$SNAP
run_ok "$T/conn.xml" -v
CONN=$SNAP
cp "$T/err" "$T/run-v.log"
same_numbers "$FILES" "$CONN" "connectors vs files"
same_campaigns "$FILES" "$CONN" "connectors vs files"

# Everything came from the API, and the pull is in the snapshot.
for id in crm deals gads li meta ga4; do
	[ -s "$CONN/sources/$id/index.json" ] || fail "no index.json for $id"
	grep -q "sources/$id/index.json" "$CONN/MANIFEST.sha256" ||
		fail "the manifest lacks sources/$id/index.json"
done
ls "$CONN"/sources/crm/*-contacts.json >/dev/null || fail "no contacts pages archived"
expect_status 0 "$BP" verify "$CONN"
# Deals asked for their contacts, and the archived page is the mock's
# answer byte for byte (a HubSpot page echoes no secret).
mock_saw '"associations=contacts" in r["query"] and "/deals" in r["path"]' \
	"deals were listed without their contact associations"

# Offline and from the snapshot, with no vendor to ask.
kill $MOCK_PID
wait $MOCK_PID 2>/dev/null || :
run_ok "$T/conn.xml" --offline
same_numbers "$CONN" "$SNAP" "--offline"
same_campaigns "$CONN" "$SNAP" "--offline"
run_ok "$T/conn.xml" --from-snapshot "$CONN"
same_numbers "$CONN" "$SNAP" "--from-snapshot"
same_campaigns "$CONN" "$SNAP" "--from-snapshot"
REBUILT=$SNAP

no_secret_in "$T/cout" "$T/run-v.log" "$T/err"
# The token cache is the one place an access token is kept: owner only.
for f in "$T"/cout/.cache/.oauth-*.json; do
	[ "$(stat -c %a "$f")" = 600 ] || fail "$f is not 0600"
done
[ "$(stat -c %a "$T/cout/.cache")" = 700 ] || fail "the cache is not 0700"
echo "ok: connectors = files, offline and from-snapshot identical ($REBUILT)"
