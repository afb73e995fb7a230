#!/usr/bin/env python3
"""Runs boardpack on every real export in ../shared/real-exports as a user
would (the preset, no <column> overrides) and checks the outcome a user
needs: numbers equal to a count made here from the file with Python's csv
module, or the one clear error line.  Also runs `boardpack check` on each
config and checks that it shows the mapping and exits as run does.

    real_exports.py BOARDPACK EXPORTS_DIR WORK_DIR

Each case prints one line; the script exits 1 when any case fails.
"""

import csv
import io
import os
import re
import subprocess
import sys
from collections import defaultdict
from decimal import Decimal

BP, EXPORTS, WORK = sys.argv[1:4]
SCAFFOLD = "SCAFFOLD-contacts.csv"
FAILURES = []

# METRICS.md's default channels: HubSpot labels and API values, and GA4's
# default channel groups, compared case-insensitively.
HUBSPOT = {
    "organic search": "organic_search", "organic_search": "organic_search",
    "paid search": "paid_search", "paid_search": "paid_search",
    "paid social": "paid_social", "paid_social": "paid_social",
    "social media": "organic_social", "organic social": "organic_social",
    "email marketing": "email_marketing", "referrals": "referrals",
    "direct traffic": "direct_traffic", "offline sources": "offline",
    "offline": "offline", "other campaigns": "other_campaigns",
}
GA4 = {"organic search": "organic_search", "paid search": "paid_search",
       "paid social": "paid_social", "organic social": "organic_social",
       "email": "email_marketing", "referral": "referrals",
       "direct": "direct_traffic"}


def fail(case, why):
    FAILURES.append(case)
    print(f"FAIL {case}: {why}")


def text_of(path):
    raw = open(path, "rb").read()
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return raw.decode("utf-16")
    return raw.decode("utf-8-sig")


def table(path, first_header):
    """The rows under the header line that starts with `first_header`."""
    text = text_of(path)
    lines = text.splitlines(keepends=True)
    for i, line in enumerate(lines):
        if line.lstrip('"').startswith(first_header):
            delim = "\t" if "\t" in line else ","
            return list(csv.DictReader(io.StringIO("".join(lines[i:])),
                                       delimiter=delim))
    raise ValueError(f"no '{first_header}' header in {path}")


def number(s):
    s = (s or "").strip().replace(",", "")
    return Decimal(0) if s in ("", "--") else Decimal(s)


def config(kind, file, preset, period, months, currency="USD", extra=""):
    """Writes the config a user writes from the README; returns its path."""
    name = re.sub(r"[^A-Za-z0-9]+", "-", file)[:60]
    path = os.path.join(WORK, name + ".xml")
    contacts = "" if kind == "contacts" else \
        f'<contacts id="crm" url="{EXPORTS}/{SCAFFOLD}" preset="hubspot"/>'
    with open(path, "w", encoding="utf-8") as f:
        f.write(f"""<boardpack xmlns="urn:boardpack:config:1">
  <report timezone="UTC" currency="{currency}" months="{months}"/>
  <sources>
    {contacts}
    <{kind} id="x" url="{EXPORTS}/{file}" preset="{preset}" {extra}/>
  </sources>
  <output dir="{WORK}/out-{name}"/>
</boardpack>
""")
    return path, period


def run(cfg, period, *cmd):
    args = [BP] + list(cmd) + ["-c", cfg]
    if cmd[0] == "run":
        args += ["--period", period, "--no-email"]
    else:
        args += ["--period", period]
    return subprocess.run(args, capture_output=True, text=True)


def csv_rows(snapshot, name):
    with open(os.path.join(snapshot, name), newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def expect_run(case, cfg, period, headers):
    """Runs a case that must succeed; returns its snapshot folder.  `check`
    must succeed too and show each header the fields map to."""
    r = run(cfg, period, "run")
    if r.returncode != 0:
        fail(case, f"exit {r.returncode}: {r.stderr.strip()}")
        return None
    c = run(cfg, period, "check")
    if c.returncode != 0:
        fail(case, f"check exits {c.returncode}:\n{c.stdout}")
    for field, header in headers:
        if not re.search(rf"^\s+{field}\s+'{re.escape(header)}'$", c.stdout, re.M):
            fail(case, f"check does not show {field} <- '{header}':\n{c.stdout}")
    return r.stdout.strip().splitlines()[-1]


def expect_error(case, cfg, period, *needles):
    """A case that must stop with one error line holding every needle;
    check must exit the same way and say the same."""
    r = run(cfg, period, "run")
    errors = [l for l in r.stderr.splitlines() if "error:" in l]
    if r.returncode != 65 or len(errors) != 1:
        fail(case, f"want exit 65 and one error line, got {r.returncode}: {r.stderr}")
        return
    for n in needles:
        if n not in errors[0]:
            fail(case, f"the error lacks '{n}': {errors[0]}")
    if "(source 'x')" not in errors[0] or "%20" in errors[0]:
        fail(case, f"the error should name the source and the path as written: {errors[0]}")
    c = run(cfg, period, "check")
    if c.returncode != 65 or needles[0] not in c.stdout:
        fail(case, f"check should exit 65 saying '{needles[0]}': {c.returncode}\n{c.stdout}")
    print(f"ok   {case}: {errors[0][:110]}...")


def compare(case, got, want, what):
    if got != want:
        fail(case, f"{what}: got {got}, want {want}")
        return False
    return True


# ---- HubSpot contacts ----

def hubspot_current_labels():
    case = "hubspot-vertmonhub (current labels, 294 columns)"
    file = "hubspot-vertmonhub-all-contacts.csv"
    cfg, period = config("contacts", file, "hubspot", "2026-02", 12)
    snap = expect_run(case, cfg, period, [
        ("source", "Original Traffic Source"),
        ("lead", 'Date entered "Lead (Lifecycle Stage Pipeline)"'),
        ("customer", 'Date entered "Customer (Lifecycle Stage Pipeline)"')])
    if not snap:
        return
    want = defaultdict(lambda: [0, 0])
    for r in table(os.path.join(EXPORTS, file), "Record ID"):
        ch = HUBSPOT.get(r["Original Traffic Source"].strip().lower(), "other")
        for key in ((r["Create Date"][:7], ch), (r["Create Date"][:7], "all")):
            want[key][0] += 1
            want[key][1] += bool(r['Date entered "Lead (Lifecycle Stage Pipeline)"'])
    got = {(r["cohort"], r["channel"]): [int(r["contacts"]), int(r["leads"])]
           for r in csv_rows(snap, "cohorts.csv")}
    bad = [k for k in set(want) | set(got)
           if got.get(k, [0, 0]) != want.get(k, [0, 0])]
    total = sum(v[1] for k, v in want.items() if k[1] == "all")
    if compare(case, sorted(bad), [], "cells differing (cohort, channel)"):
        print(f"ok   {case}: {total} leads in {len(want)} cells, as counted here")


def hubspot_no_source_column():
    cfg, period = config("contacts", "hubspot-devtayyab-all-contacts.EXCERPT.csv",
                         "hubspot", "2026-08", 12)
    expect_error("hubspot-devtayyab (no source column)", cfg, period,
                 "missing required column 'Original Traffic Source'",
                 "add the missing properties to the view in HubSpot")


def hubspot_deals_without_associations():
    case = "hubspot-interactbrands deals (API names, no associations)"
    file = "hubspot-interactbrands-deals.csv"
    cfg, period = config("deals", file, "hubspot", "2024-08", 14)
    r = run(cfg, period, "run")
    if r.returncode != 0:
        return fail(case, r.stderr)
    if r.stderr.count("no associated-contact column") != 1:
        fail(case, f"want one warning about the missing associations: {r.stderr}")
    snap = r.stdout.strip().splitlines()[-1]
    want = defaultdict(lambda: [0, Decimal(0)])
    deals = table(os.path.join(EXPORTS, file), "amount")
    for d in deals:
        if d["dealstage"] == "closedwon" and d["amount"] and d["closedate"]:
            want[d["closedate"][:7]][0] += 1
            want[d["closedate"][:7]][1] += Decimal(d["amount"])
    got = {row["month"]: [int(row["won_deals"]), Decimal(row["won_revenue"])]
           for row in csv_rows(snap, "channels.csv") if row["channel"] == "other"
           and row["won_deals"] != "0"}
    compare(case, got, dict(want), "won deals and revenue by close month (channel other)")
    metrics = open(os.path.join(snap, "metrics.xml"), encoding="utf-8").read()
    counted = sum(v[0] for v in want.values())
    # Every deal lacks a contact: no export links one.
    unlinked = len({d["hs_object_id"] for d in deals if d["hs_object_id"]})
    if f'no-association="{unlinked}"' not in metrics:
        fail(case, f"metrics.xml should count {unlinked} deals linked to no contact")
    if 'unknown-contact="0"' not in metrics:
        fail(case, "deals without associations counted as unknown contacts")
    print(f"ok   {case}: {counted} won deals, each under 'other'")


# ---- Google Ads ----

def google_ads_spend(case, file, currency, period, months, want_clicks):
    cfg, period = config("spend", file, "google-ads", period, months, currency,
                         'channel="paid_search"')
    headers = [("cost", "Cost"), ("impressions", "Impr.")]
    snap = expect_run(case, cfg, period, headers)
    if not snap:
        return None
    path = os.path.join(EXPORTS, file)
    first = "Day" if "+Day" in file else "Campaign status"
    want = defaultdict(lambda: [Decimal(0), 0, 0])
    for r in table(path, first):
        label = (r.get("Day") or r["Campaign status"]).strip()
        if label.startswith("Total"):
            continue
        month = r["Day"][:7] if "Day" in r else period
        want[month][0] += number(r["Cost"])
        want[month][1] += int(number(r["Impr."]))
        want[month][2] += int(number(r.get("Clicks")))
    rows = {row["month"]: row for row in csv_rows(snap, "channels.csv")
            if row["channel"] == "paid_search"}
    for month, (cost, impr, clicks) in want.items():
        row = rows[month]
        compare(case, Decimal(row["spend"]), cost, f"{month} spend")
        compare(case, int(row["impressions"]), impr, f"{month} impressions")
        if want_clicks:
            compare(case, int(row["clicks"]), clicks, f"{month} clicks")
        elif row["clicks"] != "" or row["ctr"] != "" or row["cpc"] != "":
            fail(case, f"an export without a Clicks column gave clicks "
                       f"'{row['clicks']}', ctr '{row['ctr']}', cpc '{row['cpc']}'")
    print(f"ok   {case}: spend {', '.join(f'{m} {v[0]}' for m, v in sorted(want.items()))}")
    return snap


def google_ads():
    snap = google_ads_spend("googleads-VishalMotling (no Day, one month: dated by the range)",
                            "googleads-VishalMotling-Campaign report.csv", "INR",
                            "2025-07", 3, want_clicks=False)
    if snap and 'dated-by-range="July 8, 2025 - July 31, 2025"' not in \
            open(os.path.join(snap, "metrics.xml"), encoding="utf-8").read():
        fail("googleads-VishalMotling", "data quality does not say the rows were dated by the range")
    for file, cur, rng in (
            ("googleads-intragoinc-Campaign report.csv", "USD", "'All time'"),
            ("googleads-DanielTheC-Campaign report.csv", "GBP",
             "'27 January 2026 - 23 February 2026'"),
            ("googleads-DanielTheC-Campaign report (1).csv", "GBP",
             "'27 January 2026 - 23 February 2026'"),
            ("googleads-1123alberto-Campaign report.csv", "EUR",
             "'March 27, 2026 - April 23, 2026'")):
        cfg, period = config("spend", file, "google-ads", "2026-06", 12, cur,
                             'channel="paid_search"')
        expect_error(file, cfg, period, rng, "segment the report by Day", file)
    google_ads_spend("DERIVED DanielTheC +Day (UTF-16, tabs)",
                     "DERIVED-googleads-DanielTheC-Campaign report+Day.csv", "GBP",
                     "2026-02", 3, want_clicks=True)
    snap = google_ads_spend("DERIVED intragoinc +Day (separators, > 90%)",
                            "DERIVED-googleads-intragoinc-Campaign report+Day.csv",
                            "USD", "2026-01", 3, want_clicks=True)
    if snap and 'label="Total: Account"' not in \
            open(os.path.join(snap, "metrics.xml"), encoding="utf-8").read():
        fail("DERIVED intragoinc", "the Total: Account row is not in data quality")
    google_ads_spend("DERIVED VishalMotling +Day (Video: no Clicks column)",
                     "DERIVED-googleads-VishalMotling-Campaign report+Day.csv", "INR",
                     "2025-07", 3, want_clicks=False)


# ---- empty periods ----

def empty_period(case, file, preset, period, want_spend="0.00", covers=None):
    cfg, period = config("spend", file, preset, period, 3, "USD",
                         'channel="paid_social"')
    r = run(cfg, period, "run")
    if r.returncode != 0:
        return fail(case, f"an empty period stopped the run: {r.stderr}")
    if "no data" not in r.stderr:
        fail(case, f"no warning about the empty export: {r.stderr}")
    snap = r.stdout.strip().splitlines()[-1]
    metrics = open(os.path.join(snap, "metrics.xml"), encoding="utf-8").read()
    if 'empty-export="1"' not in metrics or 'code="empty-export"' not in metrics:
        fail(case, "data quality does not record the empty export")
    spend = {row["spend"] for row in csv_rows(snap, "channels.csv")
             if row["channel"] == "paid_social"}
    compare(case, spend, {want_spend}, "paid_social spend")
    # An export that says which days it covers leaves the months it has
    # no day of without spend (absent, not 0), and says so.
    if covers and f"the export covers '{covers}' and has no day of" not in metrics:
        fail(case, f"no partial-range warning naming '{covers}'")
    print(f"ok   {case}: zero rows, a warning, a data quality line")


# ---- GA4 ----

def ga4():
    case = "ga4-chirayu32 (Date + hour, primary channel group)"
    file = "ga4-chirayu32-data-export.csv"
    cfg, period = config("traffic", file, "ga4", "2024-05", 3)
    snap = expect_run(case, cfg, period, [
        ("date", "Date + hour (YYYYMMDDHH)"),
        ("channel", "Session primary channel group (Default channel group)")])
    if snap:
        want = defaultdict(int)
        for r in table(os.path.join(EXPORTS, file), "Session primary"):
            day = r["Date + hour (YYYYMMDDHH)"]
            ch = GA4.get(r["Session primary channel group (Default channel group)"]
                         .strip().lower(), "other")
            want[(f"{day[:4]}-{day[4:6]}", ch)] += int(r["Sessions"])
        got = {(row["month"], row["channel"]): int(row["sessions"])
               for row in csv_rows(snap, "channels.csv")
               if row["channel"] != "all" and row["sessions"] != "0"}
        if compare(case, got, dict(want), "sessions by (month, channel)"):
            print(f"ok   {case}: {sum(want.values())} sessions in {len(want)} cells")
        if any(row["new_users"] != "" for row in csv_rows(snap, "channels.csv")):
            fail(case, "new users are absent from the export but not from channels.csv")
    cfg, period = config("traffic", "ga4-LilyHeAsamiko-data-export.csv", "ga4", "2023-05", 3)
    expect_error("ga4-LilyHeAsamiko (Reports snapshot)", cfg, period,
                 "Reports snapshot", "Traffic acquisition")
    cfg, period = config("traffic", "ga4-marko7bub-data-export.csv", "ga4", "2024-03", 3)
    expect_error("ga4-marko7bub (no channel group, no sessions)", cfg, period,
                 "missing required columns", "'Sessions'", "'Date', 'Event count'")
    cfg, period = config("traffic", "ga4-riav13-data-export.csv", "ga4", "2023-07", 3)
    expect_error("ga4-riav13 (no Date, range over two months)", cfg, period,
                 "'2023-06-25 - 2023-07-02'", "add the Date dimension")


def main():
    os.makedirs(WORK, exist_ok=True)
    hubspot_current_labels()
    hubspot_no_source_column()
    hubspot_deals_without_associations()
    google_ads()
    # Meta's empty export carries no dates: any period the contacts cover
    # will do.  LinkedIn's preamble says it covers 2019-08-18 to
    # 2019-09-16: the contacts' months, years later, are not covered.
    empty_period("meta (\"No data available.\")",
                 "meta-DanielTheC-Daniel-Conlan-Campaigns-1-Sep-202430-Sep-2024.csv",
                 "meta", "2026-10")
    empty_period("linkedin (preamble only)",
                 "linkedin-robby0825-creative_performance_report.csv",
                 "linkedin", "2026-10", want_spend="",
                 covers="2019-08-18 - 2019-09-16")
    ga4()
    # Every export file has a case above: a new file in the folder must
    # get one.
    me = open(__file__, encoding="utf-8").read()
    for f in sorted(os.listdir(EXPORTS)):
        if f.endswith(".csv") and f != SCAFFOLD and f not in me:
            fail("coverage", f"no case for {f}")
    print(f"real exports: {len(FAILURES)} failed")
    sys.exit(1 if FAILURES else 0)


if __name__ == "__main__":
    main()
