#!/usr/bin/env python3
"""An independent implementation of METRICS.md, for boardpack's tests.

    oracle.py SNAPSHOT_DIR --timezone Asia/Seoul --period 2026-10 --months 12
              [--as-of 2026-10-31T23:59:59+09:00] [--gross-margin 0.8]
              [--cost 2026-10=12000000[:channel=ID|:group=NAME] ...]

Reads the raw exports archived in SNAPSHOT_DIR/sources/ (crm.csv,
deals.csv, and any spend/traffic files named gads*, li*, linkedin*, meta*,
ga4*), computes cohorts.csv and channels.csv from the definitions with the
Python standard library (csv, zoneinfo, decimal), and compares them cell by
cell with the snapshot's files.  Prints every difference; exits 1 if any.
Written separately from the C code on purpose: it shares nothing with it.
"""
import argparse
import csv
import datetime as dt
import io
import os
import re
import xml.etree.ElementTree as ET
import sys
from decimal import Decimal, ROUND_HALF_UP
from zoneinfo import ZoneInfo

STAGES = ["lead", "mql", "sql", "opportunity", "customer"]
DEFAULT_CHANNELS = [
    ("organic_search", ["ORGANIC_SEARCH", "Organic search"]),
    ("paid_search", ["PAID_SEARCH", "Paid search"]),
    ("paid_social", ["PAID_SOCIAL", "Paid social"]),
    ("organic_social", ["SOCIAL_MEDIA", "Social media", "Organic social"]),
    ("email_marketing", ["EMAIL_MARKETING", "Email marketing"]),
    ("referrals", ["REFERRALS", "Referrals"]),
    ("direct_traffic", ["DIRECT_TRAFFIC", "Direct traffic"]),
    ("offline", ["OFFLINE", "Offline sources"]),
    ("other_campaigns", ["OTHER_CAMPAIGNS", "Other campaigns"]),
    ("other", []),
]
GA4 = {"organic search": "organic_search", "paid search": "paid_search",
       "paid social": "paid_social", "organic social": "organic_social",
       "email": "email_marketing", "referral": "referrals",
       "direct": "direct_traffic"}
CHANNELS = [c for c, _ in DEFAULT_CHANNELS]
GROUPS = {"organic_search": "Inbound", "paid_search": "Paid",
          "paid_social": "Paid", "organic_social": "Inbound",
          "email_marketing": "Inbound", "referrals": "Inbound",
          "direct_traffic": "Inbound", "offline": "Outbound",
          "other_campaigns": "Other", "other": "Other"}


def channel_of(value):
    v = value.strip().lower()
    for cid, names in DEFAULT_CHANNELS:
        if any(v == n.lower() for n in names):
            return cid
    return "other"


def read_text(path):
    raw = open(path, "rb").read()
    if raw.startswith(b"\xff\xfe") or raw.startswith(b"\xfe\xff"):
        return raw.decode("utf-16")
    return raw.decode("utf-8-sig")


def rows_after_header(path, first_header):
    """Rows as dicts, from the first line whose first cell set holds
    `first_header`; total/footer rows dropped."""
    text = read_text(path)
    lines = text.splitlines(keepends=True)
    for i, line in enumerate(lines):
        if line.startswith("#") or not line.strip():
            continue
        delim = max(["\t", ";", ","], key=line.count)
        cells = next(csv.reader([line], delimiter=delim))
        if first_header in cells:
            body = "".join(lines[i:])
            for row in csv.DictReader(io.StringIO(body), delimiter=delim):
                first = (list(row.values())[0] or "").strip()
                if re.match(r"(?i)^total(\b|:)", first):
                    continue
                yield row
            return
    raise SystemExit(f"{path}: no header with {first_header!r}")


def money(text):
    t = (text or "").strip()
    if t in ("", "--", "-"):
        return None
    t = re.sub(r"[^0-9.\-]", "", t)
    return Decimal(t)


def count(text):
    t = (text or "").strip()
    if t in ("", "--", "-"):
        return 0
    return int(t.replace(",", ""))


def instant(text, tz):
    t = (text or "").strip()
    if not t:
        return None
    if re.fullmatch(r"\d{8}", t):
        d = dt.datetime.strptime(t, "%Y%m%d")
    elif re.fullmatch(r"\d\d/\d\d/\d{4}", t):
        d = dt.datetime.strptime(t, "%m/%d/%Y")
    elif re.fullmatch(r"\d{4}-\d\d-\d\d", t):
        d = dt.datetime.strptime(t, "%Y-%m-%d")
    else:
        d = dt.datetime.strptime(t, "%Y-%m-%d %H:%M")
    return d.replace(tzinfo=tz)


def month_of(t, tz):
    local = t.astimezone(tz)
    return f"{local.year:04d}-{local.month:02d}"


def fmt_money(d):
    return str(d.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def month_end(month, tz):
    """The last second of month `YYYY-MM` in tz."""
    y, m = map(int, month.split("-"))
    ny, nm = (y + 1, 1) if m == 12 else (y, m + 1)
    return dt.datetime(ny, nm, 1, tzinfo=tz) - dt.timedelta(seconds=1)


def money_div(num, den):
    if den == 0:
        return ""
    return fmt_money(Decimal(num) / Decimal(den))


def ratio(num, den, places=6):
    if den == 0:
        return ""
    s = f"{num / den:.{places}f}"
    return s.replace("-0.", "0.") if float(s) == 0 else s


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("snapshot")
    ap.add_argument("--timezone", default="UTC")
    ap.add_argument("--period", required=True)
    ap.add_argument("--months", type=int, default=12)
    ap.add_argument("--as-of")
    ap.add_argument("--gross-margin", type=float)
    ap.add_argument("--cost", action="append", default=[])
    a = ap.parse_args()
    tz = ZoneInfo(a.timezone)
    y, m = map(int, a.period.split("-"))
    # The window, and the 12 months before it the comparisons read.
    LOOKBACK = 12
    every = []
    for k in range(a.months + LOOKBACK - 1, -1, -1):
        mm = y * 12 + (m - 1) - k
        every.append(f"{mm // 12:04d}-{mm % 12 + 1:02d}")
    months = every[LOOKBACK:]
    first_data = [None]   # the earliest month anything was dated in

    def saw(mo):
        if first_data[0] is None or mo < first_data[0]:
            first_data[0] = mo
    if a.as_of:
        as_of = dt.datetime.fromisoformat(a.as_of)
        if as_of.tzinfo is None:
            as_of = as_of.replace(tzinfo=tz)
    else:
        ny, nm = (y + 1, 1) if m == 12 else (y, m + 1)
        as_of = dt.datetime(ny, nm, 1, tzinfo=tz) - dt.timedelta(seconds=1)
    # METRICS.md: a cost names a channel, a group or neither (all only).
    costs = []   # (month, amount, channel or None, group or None)
    for c in a.cost:
        spec, _, where = c.partition(":")
        k, v = spec.split("=")
        ch = where.split("=", 1)[1] if where.startswith("channel=") else None
        gr = where.split("=", 1)[1] if where.startswith("group=") else None
        costs.append((k, Decimal(v), ch, gr))

    src = os.path.join(a.snapshot, "sources")
    cohort = {(mo, ch): {"contacts": 0, **{s: 0 for s in STAGES},
                         "won_deals": 0, "won_revenue": Decimal(0)}
              for mo in months for ch in CHANNELS}
    econ = {(mo, ch): {"spend": Decimal(0), "impressions": 0, "clicks": 0,
                       **{s: 0 for s in STAGES}, "won_deals": 0,
                       "won_revenue": Decimal(0), "cycle": 0, "cycle_n": 0,
                       "sessions": 0, "new_users": 0, "engaged": 0,
                       "pipeline": Decimal(0), "lost": 0, "open": Decimal(0)}
            for mo in every for ch in CHANNELS}

    # Campaigns of the period: a name within a channel, ASCII case and
    # surrounding spaces aside; spend only where an ad platform names it.
    campaigns = {}

    def campaign(ch, name):
        key = (ch, name.encode().lower())
        if key not in campaigns:
            campaigns[key] = {"name": name, "channel": ch, "leads": 0,
                              "mqls": 0, "customers": 0, "spend": None}
        return campaigns[key]

    contacts = {}   # id -> (cohort month or None, channel, exists)
    deal_owner = {}
    for r in rows_after_header(os.path.join(src, "crm.csv"), "Record ID"):
        cid = r["Record ID"].strip()
        if not cid or cid in contacts:
            continue
        created = instant(r["Create Date"], tz)
        ch = channel_of(r["Original Source"])
        exists = created <= as_of
        contacts[cid] = (month_of(created, tz), ch, exists)
        for d in re.split(r"[;,]", r.get("Associated Deal IDs") or ""):
            if d.strip() and d.strip() not in deal_owner:
                deal_owner[d.strip()] = cid
        if not exists:
            continue
        saw(month_of(created, tz))
        dates = {}
        for s, col in zip(STAGES, ["Became a Lead Date",
                                   "Became a Marketing Qualified Lead Date",
                                   "Became a Sales Qualified Lead Date",
                                   "Became an Opportunity Date",
                                   "Became a Customer Date"]):
            t = instant(r.get(col), tz)
            dates[s] = t if t is not None and t <= as_of else None
        eff = {}
        for i, s in enumerate(STAGES):
            later = [dates[x] for x in STAGES[i:] if dates[x] is not None]
            eff[s] = min(later) if later else None
        camp = (r.get("Original Source Drill-Down 1") or "").strip()
        if camp:
            for s, n in (("lead", "leads"), ("mql", "mqls"), ("customer", "customers")):
                if eff[s] is not None and month_of(eff[s], tz) == a.period:
                    campaign(ch, camp)[n] += 1
        key = (month_of(created, tz), ch)
        if key in cohort:
            cohort[key]["contacts"] += 1
            for s in STAGES:
                if eff[s] is not None:
                    cohort[key][s] += 1
        for s in STAGES:
            if eff[s] is None:
                continue
            k = (month_of(eff[s], tz), ch)
            if k in econ:
                econ[k][s] += 1
                if s == "customer":
                    econ[k]["cycle"] += int((eff[s] - created).total_seconds())
                    econ[k]["cycle_n"] += 1

    seen = set()
    for r in rows_after_header(os.path.join(src, "deals.csv"), "Record ID"):
        did = r["Record ID"].strip()
        if not did or did in seen:
            continue
        seen.add(did)
        stage = re.sub(r"[^a-z0-9]", "", r["Deal Stage"].lower())
        won, lost = stage == "closedwon", stage == "closedlost"
        amount = money(r["Amount"])
        closed = instant(r["Close Date"], tz)
        created = instant(r.get("Create Date"), tz)
        first = re.split(r"[;,]", r.get("Associated Contact IDs") or "")[0].strip()
        owner = first if first in contacts else deal_owner.get(did)
        if owner in contacts and contacts[owner][2]:
            co, ch, _ = contacts[owner]
        else:
            co, ch = None, "other"
        # Pipeline: every deal, in its contact's channel.
        if created is not None and created <= as_of:
            saw(month_of(created, tz))
        if created is not None and created <= as_of and amount is not None:
            k = (month_of(created, tz), ch)
            if k in econ:
                econ[k]["pipeline"] += amount
        if amount is not None and created is not None and \
                not ((won or lost) and closed is None):
            shut = closed if (won or lost) and closed <= as_of else None
            for mo in every:
                k = (mo, ch)
                end = min(month_end(mo, tz), as_of)
                if created <= end and (shut is None or shut > end):
                    econ[k]["open"] += amount
        if lost and closed is not None and closed <= as_of:
            k = (month_of(closed, tz), ch)
            if k in econ:
                econ[k]["lost"] += 1
        if not won or amount is None or closed is None or closed > as_of:
            continue
        k = (month_of(closed, tz), ch)
        if k in econ:
            econ[k]["won_deals"] += 1
            econ[k]["won_revenue"] += amount
        if co and (co, ch) in cohort:
            cohort[(co, ch)]["won_deals"] += 1
            cohort[(co, ch)]["won_revenue"] += amount

    spend_files = [("gads", "Day", "Cost", "Impr.", "Clicks", "paid_search",
                    "Campaign"),
                   ("li", "Start Date (in UTC)", "Total Spent", "Impressions",
                    "Clicks", "paid_social", "Campaign Name"),
                   ("linkedin", "Start Date (in UTC)", "Total Spent",
                    "Impressions", "Clicks", "paid_social", "Campaign Name"),
                   ("meta", "Reporting starts", "Amount spent (KRW)",
                    "Impressions", "Link clicks", "paid_social", "Campaign name")]
    # METRICS.md: a channel's clicks are those of its sources that have the
    # column, and absent (with ctr and cpc) when none has it.
    has_clicks = set()
    spend_channels = set()
    for name in sorted(os.listdir(src)):
        base = name.rsplit(".", 1)[0]
        for sid, dcol, ccol, icol, kcol, ch, ncol in spend_files:
            if base != sid:
                continue
            has_clicks.add(ch)
            spend_channels.add(ch)
            for r in rows_after_header(os.path.join(src, name), dcol):
                day = instant(r[dcol], tz)
                if day > as_of:
                    continue
                saw(month_of(day, tz))
                k = (month_of(day, tz), ch)
                if k in econ:
                    econ[k]["spend"] += money(r[ccol]) or 0
                    econ[k]["impressions"] += count(r[icol])
                    econ[k]["clicks"] += count(r[kcol])
                name_ = (r.get(ncol) or "").strip()
                if k[0] == a.period and name_:
                    c = campaign(ch, name_)
                    c["spend"] = (c["spend"] or Decimal(0)) + (money(r[ccol]) or 0)
        if base == "ga4":
            gcol = "Session primary channel group (Default channel group)"
            for r in rows_after_header(os.path.join(src, name), gcol):
                day = instant(r["Date"], tz)
                if day > as_of:
                    continue
                saw(month_of(day, tz))
                k = (month_of(day, tz), GA4.get(r[gcol].strip().lower(), "other"))
                if k in econ:
                    econ[k]["sessions"] += count(r["Sessions"])
                    econ[k]["engaged"] += count(r["Engaged sessions"])
                    econ[k]["new_users"] += count(r["New users"])

    def economics(span, scope, channel, group):
        """channels.csv's columns after (month, channel) for the months of
        `span` and the channels of `scope`: the channel `channel`, the
        group `group`, or `all` when both are None.  Counts and money are
        sums, the open pipeline the last month's, ratios from the sums."""
        e = {k: sum(econ[(mo, x)][k] for mo in span for x in scope)
             for k in econ[(span[0], CHANNELS[0])]}
        e["open"] = sum(econ[(span[-1], x)]["open"] for x in scope)

        def lands(c, g):
            if channel is not None:
                return c == channel
            if group is not None:
                return g == group or (c is not None and GROUPS[c] == group)
            return True
        cost = e["spend"] + sum(v for k, v, c, g in costs
                                if k in span and lands(c, g))
        # Cost-based figures exist only where something can carry a cost:
        # a spend source, or a cost naming the channel or its group.
        carried = any(x in spend_channels for x in scope) or any(
            lands(c, g) or (channel is not None and g == GROUPS[channel])
            for _, _, c, g in costs)
        clicks = any(x in has_clicks for x in scope)
        per = 12

        def cost_div(c, n):
            return money_div(c, n) if carried else ""
        payback = ""
        if carried and a.gross_margin and e["customer"] and e["won_deals"]:
            cac = float(cost) / e["customer"]
            arpa = float(e["won_revenue"]) / (per * e["won_deals"])
            payback = ratio(cac, arpa * a.gross_margin, 2)
        return [
            fmt_money(e["spend"]), fmt_money(cost), str(e["impressions"]),
            str(e["clicks"]) if clicks else "",
            ratio(e["clicks"], e["impressions"]) if clicks else "",
            money_div(e["spend"], e["clicks"]) if clicks else ""] + \
            [str(e[s]) for s in STAGES] + [
            cost_div(cost, e["lead"]), cost_div(cost, e["mql"]),
            cost_div(cost, e["sql"]), cost_div(cost, e["opportunity"]),
            cost_div(cost, e["customer"]), str(e["won_deals"]),
            fmt_money(e["won_revenue"]), money_div(e["won_revenue"], e["won_deals"]),
            ratio(e["cycle"], e["cycle_n"] * 86400.0, 1),
            money_div(e["won_revenue"], per),
            money_div(e["won_revenue"], per * e["won_deals"]), payback,
            str(e["sessions"]), str(e["new_users"]), str(e["engaged"]),
            ratio(e["sessions"] - e["engaged"], e["sessions"]),
            fmt_money(e["pipeline"]), str(e["lost"]),
            ratio(e["won_deals"], e["won_deals"] + e["lost"]),
            fmt_money(e["open"]),
            ratio(float(e["won_revenue"]), float(e["spend"]))]

    want_cohorts, want_channels = [], []
    for mo in months:
        tot = None
        for ch in CHANNELS + ["all"]:
            if ch == "all":
                c = {k: sum(cohort[(mo, x)][k] for x in CHANNELS) for k in cohort[(mo, CHANNELS[0])]}
            else:
                c = cohort[(mo, ch)]
            want_cohorts.append([mo, ch, str(c["contacts"])] + [str(c[s]) for s in STAGES] + [
                ratio(c["lead"], c["contacts"]), ratio(c["mql"], c["lead"]),
                ratio(c["sql"], c["mql"]), ratio(c["opportunity"], c["sql"]),
                ratio(c["customer"], c["opportunity"]), ratio(c["customer"], c["lead"]),
                str(c["won_deals"]), fmt_money(c["won_revenue"])])
        for ch in CHANNELS + ["all"]:
            scope = CHANNELS if ch == "all" else [ch]
            want_channels.append([mo, ch] + economics(
                [mo], scope, None if ch == "all" else ch, None))

    bad = 0
    for fname, want in (("cohorts.csv", want_cohorts), ("channels.csv", want_channels)):
        with open(os.path.join(a.snapshot, fname), newline="", encoding="utf-8") as f:
            got = list(csv.reader(f))
        header, got = got[0], got[1:]
        if len(got) != len(want):
            print(f"{fname}: {len(got)} rows, want {len(want)}")
            bad += 1
        for g, w in zip(got, want):
            for col, gv, wv in zip(header, g, w):
                if gv != wv:
                    bad += 1
                    if bad <= 40:
                        print(f"{fname} {g[0]} {g[1]} {col}: got {gv!r}, want {wv!r}")
    # The top ten campaigns of the period, by leads (then customers, spend
    # and name), among those with any lead, MQL, customer or spend.
    top = [c for c in campaigns.values()
           if c["leads"] or c["mqls"] or c["customers"] or c["spend"]]
    top.sort(key=lambda c: (-c["leads"], -c["customers"],
                            -(c["spend"] or 0), c["name"].encode()))
    want_campaigns = []
    for c in top[:10]:
        w = {"name": c["name"], "channel": c["channel"], "leads": str(c["leads"]),
             "mqls": str(c["mqls"]), "customers": str(c["customers"])}
        if c["spend"] is not None:
            w["spend"] = fmt_money(c["spend"])
            if c["leads"] and c["spend"] > 0:
                w["cpl"] = money_div(c["spend"], c["leads"])
        want_campaigns.append(w)
    doc = ET.parse(os.path.join(a.snapshot, "metrics.xml")).getroot()
    sect = doc.find("campaigns")
    got_campaigns = [dict(e.attrib) for e in sect] if sect is not None else []
    if sect is None or sect.get("month") != a.period:
        print("metrics.xml: no <campaigns> of the period")
        bad += 1
    if got_campaigns != want_campaigns:
        bad += 1
        print("campaigns differ:")
        for g, w in zip(got_campaigns + [{}] * 10, want_campaigns + [{}] * 10):
            if g != w:
                print(f"  got  {g}\n  want {w}")
    # Comparisons (METRICS.md): each span's rows for every channel, `all`
    # and every group, from the window and its lookback; a span that the
    # data does not reach back to is absent.
    with open(os.path.join(a.snapshot, "channels.csv"), newline="", encoding="utf-8") as f:
        columns = next(csv.reader(f))[2:]
    spans = [("month", 0, 0), ("previous-month", -1, -1), ("quarter", -2, 0),
             ("previous-quarter", -5, -3), ("year-ago-month", -12, -12),
             ("trailing-12", -11, 0), ("previous-trailing-12", -23, -12)]
    groups = list(dict.fromkeys(GROUPS[c] for c in CHANNELS))
    cmp = doc.find("comparisons")
    n_span_rows = 0
    p_index = len(every) - 1
    for sid, lo, hi in spans:
        span = every[p_index + lo:p_index + hi + 1] if p_index + lo >= 0 else []
        covered = bool(span) and first_data[0] is not None and span[0] >= first_data[0]
        got_span = cmp.find(f"span[@id='{sid}']") if cmp is not None else None
        if covered != (got_span is not None):
            bad += 1
            print(f"comparisons: span {sid} {'missing' if covered else 'present'}, "
                  f"data from {first_data[0]}")
            continue
        if not covered:
            continue
        if (got_span.get("from"), got_span.get("to")) != (span[0], span[-1]):
            bad += 1
            print(f"comparisons: span {sid} is {got_span.get('from')}..{got_span.get('to')}, "
                  f"want {span[0]}..{span[-1]}")
        for key, who in [("channel", c) for c in CHANNELS + ["all"]] + \
                        [("group", g) for g in groups]:
            if key == "group":
                want = economics(span, [c for c in CHANNELS if GROUPS[c] == who], None, who)
            elif who == "all":
                want = economics(span, CHANNELS, None, None)
            else:
                want = economics(span, [who], who, None)
            row = cmp.find(f"row[@span='{sid}'][@{key}='{who}']")
            n_span_rows += 1
            if row is None:
                bad += 1
                print(f"comparisons: no row for {sid} {key} {who}")
                continue
            for col, wv in zip(columns, want):
                gv = row.get(col, "")
                if gv != wv:
                    bad += 1
                    if bad <= 40:
                        print(f"comparisons {sid} {who} {col}: got {gv!r}, want {wv!r}")
    print(f"oracle: {n_span_rows} comparison rows, first data {first_data[0]}")
    print(f"oracle: {len(want_cohorts)} cohort rows, {len(want_channels)} channel rows, "
          f"{len(want_campaigns)} campaigns, {bad} differences")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
