# A contacts export large enough to be read in two halves at once (32 MiB
# and more, with free text whose quotes hold line breaks) gives the
# snapshot one pass gives: cohorts.csv, channels.csv and metrics.xml, less
# the run's own stamps; and the numbers of the independent implementation
# of METRICS.md (oracle.py).
. "$BP_SRCDIR/tests/integration/lib.sh"

[ "$(getconf _NPROCESSORS_ONLN)" -ge 2 ] || { echo "one CPU online: never split" >&2; exit 77; }
"$GEN" --seed 11 --contacts 200000 --shape text "$T/data" >/dev/null
size=$(stat -c %s "$T/data/contacts.csv")
[ "$size" -ge 33554432 ] || fail "contacts.csv has $size bytes, too few to be split"
demo_config "$T/one.xml" "$T/data" "$T/one"
demo_config "$T/two.xml" "$T/data" "$T/two"

expect_status 0 env BOARDPACK_THREADS=1 "$BP" run -c "$T/one.xml" --period 2026-10 --no-email -v
one=$(tail -n 1 "$T/out")
! grep -q "second thread" "$T/err" || fail "BOARDPACK_THREADS=1 read on a second thread"
# Two halves whatever parsing and the archive's hash cost here.
expect_status 0 env BOARDPACK_THREADS=2 "$BP" run -c "$T/two.xml" --period 2026-10 --no-email -v
two=$(tail -n 1 "$T/out")
grep -q "crm: reading from byte [0-9]* on a second thread" "$T/err" ||
	fail "contacts.csv was not read in two halves: $(grep crm "$T/err")"
! grep -q "reading the second half again" "$T/err" ||
	fail "the halves were not merged: $(grep 'second half' "$T/err")"

# As a run reads by default: the first megabytes alone, timed against
# the archive's hash, then in two halves or in one pass; the same files.
demo_config "$T/auto.xml" "$T/data" "$T/auto"
expect_status 0 "$BP" run -c "$T/auto.xml" --period 2026-10 --no-email -v
auto=$(tail -n 1 "$T/out")
grep -q "crm: reading from byte [0-9]* on a second thread\|crm: reading in one pass beside the archive's hash" "$T/err" ||
	fail "no word of how contacts.csv was read: $(grep crm "$T/err")"

for f in cohorts.csv channels.csv; do
	cmp "$one/$f" "$two/$f" || fail "$f differs between one pass and two halves"
	cmp "$one/$f" "$auto/$f" || fail "$f differs between one pass and the default reading"
done
# The stamps of the run and its folder are the only differences allowed.
stamps='s/generated="[^"]*"//g; s/[0-9]\{4\}-[0-9][0-9]-[0-9][0-9]T[0-9]\{6\}Z//g'
sed "$stamps" "$one/metrics.xml" >"$T/one.xml.txt"
sed "$stamps" "$two/metrics.xml" >"$T/two.xml.txt"
diff "$T/one.xml.txt" "$T/two.xml.txt" >"$T/diff" ||
	fail "metrics.xml differs between one pass and two halves: $(head -n 20 "$T/diff")"

# The demo config's <cost> entries, as tests/integration/test_oracle.sh gives them.
costs=""
for m in 2025-05 2025-06 2025-07 2025-08 2025-09 2025-10 2025-11 2025-12 2026-01 2026-02 2026-03 2026-04 2026-05 2026-06 2026-07 2026-08 2026-09 2026-10; do
	costs="$costs --cost $m=12000000:channel=offline"
done
# shellcheck disable=SC2086
"$PY" "$BP_SRCDIR/tests/integration/oracle.py" "$two" --timezone Asia/Seoul \
	--period 2026-10 --months 12 --gross-margin 0.8 $costs
