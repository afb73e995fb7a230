# A month the spend and traffic exports have no day of is not a month
# without spend: on the demo's 24 months of contacts with 200 days of ad
# spend and traffic (2026-04-15 to 2026-10-31, as each export's preamble
# says), channels.csv leaves the spend, cost and what is made from them
# empty before April on the exported channels and on `all` (organic
# search, which no spend export feeds, keeps its spend of 0), keeps April's
# fifteen days and every later month's spend as the Google Ads rows sum
# it, leaves sessions empty before April, and no comparison that reaches
# back before April has a cost; the run warns on stderr and on the
# report's first page in the report's language, and the data-quality
# appendix gives the sentence.
. "$BP_SRCDIR/tests/integration/lib.sh"

"$GEN" --seed 7 --contacts 1500 --months 24 --spend-days 200 "$T/data" >/dev/null
for lang in en ko; do
	demo_config "$T/$lang.xml" "$T/data" "$T/out-$lang" \
		-e "s|language=\"en\"|language=\"$lang\"|"
	expect_status 0 "$BP" run -c "$T/$lang.xml" --period 2026-10 --no-email
	for src in gads linkedin ga4; do
		grep -q "source '$src' .*the export covers .* and has no day of .*2026-03" "$T/err" ||
			fail "$lang: no warning that '$src' has no day of the months before April: $(cat "$T/err")"
	done
	snap=$(tail -n 1 "$T/out")
	cp -r "$snap" "$T/snap-$lang"
done

"$PY" - "$T/snap-en" "$T/data/google-ads.csv" <<'PYEOF' || fail "the figures of uncovered months"
import csv, sys, re
from decimal import Decimal
snap, gads = sys.argv[1], sys.argv[2]
bad = []
rows = list(csv.DictReader(open(f"{snap}/channels.csv", encoding="utf-8")))
want = {}
with open(gads, encoding="utf-8-sig") as f:
    lines = f.read().splitlines()
for r in csv.DictReader(lines[2:]):
    if r["Day"].startswith("Total"):
        continue
    want[r["Day"][:7]] = want.get(r["Day"][:7], Decimal(0)) + Decimal(r["Cost"].replace(",", ""))
gone = ["spend", "cost", "impressions", "cpl", "cost_per_mql", "cac", "roas"]
for r in rows:
    m, ch = r["month"], r["channel"]
    if m < "2026-04" and ch in ("paid_search", "paid_social", "all"):
        for c in gone:
            if r[c] != "":
                bad.append(f"{m} {ch} {c} = {r[c]!r}, want empty")
    if m < "2026-04" and r["sessions"] != "":
        bad.append(f"{m} {ch} sessions = {r['sessions']!r}, want empty")
    if m >= "2026-04" and ch == "paid_search":
        if r["spend"] == "" or Decimal(r["spend"]) != want.get(m, 0):
            bad.append(f"{m} paid_search spend {r['spend']!r}, the rows sum {want.get(m)}")
    if ch == "organic_search" and r["spend"] != "0.00":
        bad.append(f"{m} organic_search spend {r['spend']!r}, want 0.00")
if not any(r["month"] < "2026-04" for r in rows):
    bad.append("the window has no month before April")
xml = open(f"{snap}/metrics.xml", encoding="utf-8").read()
for span in ("previous-trailing-12", "trailing-12", "year-ago-month"):
    for row in re.findall(r'<row span="%s" channel="(?:all|paid_search)"[^>]*>' % span, xml):
        if re.search(r' (cost|spend|cac|cpl)="', row):
            bad.append(f"{span} has a cost: {row[:160]}")
m = re.search(r'<row span="month" channel="paid_search"[^>]*>', xml)
if not m or ' spend="' not in m.group(0):
    bad.append("the period itself lost its spend")
for b in bad:
    print(b)
sys.exit(1 if bad else 0)
PYEOF

grep -q "the export does not cover every month shown" "$T/snap-en/report.html" ||
	fail "the English report's first page does not name the uncovered months"
grep -q "내보내기가 보고서의 일부 월을 포함하지 않음" "$T/snap-ko/report.html" ||
	fail "the Korean report's first page does not name the uncovered months"
grep -q "and has no day of" "$T/snap-en/report.html" ||
	fail "the data-quality appendix does not give the warning in full"
if grep -q "warning\.partial-range" "$T/snap-en/report.html" "$T/snap-ko/report.html"; then
	fail "a report shows the warning's label key instead of its words"
fi
pdftotext "$T/snap-en/report.pdf" "$T/pdf.txt"
grep -q "and has no day of" "$T/pdf.txt" ||
	fail "the board pack's appendix does not give the warning"
echo "ok: uncovered months have no spend, cost or sessions, and the report says so"
