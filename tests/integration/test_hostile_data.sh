# Values no export should hold, as an attacker or an unlucky export writes
# them: sums past 64 bits, negative counts, refunds, control characters
# and invalid UTF-8, 5 MB cells, contacts that read like footer lines.
# Each stops the run with one line naming file:line:col and exit 65, or
# is counted in data quality with every output still well-formed.
. "$BP_SRCDIR/tests/integration/lib.sh"

H='Record ID,Create Date,Original Source,Became a Lead Date'

# new_case NAME: a folder with a config reading contacts.csv, deals.csv,
# spend.csv (and spend2.csv when it exists) and default files for each.
new_case() {
	d="$T/$1"
	mkdir -p "$d"
	printf '%s\n1,2026-10-01 10:00,Paid search,2026-10-01 10:00\n' "$H" >"$d/contacts.csv"
	printf 'Record ID,Deal Stage,Close Date,Amount\n' >"$d/deals.csv"
	printf 'Day,Cost,Impr.,Clicks\n2026-10-01,10.00,100,5\n' >"$d/spend.csv"
	cat >"$d/cfg.xml" <<XML
<boardpack xmlns="urn:boardpack:config:1">
  <report timezone="UTC" currency="USD" months="3"/>
  <sources>
    <contacts id="crm" url="contacts.csv" preset="hubspot"/>
    <deals id="deals" url="deals.csv" preset="hubspot"/>
    <spend id="ads" url="spend.csv" preset="csv" channel="paid_search"/>
    <spend id="ads2" url="spend2.csv" preset="csv" channel="paid_social"/>
  </sources>
</boardpack>
XML
	printf 'Day,Cost,Impr.,Clicks\n' >"$d/spend2.csv"
}

# run_fails NAME WANT: the run of case NAME exits 65 with one error line
# holding WANT, and leaves no snapshot.
run_fails() {
	expect_status 65 "$BP" run -c "$T/$1/cfg.xml" --period 2026-10 --no-email
	errs=$(grep -c 'error:' "$T/err" || true)
	[ "$errs" -eq 1 ] || fail "$1: want one error line, got: $(cat "$T/err")"
	grep -q -- "$2" "$T/err" || fail "$1: the error lacks '$2': $(cat "$T/err")"
	no_snapshot "$T/$1/reports"
}

# run_ok NAME [OPTION...]: the run of case NAME succeeds; SNAP is its
# snapshot.
run_ok() {
	ro_name=$1
	shift
	expect_status 0 "$BP" run -c "$T/$ro_name/cfg.xml" --period 2026-10 --no-email "$@"
	SNAP=$(tail -n 1 "$T/out")
	[ -f "$SNAP/metrics.xml" ] || fail "$ro_name: no snapshot: $(cat "$T/out" "$T/err")"
}

# well_formed SNAP: metrics.xml, report.html and email.html parse as XML.
well_formed() {
	for f in metrics.xml report.html email.html; do
		xmllint --noout "$1/$f" 2>"$T/xmllint" ||
			fail "$f is not well-formed: $(head -c 600 "$T/xmllint")"
	done
}

# ---- sums past 64 bits (exit 65, naming the row) ----

# A value beyond the bound a single amount may have.
new_case toolarge
printf 'Day,Cost,Impr.,Clicks\n2026-10-01,500000000000000,1,1\n' >"$T/toolarge/spend.csv"
run_fails toolarge "spend.csv:2:12: amount '500000000000000' in column 'Cost' is larger than"

# Ten costs each under the bound: the tenth takes the month's spend past
# 64 bits (in 1/10000 units: 9.2e18).
new_case overflow
{
	echo 'Day,Cost,Impr.,Clicks'
	for i in 1 2 3 4 5 6 7 8 9 10; do echo "2026-10-0$((i % 9 + 1)),99999999999999,1,1"; done
} >"$T/overflow/spend.csv"
run_fails overflow "spend.csv:11:12: .*overflow"

# Five such costs in each of two sources of different channels: every
# channel's own sum fits, the total over channels does not; the row that
# makes it not fit is named.
new_case overflow_all
{
	echo 'Day,Cost,Impr.,Clicks'
	for i in 1 2 3 4 5; do echo "2026-10-0$i,99999999999999,1,1"; done
} >"$T/overflow_all/spend.csv"
cp "$T/overflow_all/spend.csv" "$T/overflow_all/spend2.csv"
run_fails overflow_all "spend2.csv:6:12: .*overflow"

# Impressions past 64 bits.
new_case overflow_impr
printf 'Day,Cost,Impr.,Clicks\n2026-10-01,1,9000000000000000000,1\n2026-10-02,1,9000000000000000000,1\n' \
	>"$T/overflow_impr/spend.csv"
run_fails overflow_impr "spend.csv:3:14: .*overflow"

# ---- negative counts are refused, negative costs summed and counted ----

new_case negimpr
printf 'Day,Cost,Impr.,Clicks\n2026-10-01,10.00,100,5\n2026-10-02,10.00,-5,1\n' >"$T/negimpr/spend.csv"
run_fails negimpr "spend.csv:3:18: negative impressions '-5' in column 'Impr.'"

new_case negclicks
printf 'Day,Cost,Impr.,Clicks\n2026-10-01,10.00,100,-3\n' >"$T/negclicks/spend.csv"
run_fails negclicks "spend.csv:2:22: negative clicks '-3' in column 'Clicks'"

# A refund: the month's spend is 100.00 - 30.00, the row is counted and
# the run says so on stderr and on the report's first page.
new_case refund
printf 'Day,Cost,Impr.,Clicks\n2026-10-01,100.00,100,5\n2026-10-09,-30.00,0,0\n' >"$T/refund/spend.csv"
run_ok refund
grep -q "1 row has a negative cost in 'Cost' (refunds or credits), -30.00 in all" "$T/err" ||
	fail "no warning about the refund: $(cat "$T/err")"
grep '^2026-10,paid_search,' "$SNAP/channels.csv" | grep -q '^2026-10,paid_search,70.00,' ||
	fail "the refund is not in the month's spend: $(grep '^2026-10,paid_search' "$SNAP/channels.csv")"
grep -q 'id="ads" [^>]*negative-spend="1"' "$SNAP/metrics.xml" ||
	fail "metrics.xml does not count the negative cost"
grep -q 'Negative costs (refunds), summed' "$SNAP/report.html" ||
	fail "the report's data quality does not show the negative cost"

# ---- control characters and invalid UTF-8 never break an output ----

# A source value with U+0001 and a lone 0xFF byte, on two rows: listed
# once as "Pod<U+2401>cast <U+FFFD>", counted twice.
new_case bytes
printf '%s\n1,2026-10-01 10:00,Paid search,2026-10-01 10:00\n2,2026-10-02 10:00,Pod\001cast \377,2026-10-02 10:00\n3,2026-10-03 10:00,Pod\001cast \377,\n' \
	"$H" >"$T/bytes/contacts.csv"
run_ok bytes
well_formed "$SNAP"
first=$SNAP
grep -q 'value="Pod␁cast �" count="2"' "$SNAP/metrics.xml" ||
	fail "the value is not listed as cleaned: $(grep unmatched "$SNAP/metrics.xml")"
grep -q 'id="crm" [^>]*sanitized-values="2"' "$SNAP/metrics.xml" ||
	fail "metrics.xml does not count the cleaned values"
grep -q 'Values with control characters or invalid UTF-8 (replaced)' "$SNAP/report.html" ||
	fail "the report's data quality does not show the cleaned values"
pdftotext -layout "$SNAP/report.pdf" "$T/bytes.txt" 2>/dev/null
grep -q 'Unmatched source values: 2; Values with control' "$T/bytes.txt" ||
	fail "the PDF's data quality does not show the cleaned values"
grep -q 'Pod␁cast �' "$T/bytes.txt" || fail "the PDF does not list the cleaned value"
# The snapshot serves a rebuild and the next run's drift.
run_ok bytes --from-snapshot "$first"
well_formed "$SNAP"
cmp -s "$first/cohorts.csv" "$SNAP/cohorts.csv" || fail "--from-snapshot gives other cohorts"
grep -q "cannot read" "$T/err" && fail "a snapshot could not be read: $(cat "$T/err")"
sleep 1
run_ok bytes
grep -q "<drift previous=" "$SNAP/metrics.xml" || fail "no drift against the earlier snapshot"
grep -q "cannot read" "$T/err" && fail "the earlier snapshot could not be read: $(cat "$T/err")"

# ---- hostile sizes: 20 distinct 5 MB values ----

new_case huge
"$PY" - "$T/huge/contacts.csv" "$H" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    f.write(sys.argv[2] + "\n")
    for i in range(20):
        f.write(f"{i + 1},2026-10-0{i % 9 + 1} 10:00,{chr(65 + i) * (5 << 20)},\n")
PY
# Peak memory of the run (KiB), from the kernel's accounting of children.
rss=$("$PY" -c '
import resource, subprocess, sys
r = subprocess.run(sys.argv[2:], stdout=open(sys.argv[1], "w"), stderr=subprocess.DEVNULL)
print(r.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
' "$T/huge/run.out" "$BP" run -c "$T/huge/cfg.xml" --period 2026-10 --no-email)
[ "${rss%% *}" = 0 ] || fail "the run with 5 MB values failed: $rss"
SNAP=$(tail -n 1 "$T/huge/run.out")
well_formed "$SNAP"
[ "${rss#* }" -lt 200000 ] || fail "20 values of 5 MB took ${rss#* } KiB"
for f in report.html metrics.xml email.html report.pdf; do
	size=$(wc -c <"$SNAP/$f")
	[ "$size" -lt 2000000 ] || fail "$f is $size bytes"
done
grep -q 'id="crm" [^>]*truncated-values="20"' "$SNAP/metrics.xml" ||
	fail "metrics.xml does not count the cut values"
n=$(grep -c '<unmatched value="[A-T]\{253\}…" count="1"/>' "$SNAP/metrics.xml" || true)
[ "$n" -eq 20 ] || fail "want 20 values cut to 256 bytes, got $n"
grep -q 'Values longer than 256 bytes (cut)' "$SNAP/report.html" ||
	fail "the report's data quality does not show the cut values"

# ---- contacts that read like footer lines are contacts ----

# A Salesforce-style export: names first, the ID elsewhere, the notices
# after the last record.  "Total" and "Copyright Agency" are people.
new_case footer
{
	echo 'First Name,Record ID,Create Date,Original Source,Became a Lead Date'
	echo 'Total,1,2026-10-01 10:00,Paid search,2026-10-01 10:00'
	echo 'Copyright Agency,2,2026-10-02 10:00,Paid search,2026-10-02 10:00'
	echo 'Ann,3,2026-10-03 10:00,Paid search,'
	echo ''
	echo 'Confidential Information - Do Not Distribute'
	echo '"Copyright © 2000-2025 salesforce.com, inc. All rights reserved."'
} >"$T/footer/contacts.csv"
run_ok footer
grep -q '^2026-10,paid_search,3,2,' "$SNAP/cohorts.csv" ||
	fail "the contacts named like footers are not counted: $(grep '^2026-10,paid_search' "$SNAP/cohorts.csv")"
grep -q 'id="crm" [^>]*footer-rows="2"' "$SNAP/metrics.xml" ||
	fail "the two notice lines are not the footer"

# ---- a template that would run away stops at its line ----

new_case runaway
mkdir -p "$T/runaway/tpl"
cat >"$T/runaway/tpl/report.html" <<'HTML'
<html xmlns="http://www.w3.org/1999/xhtml" xmlns:bp="urn:boardpack:template:1">
<body>
<p bp:each="//*"><i bp:each="//*"><b bp:each="//*" bp:text="name()"/></i></p>
</body></html>
HTML
mkdir -p "$T/runaway/tpl/labels"
echo '<labels/>' >"$T/runaway/tpl/labels/en.xml"
sed -i 's|<report |<report templates="tpl" |' "$T/runaway/cfg.xml"
rss=$("$PY" -c '
import resource, subprocess, sys
r = subprocess.run(sys.argv[2:], stdout=subprocess.DEVNULL, stderr=open(sys.argv[1], "w"))
print(r.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
' "$T/runaway.err" "$BP" run -c "$T/runaway/cfg.xml" --period 2026-10 --no-email)
[ "${rss%% *}" = 78 ] || fail "a runaway template: want exit 78, got $rss: $(cat "$T/runaway.err")"
grep -q "error: .*tpl/report.html:3: template expansion makes more than 1000000 elements" "$T/runaway.err" ||
	fail "the runaway template is not named with its line: $(cat "$T/runaway.err")"
[ "${rss#* }" -lt 600000 ] || fail "the runaway template took ${rss#* } KiB before it was stopped"
no_snapshot "$T/runaway/reports"

echo ok
