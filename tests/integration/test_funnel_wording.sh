# The report's words about the funnel are those of the run's funnel mode
# (report/@funnel), in English, Korean and Traditional Chinese, in the HTML
# and in the PDF (pdftotext): the channel note claims that no rate exceeds
# 100% only in the modes where that holds (cumulative, ordered), and the
# numbers bear it out; in `any` mode, where the demo is given contacts
# dated at a later stage without the one before, the note says a rate can
# exceed 100% and the table shows one that does.  The appendix defines the
# stages and a month's new stages as that mode counts them, and its
# targets' example is the run's own lower-is-better target, or, without
# one, worded as an example.
. "$BP_SRCDIR/tests/integration/lib.sh"

demo_data "$T/data" 1500
# A source of its own (channel Other): one contact dated at SQL, five at
# opportunity without an SQL date, so under `any` SQL→Opp. is over 100%.
"$PY" - "$T/data/contacts.csv" <<'PYEOF'
import csv, sys
path = sys.argv[1]
with open(path, encoding="utf-8-sig", newline="") as f:
    rows = list(csv.reader(f))
head = rows[0]
for i in range(6):
    day = "2026-09-%02d 10:00" % (i + 1)
    r = dict.fromkeys(head, "")
    r.update({"Record ID": str(910000000001 + i), "Create Date": day,
              "Original Source": "Partner webinar", "Became a Lead Date": day})
    if i == 0:
        r.update({"Lifecycle Stage": "Sales Qualified Lead",
                  "Became a Marketing Qualified Lead Date": "2026-09-02 10:00",
                  "Became a Sales Qualified Lead Date": "2026-09-03 10:00"})
    else:
        r.update({"Lifecycle Stage": "Opportunity",
                  "Became an Opportunity Date": "2026-09-20 10:00"})
    rows.append([r[h] for h in head])
with open(path, "w", encoding="utf-8-sig", newline="") as f:
    csv.writer(f, quoting=csv.QUOTE_ALL).writerows(rows)
PYEOF

# check MODE LANG SNAPSHOT: the snapshot's HTML and PDF say what MODE says.
check() {
	pdftotext "$3/report.pdf" "$T/report.txt"
	"$PY" - "$1" "$2" "$3" "$T/report.txt" <<'PYEOF'
import html, re, sys
import xml.etree.ElementTree as ET

mode, lang, snap, pdf_txt = sys.argv[1:]
# What each mode's channel note and appendix say, by language: the claim
# that no rate exceeds 100%, the statement that one can, and the words of
# each mode's definition of a stage.
WORDS = {
    "en": {"never": ["no rate exceeds 100%", "never exceed 100%"],
           "can": "a rate can exceed 100%",
           "cumulative": "that stage or a later one is dated",
           "any": "its own date for that stage is on or before",
           "ordered": "for every stage before it, each no earlier than"},
    "ko": {"never": ["100%를 넘지 않"],
           "can": "비율이 100%를 넘을 수 있습니다",
           "cumulative": "해당 단계 또는 이후 단계의 날짜가",
           "any": "그 단계 자체의 날짜가 기준 시점 이전이면",
           "ordered": "각 날짜가 이전 단계의 날짜보다 이르지 않으면"},
    "zh-TW": {"never": ["不會超過 100%"],
              "can": "比例也可能超過 100%",
              "cumulative": "該階段或更後面階段的日期",
              "any": "該階段本身的日期在資料截止時間之前",
              "ordered": "每個日期都不早於前一階段"},
}[lang]
MODES = ("cumulative", "any", "ordered")
problems = []


def squash(s):
    return re.sub(r"\s+", "", s)


def text_of(fragment):
    fragment = re.sub(r"<svg.*?</svg>", " ", fragment, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", fragment))


page = open(f"{snap}/report.html", encoding="utf-8").read()
sections = dict(re.findall(r'<section id="([\w-]+)"(.*?)</section>', page, re.S))
texts = {
    "HTML": {k: squash(text_of(v)) for k, v in sections.items()},
    "PDF": {"*": squash(open(pdf_txt, encoding="utf-8").read())},
}
texts["HTML"]["*"] = "".join(texts["HTML"].values())
run = ET.parse(f"{snap}/metrics.xml").getroot().find("run")
if run.get("funnel") != mode:
    problems.append(f"metrics.xml says funnel={run.get('funnel')!r}, not {mode!r}")

for where, t in texts.items():
    note = t.get("channels", t["*"])
    defs = t.get("definitions", t["*"])
    claims = [w for w in WORDS["never"] if squash(w) in t["*"]]
    if mode == "any":
        if claims:
            problems.append(f"{where}: claims {claims} in `any` mode")
        if squash(WORDS["can"]) not in note:
            problems.append(f"{where}: the channel note does not say a rate can exceed 100%")
    else:
        if squash(WORDS["never"][0]) not in note:
            problems.append(f"{where}: the channel note does not say no rate exceeds 100%")
        if squash(WORDS["can"]) in t["*"]:
            problems.append(f"{where}: says a rate can exceed 100% in `{mode}` mode")
    for m in MODES:
        said = squash(WORDS[m]) in defs
        if said != (m == mode):
            problems.append(f"{where}: the {m} definition of a stage is "
                            f"{'printed' if said else 'missing'} in `{mode}` mode")
    for key in ("channels.note", "def.stages.", "def.new_stages.", "def.attainment.", "funnel-"):
        if key in t["*"]:
            problems.append(f"{where}: the label key {key!r} is printed as text")

# The numbers bear the note out: every rate of the channel tables.
rates = [float(x) for x in re.findall(r'<td class="n">(\d[\d,]*\.\d)%</td>', sections["channels"])]
if not rates:
    problems.append("no rates in the channel tables")
over = [r for r in rates if r > 100]
if mode == "any" and not over:
    problems.append("`any` mode: no rate over 100%, so the test data misses its case")
if mode != "any" and over:
    problems.append(f"`{mode}` mode: rates over 100% beside the claim that none is: {over}")

# The targets' example is this run's own lower-is-better target.
if lang == "en":
    root = ET.parse(f"{snap}/metrics.xml").getroot()
    t = next((t for t in root.iterfind(
        f"targets/target[@month='{run.get('period')}'][@better='lower']") if t.get("actual")), None)
    if t is not None:
        subject = t.get("metric").upper()
        if t.get("channel", "all") != "all":
            label = root.find(f"channels/channel[@id='{t.get('channel')}']").get("label")
            subject = f"{subject} from {label}"
        pct = round(abs(float(t.get("vs-target"))) * 100)
        want = (f"this month's {subject} is ₩{round(float(t.get('actual'))):,} "
                f"against a target of ₩{round(float(t.get('value'))):,}, which reads "
                f"\"{pct}% {'under' if float(t.get('vs-target')) < 0 else 'over'} target\"")
    else:
        want = "For example, a CAC 46% below its target reads \"46% under target\""
    for where, tx in texts.items():
        if squash(want) not in tx.get("definitions", tx["*"]):
            problems.append(f"{where}: the targets' definition lacks {want!r}")

for p in problems:
    print(f"{mode} {lang}: {p}")
print(f"{mode} {lang}: {len(rates)} rates, {len(over)} over 100%, {len(problems)} problems")
sys.exit(1 if problems else 0)
PYEOF
}

for mode in cumulative any ordered; do
	for lang in en ko zh-TW; do
		demo_config "$T/cfg.xml" "$T/data" "$T/reports-$mode-$lang" \
		    -e "s|language=\"en\"|language=\"$lang\" funnel=\"$mode\"|"
		expect_status 0 "$BP" run -c "$T/cfg.xml" --period 2026-10 --no-email
		check "$mode" "$lang" "$(tail -n 1 "$T/out")" ||
			fail "$mode, $lang: the report's words are not the funnel mode's"
	done
done

# Without a lower-is-better target in the period, the targets' definition
# gives its figure as an example.
demo_config "$T/cfg.xml" "$T/data" "$T/reports-no-cac" \
    -e '/<target month="2026-10" metric="\(cac\|cpl\)"/d'
grep -q '<target month="2026-10" metric="cac"' "$T/cfg.xml" && fail "the CAC target is still in the config"
expect_status 0 "$BP" run -c "$T/cfg.xml" --period 2026-10 --no-email
check cumulative en "$(tail -n 1 "$T/out")" ||
	fail "without a CAC target the targets' definition is wrong"
echo ok
