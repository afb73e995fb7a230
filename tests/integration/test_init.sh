# boardpack init: the starter configs it writes, for every preset, name
# each field the preset reads (and each header, for a file) in comments,
# as README.md's preset tables list them; `check` accepts them as they
# are (naming each export it cannot open yet), and once bp-gen's exports
# are where the urls say, check and run read them.  A connector config,
# once its comments' steps are done, passes `check --online` against the
# vendor mock.  Unknown presets are errors that list the valid ones; -o
# never replaces a file without --force.
. "$BP_SRCDIR/tests/integration/lib.sh"

[ -x "$GEN" ] || { echo "build/bp-gen not built" >&2; exit 77; }
S=$BP_SRCDIR
README=$S/README.md
IC="$PY $S/tests/integration/init_check.py"
umask 022
demo_data "$T/gen" 800
# bp-gen's exports are a Korean company's.
REPORT="--currency KRW --timezone Asia/Seoul"
$IC presets "$README" | sort >"$T/all-presets"
[ "$(wc -l <"$T/all-presets")" -ge 8 ] ||
	fail "too few presets found in README.md: $(cat "$T/all-presets")"
: >"$T/covered"
# boardpack(1) names the same presets under init's options.
$IC man "$S/man/boardpack.1" | sort -u >"$T/man-presets"
cmp -s "$T/man-presets" "$T/all-presets" ||
	fail "the presets of boardpack(1) and README.md differ: $(diff "$T/man-presets" "$T/all-presets")"

# starter NAME ARGS...: init ARGS into $T/NAME/boardpack.xml; then check
# says it is valid and names every export it cannot open, the comments
# name every field, and with the exports in place check passes.
starter() {
	n=$1
	shift
	mkdir "$T/$n"
	c=$T/$n/boardpack.xml
	expect_status 0 "$BP" init "$@"
	cp "$T/out" "$c"
	cp "$T/err" "$T/$n/init.err"
	grep -q '<sources>' "$c" || fail "$n: init wrote no config: $(cat "$c")"
	expect_status 66 "$BP" check -c "$c" --period 2026-10
	grep -q "the config is valid, but" "$T/out" ||
		fail "$n: check did not accept the config before its exports: $(cat "$T/out" "$T/err")"
	$IC urls "$c" >"$T/$n/urls"
	[ -s "$T/$n/urls" ] || fail "$n: no file source"
	while read -r kind id url; do
		grep -qF "cannot open '$T/$n/$url'" "$T/out" ||
			fail "$n: check did not name the missing $kind export $url: $(cat "$T/out")"
	done <"$T/$n/urls"
	cp "$T/out" "$T/$n/check.out"
	$IC fields "$README" "$c" "$T/$n/check.out" >>"$T/covered" 2>"$T/$n/fields.err" ||
		fail "$n: $(cat "$T/$n/fields.err")"
	$IC place "$c" "$T/gen"
	expect_status 0 "$BP" check -c "$c" --period 2026-10
	tail -n 1 "$T/out" | grep -qx "config is valid" ||
		fail "$n: check failed with the exports in place: $(cat "$T/out")"
}

# --- file sources, every preset --------------------------------------------
starter issue --contacts hubspot --spend google-ads,meta --traffic ga4 $REPORT
starter csv --contacts csv --spend linkedin,csv --traffic csv $REPORT
# A run reads what check passed.
expect_status 0 "$BP" run -c "$T/issue/boardpack.xml" --period 2026-10 --no-email
[ -f "$(tail -n 1 "$T/out")/report.pdf" ] || fail "run on the starter config wrote no report"
# With no source named: a config still, and stderr says how to name them.
starter default $REPORT
grep -q -- "--contacts" "$T/default/init.err" && grep -q -- "--spend" "$T/default/init.err" ||
	fail "init without sources did not say how to name them: $(cat "$T/default/init.err")"
grep -q '<contacts' "$T/default/boardpack.xml" && grep -q '<spend' "$T/default/boardpack.xml" ||
	fail "init without sources wrote no contacts or no spend"
# Spend alone: the contacts come too, as a config needs them.
starter spendonly --spend meta $REPORT
grep -q '<contacts' "$T/spendonly/boardpack.xml" || fail "init --spend alone wrote no contacts"

sort -u "$T/covered" >"$T/covered.sorted"
missing=$(comm -23 "$T/all-presets" "$T/covered.sorted")
[ -z "$missing" ] || fail "presets README.md names that no starter config had: $missing"

# --- connector sources --------------------------------------------------------
mkdir "$T/api"
A=$T/api/boardpack.xml
expect_status 0 "$BP" init --api --contacts hubspot --spend google-ads,linkedin,meta \
	--traffic ga4 $REPORT -o "$A"
grep -q "boardpack check -c $A" "$T/err" || fail "init -o did not say what to do next: $(cat "$T/err")"
expect_status 0 "$BP" check -c "$A" --period 2026-10
tail -n 1 "$T/out" | grep -qx "config is valid" || fail "check did not accept the connector config"
cp "$T/out" "$T/api/check.out"
$IC fields "$README" "$A" "$T/api/check.out" >/dev/null 2>"$T/api/fields.err" ||
	fail "connector config: $(cat "$T/api/fields.err")"
for v in hubspot google-ads linkedin meta ga4; do
	grep -q "connector=\"$v\"" "$A" || fail "the connector config has no $v source"
done
grep -q 'boardpack auth -c' "$A" || fail "the comments do not say how to get a refresh token"
# Done as its comments say (secrets in the files it names, accounts and
# client ids for the placeholders), pointed at the vendor mock, the
# credentials work.
if "$PY" -c 'import cryptography' 2>/dev/null; then
	start_mock mock ""
	SA_JSON=$T/sa.json "$PY" - "$T/sa.key" "$T/sa.json" <<'PY'
import json, sys
json.dump({"type": "service_account", "private_key_id": "test-key-1",
           "private_key": open(sys.argv[1]).read(),
           "client_email": "boardpack@acme-test.iam.gserviceaccount.com",
           "token_uri": "https://oauth2.googleapis.com/token"}, open(sys.argv[2], "w"))
PY
	SA_JSON=$T/sa.json $IC mock "$A" "$MOCK_URL" "$CA"
	BOARDPACK_RETRY_BASE_MS=5 expect_status 0 "$BP" check -c "$A" --period 2026-10 --online
	for id in contacts deals google-ads linkedin meta ga4; do
		grep -q "^  $id .*currency" "$T/out" ||
			fail "check --online did not reach source $id: $(cat "$T/out")"
	done
else
	echo "python3-cryptography missing: connector credentials not tried" >&2
fi

# --- what init refuses ---------------------------------------------------------
# An unknown preset: the message lists the valid ones, README's list.
for kind in contacts spend traffic; do
	expect_status 64 "$BP" init --$kind nonesuch
	grep -q "nonesuch" "$T/err" || fail "--$kind nonesuch: the error does not name it"
	for p in $(awk -v k=$kind '$1 == k { print $2 }' "$T/all-presets"); do
		grep -q "$p" "$T/err" || fail "--$kind nonesuch: the error does not list $p: $(cat "$T/err")"
	done
done
expect_status 64 "$BP" init --spend google-ads,,meta
expect_status 64 "$BP" init --spend meta,meta
grep -q "twice" "$T/err" || fail "a preset named twice: $(cat "$T/err")"
expect_status 64 "$BP" init --contacts hubspot,csv
expect_status 64 "$BP" init --api --spend csv
grep -q "csv" "$T/err" || fail "--api --spend csv: the error does not name csv"
expect_status 64 "$BP" init --currency usd
expect_status 64 "$BP" init --timezone Mars/Olympus_Mons
expect_status 64 "$BP" init -c "$A"
expect_status 64 "$BP" init --force
expect_status 64 "$BP" check -c "$A" --contacts hubspot
[ ! -s "$T/out" ] || fail "a refused init wrote: $(cat "$T/out")"

# --- -o and --force -------------------------------------------------------------
mkdir "$T/o"
expect_status 0 "$BP" init --spend meta -o "$T/o/a.xml"
"$BP" init --spend meta >"$T/o/stdout.xml" 2>/dev/null
# The same config, whose comments name the file as given.
grep -q "boardpack check -c $T/o/a.xml" "$T/o/a.xml" || fail "the comments do not name the -o file"
sed "s|$T/o/a.xml|boardpack.xml|g" "$T/o/a.xml" | cmp -s - "$T/o/stdout.xml" ||
	fail "-o wrote another config than stdout gets"
[ "$(stat -c %a "$T/o/a.xml")" = 644 ] || fail "-o FILE has mode $(stat -c %a "$T/o/a.xml")"
printf 'mine\n' >"$T/o/b.xml"
expect_status 73 "$BP" init -o "$T/o/b.xml"
grep -q "already exists" "$T/err" && grep -q -- "--force" "$T/err" ||
	fail "init -o over a file: $(cat "$T/err")"
[ "$(cat "$T/o/b.xml")" = mine ] || fail "init -o replaced a file without --force"
expect_status 0 "$BP" init --spend meta -o "$T/o/b.xml" --force
sed "s|$T/o/b.xml|boardpack.xml|g" "$T/o/b.xml" | cmp -s - "$T/o/stdout.xml" ||
	fail "--force did not replace the file"
expect_status 73 "$BP" init -o "$T/o/nofolder/c.xml"
[ "$(ls -A "$T/o")" = "$(printf 'a.xml\nb.xml\nstdout.xml')" ] ||
	fail "init left files behind: $(ls -A "$T/o")"
echo ok
