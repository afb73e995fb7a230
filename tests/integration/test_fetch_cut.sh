# A download the server ends early, over real local HTTPS: the cache keeps
# the last good download, byte for byte, and --offline runs from it.
# Chunked without its last chunk: curl tells, the run says "cut short" and
# replaces nothing.  Ended by closing the connection, with no length: HTTP
# cannot tell, so the earlier download is kept beside the new one until a
# run reads the new one whole, and put back when it cannot.
. "$BP_SRCDIR/tests/integration/lib.sh"

demo_data "$T/www" 600
mkdir "$T/www/v2"
# A newer export, whole: one contact fewer.
sed '$d' "$T/www/contacts.csv" >"$T/www/v2/contacts.csv"
export BOARDPACK_RETRY_BASE_MS=20
start_https "$T/www"
OUT="$T/reports"
CACHE="$OUT/.cache"

# config CONTACTS_PATH: contacts from CONTACTS_PATH on the server.
config() {
	cat >"$T/cfg.xml" <<XML
<boardpack xmlns="urn:boardpack:config:1">
  <report title="Cut downloads" timezone="Asia/Seoul" currency="KRW" months="12"/>
  <sources>
    <contacts id="crm" url="https://127.0.0.1:$PORT/$1" preset="hubspot" ca-file="$CA" retries="1"/>
    <deals id="deals" url="https://127.0.0.1:$PORT/deals.csv" preset="hubspot" ca-file="$CA"/>
  </sources>
  <output dir="$OUT"/>
</boardpack>
XML
}

snapshots() { find "$OUT/2026-10" -mindepth 1 -maxdepth 1 -type d ! -name ".*" | wc -l; }
sum() { sha256sum <"$1" | cut -d' ' -f1; }

# cache_is FILE: the cached contacts are FILE's bytes, and nothing staged
# or kept is left beside them.
cache_is() {
	[ "$(sum "$CACHE/crm")" = "$(sum "$1")" ] ||
		fail "the cached contacts are not $1's bytes ($(wc -c <"$CACHE/crm") bytes)"
	left=$(find "$CACHE" -name '.crm.*' | head -n 3)
	[ -z "$left" ] || fail "left in the cache: $left"
}

# offline_reads FILE: --offline runs, from FILE's bytes.
offline_reads() {
	expect_status 0 "$BP" run -c "$T/cfg.xml" --period 2026-10 --no-email --offline
	snap=$(tail -n 1 "$T/out")
	cmp "$snap/sources/crm.csv" "$1" || fail "--offline read other bytes than $1"
}

GOOD="$T/www/contacts.csv"
half=$(( $(wc -c <"$GOOD") / 2 ))

# 1. A whole download fills the cache.
config contacts.csv
expect_status 0 "$BP" run -c "$T/cfg.xml" --period 2026-10 --no-email
cache_is "$GOOD"

# 2. Chunked, cut before the last chunk: each attempt fails, the error says
#    so, and the cache keeps the last good download.
: >"$SERVER_LOG"
config cutchunked/contacts.csv
expect_status 69 "$BP" run -c "$T/cfg.xml" --period 2026-10 --no-email
grep -q "cannot download source 'crm' from https://127.0.0.1:$PORT/cutchunked/contacts.csv: the download was cut short: the connection ended after $half bytes" "$T/err" ||
	fail "the error does not say the download was cut short: $(cat "$T/err")"
grep -q "(after 2 attempts); the last good download (.*) is kept in the cache and was not replaced" "$T/err" ||
	fail "the error does not say the last good download was kept: $(cat "$T/err")"
n=$(grep -c "/cutchunked/contacts.csv" "$SERVER_LOG")
[ "$n" -eq 2 ] || fail "the cut download was tried $n times, want 2"
[ "$(snapshots)" -eq 1 ] || fail "a snapshot was written from a cut download"
cache_is "$GOOD"
offline_reads "$GOOD"

# 3. Ended by a close after half the file, no Content-Length: HTTP takes it
#    for whole, the run cannot read it, and puts the last good one back.
config cutclose/contacts.csv
expect_status 65 "$BP" run -c "$T/cfg.xml" --period 2026-10 --no-email
grep -q "unterminated quote" "$T/err" || fail "the cut file was not refused by the reader: $(cat "$T/err")"
grep -q "; the last good download (.*) was put back in the cache in place of this one (run --offline reads it)" "$T/err" ||
	fail "the error does not say the last good download was put back: $(cat "$T/err")"
[ "$(grep -c . "$T/err")" -eq 1 ] || fail "more than one line: $(cat "$T/err")"
[ "$(snapshots)" -eq 2 ] || fail "a snapshot was written from a cut download"
cache_is "$GOOD"
offline_reads "$GOOD"
# And again: what was put back stays.
offline_reads "$GOOD"
cache_is "$GOOD"

# 4. `fetch` cannot read the file whole: the cut download waits beside the
#    last good one, and the run that reads it puts the good one back.
expect_status 0 "$BP" fetch -c "$T/cfg.xml"
[ "$(sum "$CACHE/.crm.good")" = "$(sum "$GOOD")" ] ||
	fail "fetch did not keep the last good download beside the new one"
[ "$(wc -c <"$CACHE/crm")" -eq "$half" ] || fail "fetch did not store what it received"
expect_status 65 "$BP" run -c "$T/cfg.xml" --period 2026-10 --no-email --offline
grep -q "was put back in the cache" "$T/err" || fail "--offline did not put the last good download back: $(cat "$T/err")"
cache_is "$GOOD"
offline_reads "$GOOD"

# 5. A newer whole export replaces the cache's, and nothing is kept beside
#    it once read; a cut one after it keeps the newer one.
config v2/contacts.csv
expect_status 0 "$BP" run -c "$T/cfg.xml" --period 2026-10 --no-email
cache_is "$T/www/v2/contacts.csv"
[ ! -e "$CACHE/.deals.good" ] || fail "a download read whole left its predecessor beside it"
config cutclose/contacts.csv
expect_status 65 "$BP" run -c "$T/cfg.xml" --period 2026-10 --no-email
cache_is "$T/www/v2/contacts.csv"
offline_reads "$T/www/v2/contacts.csv"

# 6. A run that fails for a reason of the config's (a date format that is
#    not the export's) says nothing of a newer whole download: that one
#    stays in the cache, for --offline once the config is fixed, and the
#    one before it waits beside it until a run reads the new one whole.
mkdir "$T/www/v3"
sed '$d' "$T/www/v2/contacts.csv" >"$T/www/v3/contacts.csv"
config v3/contacts.csv
sed -i 's|retries="1"/>|retries="1"><column field="created" name="Create Date" format="%d/%m/%Y"/></contacts>|' "$T/cfg.xml"
expect_status 65 "$BP" run -c "$T/cfg.xml" --period 2026-10 --no-email
grep -q "bad date .* in column 'Create Date'" "$T/err" || fail "the config's wrong format is not the error: $(cat "$T/err")"
grep -q "put back" "$T/err" && fail "a config's mistake put an older download back: $(cat "$T/err")"
[ "$(sum "$CACHE/crm")" = "$(sum "$T/www/v3/contacts.csv")" ] ||
	fail "a config's mistake took the newer whole download out of the cache"
[ "$(sum "$CACHE/.crm.good")" = "$(sum "$T/www/v2/contacts.csv")" ] ||
	fail "the download before it is not kept beside it"
config v3/contacts.csv
offline_reads "$T/www/v3/contacts.csv"
cache_is "$T/www/v3/contacts.csv"
echo ok
