# Snapshots: verify catches a one-byte change, drift between two runs with
# different as_of is the difference of their cohort tables, --from-snapshot
# reproduces the numbers without the network, retention keeps the latest
# snapshot of every month.
. "$BP_SRCDIR/tests/integration/lib.sh"

demo_data "$T/data" 1500
demo_config "$T/cfg.xml" "$T/data" "$T/reports"

# Two runs of September: as the board saw it mid-month, then at month end.
expect_status 0 "$BP" run -c "$T/cfg.xml" --period 2026-09 --as-of 2026-09-15 --no-email
first=$(tail -n 1 "$T/out")

expect_status 0 "$BP" run -c "$T/cfg.xml" --period 2026-09 --no-email
second=$(tail -n 1 "$T/out")
[ "$first" != "$second" ] || fail "two runs wrote the same snapshot"

# verify: passes, then names the file after a one-byte change.
expect_status 0 "$BP" verify "$second"
(cd "$second" && sha256sum --quiet -c MANIFEST.sha256) || fail "sha256sum -c rejects the manifest"
cp -r "$second" "$T/tampered"
chmod -R u+w "$T/tampered"
printf 'X' | dd of="$T/tampered/cohorts.csv" bs=1 seek=100 conv=notrunc 2>/dev/null
expect_status 65 "$BP" verify "$T/tampered"
grep -q "cohorts.csv" "$T/err" || fail "verify does not name the changed file: $(cat "$T/err")"

# Drift: every <change> of the second snapshot equals the difference of the
# two cohorts.csv files, and every difference is listed.
"$PY" - "$first" "$second" <<'PYEOF' || fail "drift does not match the cohort tables"
import csv, sys, xml.etree.ElementTree as ET
a, b = sys.argv[1], sys.argv[2]
def table(d):
    with open(f"{d}/cohorts.csv", newline="") as f:
        return {(r["cohort"], r["channel"]): r for r in csv.DictReader(f)}
old, new = table(a), table(b)
cols = ["contacts", "leads", "mqls", "sqls", "opportunities", "customers",
        "won_deals", "won_revenue"]
want = {}
for k, r in new.items():
    for c in cols:
        if k in old and old[k][c] != r[c]:
            want[(k[0], k[1], c)] = float(r[c]) - float(old[k][c])
drift = ET.parse(f"{b}/metrics.xml").getroot().find("drift")
assert drift is not None, "no <drift> element"
assert drift.get("previous") == a.rstrip("/").split("/")[-1], drift.get("previous")
got = {(c.get("cohort"), c.get("channel"), c.get("metric")): float(c.get("change"))
       for c in drift.findall("change")}
assert want, "the two runs should differ"
missing = set(want) - set(got)
extra = set(got) - set(want)
wrong = [k for k in want if k in got and abs(want[k] - got[k]) > 1e-9]
assert not missing and not extra and not wrong, (missing, extra, wrong)
print(f"drift: {len(got)} changes, all equal to the tables' differences")
PYEOF

# The report says what changed: one row per change of the `all` rows, the
# figures formatted as the report formats them (money in won, never
# +7700000.00).
pdftotext "$second/report.pdf" "$T/second.txt" 2>/dev/null
grep -q "Changes since the previous snapshot" "$T/second.txt" || fail "the PDF does not show drift"
grep -q "Changes since the previous snapshot" "$second/report.html" || fail "the HTML does not show drift"
"$PY" - "$second" "$T/second.txt" <<'PYEOF' || fail "the PDF's drift lines differ from metrics.xml"
import sys, xml.etree.ElementTree as ET
d = ET.parse(f"{sys.argv[1]}/metrics.xml").getroot().find("drift")
text = " ".join(open(sys.argv[2], encoding="utf-8").read().split())
def shown(metric, v, sign=False):
    x = round(float(v))
    s = ("₩" if metric == "won_revenue" else "") + f"{abs(x):,}"
    return ("-" if x < 0 else "+" if sign and x > 0 else "") + s
for c in d.findall("change"):
    if c.get("channel") == "all":
        m = c.get("metric")
        row = f"{shown(m, c.get('before'))} {shown(m, c.get('after'))} {shown(m, c.get('change'), True)}"
        assert row in text, row
        assert "." not in c.get("change") or c.get("change") not in text, c.get("change")
PYEOF

# A later run counts every contact an earlier one did: the month-end run
# gives no warning of shrinking cohorts.  A contacts export cut at a line
# end reads as a whole one, but its cohorts lose contacts against the
# last snapshot, and the run says so, on stderr and on page 1.
grep -q "contacts-shrank\|stays in the cohort" "$T/err" &&
	fail "a month-end run after a mid-month one warns of shrinking cohorts: $(cat "$T/err")"
mkdir "$T/cut"
cp "$T/data/"* "$T/cut/"
head -n 800 "$T/data/contacts.csv" >"$T/cut/contacts.csv"
sed "s|$T/data/|$T/cut/|g" "$T/cfg.xml" >"$T/cut.xml"
expect_status 0 "$BP" run -c "$T/cut.xml" --period 2026-09 --no-email
cut=$(tail -n 1 "$T/out")
grep -q "drift: the cohorts this run shares with the snapshot ${second##*/} held [0-9]* contacts there and hold [0-9]* now" "$T/err" ||
	fail "a cut contacts export is not warned about: $(cat "$T/err")"
grep -q 'source="drift" code="contacts-shrank"' "$cut/metrics.xml" ||
	fail "metrics.xml does not hold the shrinking cohorts' warning"
grep -q "earlier cohorts lost contacts since the last snapshot" "$cut/report.html" ||
	fail "the report's first page does not name the shrinking cohorts"
chmod -R u+w "$cut" && rm -rf "$cut"

# --from-snapshot: no sources reachable, same numbers.
mv "$T/data" "$T/data-gone"
expect_status 0 "$BP" run -c "$T/cfg.xml" --from-snapshot "$first" --no-email
again=$(tail -n 1 "$T/out")
case "$again" in "$T/reports/2026-09/"*) ;; *) fail "re-render not filed under 2026-09: $again" ;; esac
cmp "$first/cohorts.csv" "$again/cohorts.csv" || fail "re-rendered cohorts differ"
cmp "$first/channels.csv" "$again/channels.csv" || fail "re-rendered channels differ"
mv "$T/data-gone" "$T/data"

# Retention: with keep-months="1", old snapshots go, but never the latest
# of a month.  Make two "old" copies of a September snapshot and one of
# an old month.
for stamp in 2025-01-01T000000Z 2025-01-02T000000Z; do
	cp -r "$first" "$T/reports/2026-09/$stamp"
done
mkdir -p "$T/reports/2024-12"
cp -r "$first" "$T/reports/2024-12/2025-01-01T000000Z"
sed -i "s|<output dir=\"$T/reports\"/>|<output dir=\"$T/reports\" keep-months=\"1\"/>|" "$T/cfg.xml"
sleep 1
expect_status 0 "$BP" run -c "$T/cfg.xml" --period 2026-09 --no-email --offline
[ -d "$T/reports/2024-12/2025-01-01T000000Z" ] || fail "retention removed the only snapshot of 2024-12"
[ ! -e "$T/reports/2026-09/2025-01-01T000000Z" ] || fail "retention kept an old snapshot"
[ ! -e "$T/reports/2026-09/2025-01-02T000000Z" ] || fail "retention kept an old snapshot"
[ -d "$second" ] || fail "retention removed a recent snapshot"
echo ok
