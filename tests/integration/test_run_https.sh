# boardpack run against a real local HTTPS server (test CA made here)
# serving the demo exports: TLS verification, retries, HTML rejection,
# bearer tokens that never leak.
. "$BP_SRCDIR/tests/integration/lib.sh"

demo_data "$T/www"
export BOARDPACK_RETRY_BASE_MS=50
export BP_TEST_TOKEN="tok-$(date +%s)-s3cret"
export CRM_TOKEN="$BP_TEST_TOKEN"
start_https "$T/www"

# config CA CONTACTS_PATH TRAFFIC_PATH OUT
config() {
	cat >"$T/cfg.xml" <<XML
<boardpack xmlns="urn:boardpack:config:1">
  <report title="HTTPS test" timezone="Asia/Seoul" currency="KRW" months="12" gross-margin="0.8"/>
  <sources>
    <contacts id="crm" url="https://127.0.0.1:$PORT/$2" preset="hubspot" token-env="CRM_TOKEN" ca-file="$1"/>
    <deals id="deals" url="https://127.0.0.1:$PORT/flaky/1/deals.csv" preset="hubspot" ca-file="$1"/>
    <spend id="gads" url="https://localhost:$PORT/google-ads.csv" preset="google-ads" channel="paid_search" ca-file="$1"/>
    <spend id="li" url="https://127.0.0.1:$PORT/linkedin.tsv" preset="linkedin" channel="paid_social" ca-file="$1"/>
    <spend id="meta" url="https://127.0.0.1:$PORT/meta.csv" preset="meta" channel="paid_social" ca-file="$1"/>
    <traffic id="ga4" url="https://127.0.0.1:$PORT/$3" preset="ga4" ca-file="$1"/>
  </sources>
  <output dir="$4"/>
</boardpack>
XML
}

# 1. A CA that did not sign the server's certificate: exit 69, nothing written.
config "$OTHER_CA" auth/contacts.csv ga4.csv "$T/out1"
expect_status 69 "$BP" run -c "$T/cfg.xml" --period 2026-10 --no-email
grep -q "crm\|deals\|gads\|li\|meta\|ga4" "$T/err" || fail "error does not name the source"
no_snapshot "$T/out1"
[ -z "$(find "$T/out1" -name '*.csv' 2>/dev/null)" ] || fail "a download was kept despite the TLS failure"

# 2. The right CA: a 500 then 200 on deals is retried; the token reaches the
#    server as a bearer header.
: >"$SERVER_LOG"
config "$CA" auth/contacts.csv ga4.csv "$T/out2"
expect_status 0 "$BP" run -c "$T/cfg.xml" --period 2026-10 --no-email -v
snap=$(tail -n 1 "$T/out")
[ -d "$snap" ] || fail "last stdout line is not a snapshot folder: $snap"
for f in cohorts.csv channels.csv metrics.xml sources/crm.csv sources/deals.csv sources/li.tsv; do
	[ -s "$snap/$f" ] || fail "snapshot lacks $f"
done
case "$snap" in "$T/out2/2026-10/"*) ;; *) fail "snapshot not under output/2026-10: $snap" ;; esac
n=$(grep -c "/flaky/1/deals.csv" "$SERVER_LOG")
[ "$n" -eq 2 ] || fail "deals requested $n times, want 2 (500 then 200)"
grep -q "auth/contacts.csv	Bearer $BP_TEST_TOKEN" "$SERVER_LOG" || fail "bearer token did not reach the server"
# The sources are archived byte for byte.
cmp "$snap/sources/crm.csv" "$T/www/contacts.csv" || fail "archived contacts differ from the served file"
cmp "$snap/sources/li.tsv" "$T/www/linkedin.tsv" || fail "archived linkedin differs from the served file"
# The token appears in no output, log or file.
if grep -r -q "$BP_TEST_TOKEN" "$T/out" "$T/err" "$T/out2"; then
	fail "the token leaked into output or the snapshot"
fi

# 3. A login page with status 200 instead of the export: rejected, named.
config "$CA" auth/contacts.csv html/ga4.csv "$T/out3"
expect_status 65 "$BP" run -c "$T/cfg.xml" --period 2026-10 --no-email
grep -q "ga4" "$T/err" || fail "HTML error does not name the source: $(cat "$T/err")"
grep -qi "html" "$T/err" || fail "HTML error does not say what is wrong: $(cat "$T/err")"
no_snapshot "$T/out3"

# 4. A wrong token: the server says 401, the run says which source and
#    which variable to check (a credential is the config's: 78, as the
#    connectors say), and the token is not in the message.
export CRM_TOKEN="wrong-$BP_TEST_TOKEN"
config "$CA" auth/contacts.csv ga4.csv "$T/out4"
expect_status 78 "$BP" run -c "$T/cfg.xml" --period 2026-10 --no-email
grep -q 'check the token in \$CRM_TOKEN' "$T/err" || fail "401 error does not say what to check: $(cat "$T/err")"
grep -q "crm" "$T/err" || fail "401 error does not name the source"
grep -q "$BP_TEST_TOKEN" "$T/err" && fail "token in the error message"

# 5. check --fetch downloads into a folder of its own, named for its
#    process; one a killed check left (its process gone) is removed by the
#    next check, one of a check still running is not.
export CRM_TOKEN="$BP_TEST_TOKEN"
config "$CA" auth/contacts.csv ga4.csv "$T/out5"
sh -c 'exit 0' & gone=$!
wait "$gone"
left="/tmp/boardpack-check-$gone-bpTEST"
alive="/tmp/boardpack-check-$$-bpTEST"
mkdir -p "$left" "$alive"
echo "partial export" >"$left/.crm.part"
expect_status 0 "$BP" check -c "$T/cfg.xml" --fetch
[ ! -e "$left" ] || { rm -rf "$left" "$alive"; fail "a killed check's folder was left in /tmp"; }
[ -d "$alive" ] || fail "a running check's folder was removed"
rmdir "$alive"
echo ok
