# The reports, read back as a person would: the PDF's text (pdftotext) and
# the HTML hold the same headline numbers as channels.csv and cohorts.csv;
# fonts are embedded; Korean and Chinese names render; hostile names stay
# text; a 36-month, 100-channel report paginates without overflow.  The
# layout (layout_check.py) of the demo, of the Korean and the Chinese
# reports and of a 36-month, 20-channel one: no two words overlap, none
# leaves its page, no page but the last is under a quarter full, and every
# section of the HTML is in the PDF.  The label tables agree with each
# other and with the templates.
. "$BP_SRCDIR/tests/integration/lib.sh"

demo_data "$T/data" 1500
# Source values no rule matches, shown in the data-quality section.
"$PY" - "$T/data/contacts.csv" <<'PYEOF'
import csv, sys
path = sys.argv[1]
with open(path, encoding="utf-8-sig", newline="") as f:
    rows = list(csv.reader(f))
head = rows[0]
for i, src in enumerate(["네이버 블로그", "微信公众号", "<script>alert(1)</script>"]):
    r = dict.fromkeys(head, "")
    r.update({"Record ID": str(900000000001 + i), "Create Date": "2026-10-0%d 10:00" % (i + 1),
              "Original Source": src, "Lifecycle Stage": "Lead",
              "Became a Lead Date": "2026-10-0%d 10:00" % (i + 1)})
    rows.append([r[h] for h in head])
with open(path, "w", encoding="utf-8-sig", newline="") as f:
    csv.writer(f, quoting=csv.QUOTE_ALL).writerows(rows)
PYEOF

config() { # LANG OUT [CHANNELS_XML] [MONTHS]
	# Channels of its own may lack the offline channel of the demo's costs.
	demo_config "$T/cfg.xml" "$T/data" "$2" \
	    -e "s|<output dir=\"reports\"/>|${3:-}&|" \
	    -e "${3:+s| channel=\"offline\"||}" \
	    -e "s|language=\"en\"|language=\"$1\"|" -e "s|months=\"12\"|months=\"${4:-12}\"|"
}

# check_numbers SNAPSHOT TEXTFILE: every headline number of the period and
# every cohort size, formatted as the report formats them, is in the text.
check_numbers() {
	"$PY" - "$1" "$2" <<'PYEOF'
import csv, sys
snap, text = sys.argv[1], open(sys.argv[2], encoding="utf-8").read()
text = " ".join(text.split())
rows = list(csv.DictReader(open(f"{snap}/channels.csv", encoding="utf-8")))
period = max(r["month"] for r in rows)
allrow = next(r for r in rows if r["month"] == period and r["channel"] == "all")
want = [f"{int(allrow[c]):,}" for c in
        ("new_leads", "new_mqls", "new_sqls", "new_opportunities", "new_customers")]
want += ["₩" + f"{round(float(allrow[c])):,}" for c in ("cost", "won_revenue", "cac") if allrow[c]]
for r in csv.DictReader(open(f"{snap}/cohorts.csv", encoding="utf-8")):
    if r["channel"] == "all":
        want.append(f"{int(r['contacts']):,}")
missing = [w for w in want if w not in text]
if missing:
    sys.exit(f"missing from the report: {missing}")
print(f"{len(want)} numbers found")
PYEOF
}

"$PY" "$BP_SRCDIR/tests/integration/labels_check.py" "$BP_SRCDIR/templates" ||
	fail "the label tables disagree with each other or with the templates"

# layout SNAPSHOT NAME: the PDF against its HTML, as layout_check.py says.
# With BP_KEEP_REPORTS=DIR the snapshot is kept there, to be looked at.
layout() {
	if [ -n "${BP_KEEP_REPORTS:-}" ]; then
		mkdir -p "$BP_KEEP_REPORTS"
		rm -rf "$BP_KEEP_REPORTS/$(echo "$2" | tr -c 'A-Za-z0-9\n' -)"
		cp -r "$1" "$BP_KEEP_REPORTS/$(echo "$2" | tr -c 'A-Za-z0-9\n' -)"
	fi
	"$PY" "$BP_SRCDIR/tests/integration/layout_check.py" "$1/report.pdf" "$1/report.html" ||
		fail "$2: the PDF's layout is wrong"
}

# English: PDF text and HTML hold the numbers; fonts embedded; HTML valid
# and the hostile value escaped.
config en "$T/en"
expect_status 0 "$BP" run -c "$T/cfg.xml" --period 2026-10 --no-email
snap=$(tail -n 1 "$T/out")
pdftotext -layout "$snap/report.pdf" "$T/en.txt"
check_numbers "$snap" "$T/en.txt" || fail "PDF numbers differ from the CSV files"
sed -e 's/<[^>]*>/ /g' -e 's/&amp;/\&/g' "$snap/report.html" >"$T/en-html.txt"
check_numbers "$snap" "$T/en-html.txt" || fail "HTML numbers differ from the CSV files"
xmllint --noout "$snap/report.html" || fail "report.html is not well-formed"
xmllint --noout "$snap/email.html" || fail "email.html is not well-formed"
grep -q "<script" "$snap/report.html" "$snap/email.html" && fail "a hostile name became markup"
grep -q "&lt;script&gt;alert(1)&lt;/script&gt;" "$snap/report.html" || fail "the hostile name is not shown as text"
grep -q "네이버 블로그" "$T/en.txt" || fail "Korean source value missing from the PDF text"
grep -q "微信公众号" "$T/en.txt" || fail "Chinese source value missing from the PDF text"
pdffonts "$snap/report.pdf" >"$T/fonts.txt"
[ "$(tail -n +3 "$T/fonts.txt" | wc -l)" -ge 1 ] || fail "no fonts listed"
tail -n +3 "$T/fonts.txt" | awk '{ if ($(NF-4) != "yes") bad = 1 } END { exit bad }' ||
	fail "a font is not embedded: $(cat "$T/fonts.txt")"
pdfinfo "$snap/report.pdf" | grep -q "Title: *Acme" || fail "no document title in the PDF"
pdfinfo "$snap/report.pdf" | grep -q "CreationDate" || fail "no creation date in the PDF"
layout "$snap" "the English demo"

# Korean: the Korean template's labels and Korean channel labels render.
config ko "$T/ko" '<channels><channel id="paid_search" label="유료 검색" group="Paid"/><channel id="paid_social" label="付费社交" group="Paid"/><channel id="offline" label="Offline sources" group="Outbound"/></channels>'
expect_status 0 "$BP" run -c "$T/cfg.xml" --period 2026-10 --no-email
snap=$(tail -n 1 "$T/out")
pdftotext -layout "$snap/report.pdf" "$T/ko.txt"
for w in "신규 리드" "코호트" "유료 검색" "付费社交" "네이버 블로그" "오프라인"; do
	grep -q "$w" "$T/ko.txt" || fail "'$w' missing from the Korean PDF"
done
check_numbers "$snap" "$T/ko.txt" || fail "Korean PDF numbers differ from the CSV files"
layout "$snap" "the Korean report"

# Traditional Chinese: its words, default channels by id in Chinese, the
# numbers, the layout.
config zh-TW "$T/zh"
expect_status 0 "$BP" run -c "$T/cfg.xml" --period 2026-10 --no-email
snap=$(tail -n 1 "$T/out")
pdftotext -layout "$snap/report.pdf" "$T/zh.txt"
for w in "新潛在客戶" "名單漏斗" "自然搜尋" "付費社群" "2026年10月" "微信公众号"; do
	grep -q "$w" "$T/zh.txt" || fail "'$w' missing from the Chinese PDF"
done
check_numbers "$snap" "$T/zh.txt" || fail "Chinese PDF numbers differ from the CSV files"
layout "$snap" "the Chinese report"

# 36 months and 20 channels, named as a marketing team names them: rules
# send the CRM's sources to ten of them, the ad platforms to three, so
# most rows are empty and one channel spends without a contact.
chans="<channels>"
for c in "c01:Google Ads — brand:Paid" "c02:LinkedIn ads:Paid" "c03:Meta ads:Paid" \
	 "c04:SEO blog:Inbound" "c05:Organic social:Inbound" "c06:Newsletter:Inbound" \
	 "c07:Partner referrals:Inbound" "c08:Direct:Inbound" "c09:Events and trade shows:Outbound" \
	 "c10:SDR outbound:Outbound" "c11:Webinars:Inbound" "c12:Podcast sponsorship:Paid" \
	 "c13:Review sites:Inbound" "c14:Affiliate programme:Paid" "c15:Community:Inbound" \
	 "c16:YouTube:Inbound" "c17:Reddit ads:Paid" "c18:Display retargeting:Paid" \
	 "c19:Product-led sign-ups:Inbound" "c20:Other:Other"; do
	id=${c%%:*} rest=${c#*:}
	chans="$chans<channel id=\"$id\" label=\"${rest%%:*}\" group=\"${rest#*:}\"/>"
done
chans="$chans</channels>"
config en "$T/wide" "$chans" 36
rules='<channel-rule match="Paid search" channel="c01"/><channel-rule match="Paid social" channel="c02"/><channel-rule match="Organic search" channel="c04"/><channel-rule match="Social media" channel="c05"/><channel-rule match="Email marketing" channel="c06"/><channel-rule match="Referrals" channel="c07"/><channel-rule match="Direct traffic" channel="c08"/><channel-rule match="Offline sources" channel="c09"/><channel-rule match="Other campaigns" channel="c11"/>'
sed -i -e "s|timezone=\"Asia/Seoul\"/>|timezone=\"Asia/Seoul\">$rules</contacts>|" \
       -e '/id="gads"/,/\/>/ s|channel="paid_search"|channel="c01"|' \
       -e '/id="linkedin"/,/\/>/ s|channel="paid_social"|channel="c02"|' \
       -e '/id="meta"/,/\/>/ s|channel="paid_social"|channel="c03"|' \
       -e 's|<target \(.*\)channel="paid_search"|<target \1channel="c01"|' "$T/cfg.xml"
grep -q 'channel="c03"' "$T/cfg.xml" || fail "the 20-channel config lacks its spend channels"
grep -q '<channel-rule match="Paid search" channel="c01"/>' "$T/cfg.xml" || fail "the 20-channel config lacks its rules"
expect_status 0 "$BP" run -c "$T/cfg.xml" --period 2026-10 --no-email
snap=$(tail -n 1 "$T/out")
pdftotext "$snap/report.pdf" "$T/wide.txt"
for w in "Google Ads — brand" "Meta ads" "Nov 2023" "no customer"; do
	grep -q "$w" "$T/wide.txt" || fail "'$w' lost from the 36-month, 20-channel PDF"
done
layout "$snap" "the 36-month, 20-channel report"

# 36 months and 100 channels: every page's words stay inside the page.
chans="<channels>"
i=1
while [ $i -le 100 ]; do chans="$chans<channel id=\"c$i\" label=\"Channel $i\" group=\"G$((i % 7))\"/>"; i=$((i + 1)); done
chans="$chans</channels>"
config en "$T/big" "$chans" 36
# the demo's SDR salaries name a channel these channels lack
sed -i -e 's|channel="paid_search"|channel="c1"|; s|channel="paid_social"|channel="c2"|g' \
       -e 's| channel="offline"||' "$T/cfg.xml"
expect_status 0 "$BP" run -c "$T/cfg.xml" --period 2026-10 --no-email
snap=$(tail -n 1 "$T/out")
pages=$(pdfinfo "$snap/report.pdf" | awk '/^Pages:/ { print $2 }')
[ "$pages" -ge 8 ] || fail "a 36-month, 100-channel report has only $pages pages"
pdftotext -bbox "$snap/report.pdf" "$T/big.html"
"$PY" - "$T/big.html" <<'PYEOF' || fail "text overflows a page"
import re, sys
doc = open(sys.argv[1], encoding="utf-8").read()
bad = 0
for page in re.finditer(r'<page width="([\d.]+)" height="([\d.]+)">(.*?)</page>', doc, re.S):
    w, h = float(page.group(1)), float(page.group(2))
    for m in re.finditer(r'xMin="([\d.-]+)" yMin="([\d.-]+)" xMax="([\d.-]+)" yMax="([\d.-]+)">([^<]*)', page.group(3)):
        x0, y0, x1, y1 = map(float, m.group(1, 2, 3, 4))
        if x0 < 0 or y0 < 0 or x1 > w + 0.5 or y1 > h + 0.5:
            bad += 1
            if bad < 5:
                print("outside the page:", m.group(5), x0, y0, x1, y1)
sys.exit(1 if bad else 0)
PYEOF
pdftotext "$snap/report.pdf" "$T/big.txt"
for w in "Channel 1" "Channel 100" "Nov 2023"; do
	grep -q "$w" "$T/big.txt" || fail "'$w' lost from the 36-month, 100-channel PDF"
done
echo ok
