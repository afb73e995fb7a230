# Shared by the connector tests (test_conn_*.sh), after lib.sh: the demo
# data, the credentials the vendor mock accepts (mock_credentials) put
# where a config names them, and configs that read every source through
# a connector pointed at the mock.
SC="$BP_SRCDIR/tests/mocks/scenarios"

[ -x "$GEN" ] || { echo "skip: build/bp-gen not built" >&2; exit 77; }
"$PY" -c 'import cryptography' 2>/dev/null ||
	{ echo "skip: python3-cryptography missing" >&2; exit 77; }

# Short waits: every backoff starts at 5 ms.
export BOARDPACK_RETRY_BASE_MS=5
# The secrets of mock_credentials, as a user would give them.
export HS_TOKEN=pat-na1-11111111-2222-3333-4444-555555555555
export HS_CLIENT_SECRET=hs-client-secret
export G_CLIENT_SECRET=g-client-secret
export LI_CLIENT_SECRET=li-client-secret
export META_TOKEN=EAAB-system-user-token
SECRETS="$HS_TOKEN hs-client-secret hs-refresh-token g-client-secret 1//g-refresh-token li-client-secret AQW-refresh-token EAAB-system-user-token"

conn_data() {
	demo_data "$T/data" "${1:-2000}"
	umask 077
	mkdir -p "$T/secrets"
	printf '%s\n' "$HS_TOKEN" >"$T/secrets/hs.token"
	printf 'hs-refresh-token\n' >"$T/secrets/hs.refresh"
	printf '1//g-refresh-token\n' >"$T/secrets/g.refresh"
	printf 'AQW-refresh-token\n' >"$T/secrets/li.refresh"
	umask 022
}

# The Google service account key file of the mock's test key pair.
sa_key() {
	"$PY" - "$T/sa.key" "$T/secrets/sa.json" <<'PY'
import json, sys
pem = open(sys.argv[1]).read()
json.dump({"type": "service_account", "project_id": "acme-test",
           "private_key_id": "test-key-1", "private_key": pem,
           "client_email": "boardpack@acme-test.iam.gserviceaccount.com",
           "token_uri": "https://oauth2.googleapis.com/token"},
          open(sys.argv[2], "w"))
PY
	chmod 600 "$T/secrets/sa.json"
}

# conn_source NAME: one source element of a config, through the mock.
conn_source() {
	p='pacing="false"'
	case $1 in
	crm) echo "<contacts id=\"crm\" connector=\"hubspot\" api-base=\"$MOCK_URL\" token-env=\"HS_TOKEN\" $p ${CRM_EXTRA:-}/>" ;;
	deals) echo "<deals id=\"deals\" connector=\"hubspot\" api-base=\"$MOCK_URL\" token-file=\"$T/secrets/hs.token\" $p ${DEALS_EXTRA:-}/>" ;;
	gads) echo "<spend id=\"gads\" connector=\"google-ads\" account=\"123-456-7890\" login-customer-id=\"987-654-3210\" api-base=\"$MOCK_URL\" oauth=\"${GADS_OAUTH:-google}\" channel=\"paid_search\" $p ${GADS_EXTRA:-}/>" ;;
	li) echo "<spend id=\"li\" connector=\"linkedin\" account=\"508812345\" api-base=\"$MOCK_URL\" oauth=\"li\" channel=\"paid_social\" $p ${LI_EXTRA:-}/>" ;;
	meta) echo "<spend id=\"meta\" connector=\"meta\" account=\"act_1029384756\" api-base=\"$MOCK_URL\" token-env=\"META_TOKEN\" channel=\"paid_social\" $p ${META_EXTRA:-}/>" ;;
	ga4) echo "<traffic id=\"ga4\" connector=\"ga4\" account=\"123456789\" api-base=\"$MOCK_URL\" oauth=\"${GA4_OAUTH:-google}\" $p ${GA4_EXTRA:-}/>" ;;
	esac
}

# conn_config FILE OUTDIR SOURCE...: a config reading SOURCEs (crm deals
# gads li meta ga4) through the mock at MOCK_URL; crm is always there.
conn_config() {
	f=$1 out=$2
	shift 2
	{
		cat <<XML
<boardpack xmlns="urn:boardpack:config:1">
  <report title="Acme" timezone="Asia/Seoul" currency="KRW" months="12" ca-file="$CA"/>
  <sources>
XML
		echo "    $(conn_source crm)"
		for s in "$@"; do
			[ "$s" = crm ] || echo "    $(conn_source "$s")"
		done
		cat <<XML
  </sources>
  <auth>
    <oauth id="google" token-url="$MOCK_URL/token" client-id="123-test.apps.googleusercontent.com"
           client-secret-env="G_CLIENT_SECRET" refresh-token-file="$T/secrets/g.refresh"/>
    <oauth id="ga4-sa" token-url="$MOCK_URL/token" service-account-file="$T/secrets/sa.json"/>
    <oauth id="li" token-url="$MOCK_URL/oauth/v2/accessToken" client-id="li-client-id"
           client-secret-env="LI_CLIENT_SECRET" refresh-token-file="$T/secrets/li.refresh"/>
    <oauth id="hubspot" token-url="$MOCK_URL/oauth/v1/token" client-id="hs-client-id"
           client-secret-env="HS_CLIENT_SECRET" refresh-token-file="$T/secrets/hs.refresh"/>
  </auth>
  <output dir="$out"/>
</boardpack>
XML
	} >"$f"
}

# files_config FILE OUTDIR: the same data read from bp-gen's files.
files_config() {
	cat >"$1" <<XML
<boardpack xmlns="urn:boardpack:config:1">
  <report title="Acme" timezone="Asia/Seoul" currency="KRW" months="12"/>
  <sources>
    <contacts id="crm" url="$T/data/contacts.csv" preset="hubspot" timezone="Asia/Seoul"/>
    <deals id="deals" url="$T/data/deals.csv" preset="hubspot" timezone="Asia/Seoul"/>
    <spend id="gads" url="$T/data/google-ads.csv" preset="google-ads" channel="paid_search"/>
    <spend id="li" url="$T/data/linkedin.tsv" preset="linkedin" channel="paid_social"/>
    <spend id="meta" url="$T/data/meta.csv" preset="meta" channel="paid_social"/>
    <traffic id="ga4" url="$T/data/ga4.csv" preset="ga4"/>
  </sources>
  <output dir="$2"/>
</boardpack>
XML
}

# run_ok CONFIG [ARGS...]: a run of 2026-10 that succeeds; SNAP is its
# snapshot.
run_ok() {
	c=$1
	shift
	expect_status 0 "$BP" run -c "$c" --period 2026-10 --no-email "$@"
	SNAP=$(tail -n 1 "$T/out")
	[ -f "$SNAP/cohorts.csv" ] || fail "no snapshot from $c"
}

# same_numbers A B WHAT: two snapshots' cohorts.csv and channels.csv are
# identical.
same_numbers() {
	cmp -s "$1/cohorts.csv" "$2/cohorts.csv" ||
		fail "$3: cohorts.csv differs: $(diff "$1/cohorts.csv" "$2/cohorts.csv" | head -n 6)"
	cmp -s "$1/channels.csv" "$2/channels.csv" ||
		fail "$3: channels.csv differs: $(diff "$1/channels.csv" "$2/channels.csv" | head -n 6)"
}

# same_campaigns A B WHAT: two snapshots' metrics.xml have the same
# <campaigns> (the period's top campaigns with their spend and CPL), and
# some campaign in them has spend.
same_campaigns() {
	"$PY" - "$1/metrics.xml" "$2/metrics.xml" "$3" <<'PY' || fail "$3: <campaigns> differ"
import sys
import xml.etree.ElementTree as ET

def campaigns(path):
    root = ET.parse(path).getroot()
    block = [e for e in root.iter() if e.tag.split("}")[-1] == "campaigns"]
    if not block:
        sys.exit("%s: no <campaigns>" % path)
    return [dict(c.attrib) for c in block[0]]

a, b = campaigns(sys.argv[1]), campaigns(sys.argv[2])
if a != b:
    for x, y in zip(a + [{}] * len(b), b + [{}] * len(a)):
        if x != y:
            print("%s:\n  files:      %s\n  connectors: %s" % (sys.argv[3], x, y),
                  file=sys.stderr)
            break
    sys.exit(1)
if not any("spend" in c for c in a):
    sys.exit("%s: no campaign with spend" % sys.argv[3])
PY
}

# no_secret_in PATH...: none of the test's secrets is in the files.
no_secret_in() {
	for s in $SECRETS; do
		if grep -rqF -- "$s" "$@" 2>/dev/null; then
			fail "secret '$s' found in: $(grep -rlF -- "$s" "$@" | head -n 3)"
		fi
	done
}

# mock_saw PYTHON-CONDITION WHAT: some request of the mock's log meets it
# (r is the request's JSON object).
mock_saw() {
	"$PY" -c 'import json, sys
rs = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
sys.exit(0 if any(eval(sys.argv[2]) for r in rs) else 1)' "$MOCK_LOG" "$1" ||
		fail "$2"
}

# mock_count PYTHON-CONDITION: how many requests of the mock's log meet it.
mock_count() {
	"$PY" -c 'import json, sys
rs = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
print(sum(1 for r in rs if eval(sys.argv[2])))' "$MOCK_LOG" "$1"
}
