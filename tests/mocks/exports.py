"""Reads the demo exports that build/bp-gen writes (contacts.csv, deals.csv,
google-ads.csv, linkedin.tsv, meta.csv, ga4.csv) into plain rows the vendor
modules serve.  Each reader does what boardpack's ingest does with the same
file (header names, not positions; BOM and UTF-16; preamble and `Total:`
rows skipped; ` --` as missing; thousands separators), so that a run through
the API connectors and a run through the files see the same numbers.

Only reading happens here: turning rows into a vendor's API representation
(stage ids, UTC instants, micros) is the vendor module's job.
"""

import codecs
import csv
import decimal
import io
import os
import re


def read_text(path):
    """The file's text: UTF-16 by BOM, else UTF-8 with or without BOM."""
    with open(path, "rb") as f:
        raw = f.read()
    if raw[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        return raw.decode("utf-16")
    return raw.decode("utf-8-sig")


def table(path, is_header):
    """(header, rows as dicts) of a delimited file, skipping lines before
    the first line for which is_header(fields) holds."""
    text = read_text(path)
    head = text[:65536]
    delim = "\t" if head.count("\t") > head.count(",") else ","
    lines = list(csv.reader(io.StringIO(text), delimiter=delim))
    for i, fields in enumerate(lines):
        if is_header(fields):
            header = [h.strip() for h in fields]
            rows = [dict(zip(header, r)) for r in lines[i + 1:] if r]
            return header, rows
    # A period without activity: only a preamble, no header.
    return [], []


def number(text):
    """A Decimal from export text ("1,234.50", " --", "", "₩12.00"), or
    None when the cell is missing."""
    t = (text or "").strip()
    if t in ("", "--"):
        return None
    t = re.sub(r"[^0-9.\-]", "", t)
    if t in ("", "-", "."):
        return None
    return decimal.Decimal(t)


def integer(text):
    v = number(text)
    return int(v) if v is not None else 0


def pick(row, *names):
    """The first of the named columns the row has (exports differ)."""
    for n in names:
        if n in row:
            return row[n]
    return ""


def read_contacts(path):
    _, rows = table(path, lambda f: "Record ID" in [x.strip() for x in f])
    return rows


def read_deals(path):
    _, rows = table(path, lambda f: "Record ID" in [x.strip() for x in f])
    return rows


def read_google_ads(path):
    """Per-day campaign rows; footer `Total:` rows dropped."""
    _, rows = table(path, lambda f: f and f[0].strip() in ("Day", "일"))
    out = []
    for r in rows:
        day = pick(r, "Day", "일").strip()
        if not re.match(r"\d{4}-\d\d-\d\d\Z", day):
            continue
        cost = number(pick(r, "Cost", "비용")) or decimal.Decimal(0)
        conv = number(pick(r, "Conversions", "전환수"))
        out.append({
            "date": day,
            "campaign": pick(r, "Campaign", "캠페인"),
            "state": pick(r, "Campaign state"),
            "type": pick(r, "Campaign type"),
            "clicks": integer(pick(r, "Clicks", "클릭수")),
            "impressions": integer(pick(r, "Impr.", "노출수")),
            "cost_micros": int(cost * 1000000),
            "conversions": float(conv) if conv is not None else 0.0,
            "currency": pick(r, "Currency code", "통화 코드").strip(),
        })
    return out


def read_linkedin(path):
    """(account id or None, rows).  Dates come as MM/DD/YYYY, in UTC."""
    text = read_text(path)
    m = re.search(r"Account: .*\((\d+)\)", text)
    _, rows = table(path, lambda f: f and f[0].strip().startswith("Start Date"))
    out = []
    for r in rows:
        d = re.match(r"(\d\d)/(\d\d)/(\d{4})\Z",
                     pick(r, "Start Date (in UTC)").strip())
        if not d:
            continue
        cost = number(pick(r, "Total Spent")) or decimal.Decimal(0)
        out.append({
            "date": "%s-%s-%s" % (d.group(3), d.group(1), d.group(2)),
            "account": pick(r, "Account Name"),
            "campaign": pick(r, "Campaign Name"),
            "campaign_id": int(pick(r, "Campaign ID")),
            "impressions": integer(pick(r, "Impressions")),
            "clicks": integer(pick(r, "Clicks")),
            "cost": cost,
            "leads": integer(pick(r, "Leads")),
            "conversions": integer(pick(r, "Conversions")),
        })
    return (m.group(1) if m else None), out


def read_meta(path):
    """(currency, rows); the currency is in the spend header's parentheses."""
    header, rows = table(path, lambda f: "Reporting starts" in f)
    currency = None
    spend_col = None
    for h in header:
        m = re.match(r"Amount spent \((\w+)\)", h)
        if m:
            currency, spend_col = m.group(1), h
    out = []
    for r in rows:
        day = r.get("Reporting starts", "").strip()
        if not re.match(r"\d{4}-\d\d-\d\d\Z", day):
            continue
        out.append({
            "date": day,
            "date_stop": r.get("Reporting ends", day).strip() or day,
            "campaign": r.get("Campaign name", ""),
            "delivery": r.get("Campaign delivery", ""),
            "spend": number(r.get(spend_col, "")) or decimal.Decimal(0),
            "impressions": integer(r.get("Impressions")),
            "clicks": integer(r.get("Link clicks")),
            "results": integer(r.get("Results")),
        })
    return currency, out


def read_ga4(path):
    channel_cols = ("Session primary channel group (Default channel group)",
                    "Session default channel group",
                    "Session primary channel group")
    _, rows = table(path, lambda f: f and f[0].strip() == "Date")
    out = []
    for r in rows:
        day = r.get("Date", "").strip()
        if not re.match(r"\d{8}\Z", day):
            continue
        out.append({
            "date": day,
            "channel": pick(r, *channel_cols),
            "sessions": integer(r.get("Sessions")),
            "engagedSessions": integer(r.get("Engaged sessions")),
            "newUsers": integer(r.get("New users")),
            "totalUsers": integer(r.get("Total users")),
        })
    return out


class Exports:
    """Whichever of the six exports a folder holds; a missing file leaves
    that vendor without data (its reports are empty, as for a new account)."""

    def __init__(self, folder):
        self.folder = folder
        self.contacts = self.deals = None
        self.google_ads = []
        self.linkedin = []
        self.linkedin_account = None
        self.meta = []
        self.meta_currency = None
        self.ga4 = []
        if not folder:
            return

        def f(name):
            p = os.path.join(folder, name)
            return p if os.path.isfile(p) else None
        if f("contacts.csv"):
            self.contacts = read_contacts(f("contacts.csv"))
        if f("deals.csv"):
            self.deals = read_deals(f("deals.csv"))
        if f("google-ads.csv"):
            self.google_ads = read_google_ads(f("google-ads.csv"))
        if f("linkedin.tsv"):
            self.linkedin_account, self.linkedin = read_linkedin(
                f("linkedin.tsv"))
        if f("meta.csv"):
            self.meta_currency, self.meta = read_meta(f("meta.csv"))
        if f("ga4.csv"):
            self.ga4 = read_ga4(f("ga4.csv"))
