"""A HubSpot portal's contacts and deals as the CRM API holds them: internal
property names, stage ids, instants in UTC milliseconds, associations by id.

Two sources: the exports bp-gen writes (labels such as "Paid search" and
"Closed Won", local "YYYY-MM-DD HH:MM" stamps in the portal's time zone,
converted here), or a synthetic portal of any size whose records are
computed from their index, so a million contacts cost no memory.

A record is a dict: id (str), props (name -> str, int milliseconds for
datetime properties, or None), assoc (list of associated ids, str).  Both
sources offer the same ObjectSet interface: len(), at(i) in id order,
index_after(id), get(id).
"""

import bisect
import datetime
import re
import zoneinfo

STAGES = ["subscriber", "lead", "marketingqualifiedlead", "salesqualifiedlead",
          "opportunity", "customer", "evangelist", "other"]
STAGE_LABELS = ["Subscriber", "Lead", "Marketing Qualified Lead",
                "Sales Qualified Lead", "Opportunity", "Customer",
                "Evangelist", "Other"]
# The "Became a ... Date" column of each stage in an export.
BECAME = {"lead": "Became a Lead Date",
          "marketingqualifiedlead": "Became a Marketing Qualified Lead Date",
          "salesqualifiedlead": "Became a Sales Qualified Lead Date",
          "opportunity": "Became an Opportunity Date",
          "customer": "Became a Customer Date",
          "evangelist": "Became an Evangelist Date"}

SOURCES = [("ORGANIC_SEARCH", "Organic search"), ("PAID_SEARCH", "Paid search"),
           ("EMAIL_MARKETING", "Email marketing"),
           ("SOCIAL_MEDIA", "Organic social"), ("REFERRALS", "Referrals"),
           ("OTHER_CAMPAIGNS", "Other campaigns"),
           ("DIRECT_TRAFFIC", "Direct traffic"), ("OFFLINE", "Offline sources"),
           ("PAID_SOCIAL", "Paid social"), ("AI_REFERRALS", "AI referrals")]
SOURCE_ALIASES = {"social media": "SOCIAL_MEDIA"}

DEAL_STAGES = [("appointmentscheduled", "Appointment scheduled"),
               ("qualifiedtobuy", "Qualified to buy"),
               ("presentationscheduled", "Presentation scheduled"),
               ("decisionmakerboughtin", "Decision maker bought-in"),
               ("contractsent", "Contract sent"),
               ("closedwon", "Closed Won"), ("closedlost", "Closed Lost")]


def enum_id(label, table, aliases=None):
    """The internal value of an export label: the table's id for a known
    label, the value itself when it already is an id, else the label made
    into an id the way HubSpot's are (upper snake case)."""
    low = label.strip().lower()
    for ident, lab in table:
        if low in (lab.lower(), ident.lower()):
            return ident
    if aliases and low in aliases:
        return aliases[low]
    return re.sub(r"[^A-Z0-9]+", "_", label.strip().upper()).strip("_")


# Property name -> (type, export label).  Types: datetime, enumeration,
# string, number.
CONTACT_PROPS = {
    "hs_object_id": ("number", "Record ID"),
    "createdate": ("datetime", "Create Date"),
    "lastmodifieddate": ("datetime", "Last Modified Date"),
    "firstname": ("string", "First Name"),
    "email": ("string", "Email"),
    "lifecyclestage": ("enumeration", "Lifecycle Stage"),
    "hs_analytics_source": ("enumeration", "Original Source"),
    "hs_analytics_source_data_1": ("string", "Original Source Drill-Down 1"),
    "hs_analytics_source_data_2": ("string", "Original Source Drill-Down 2"),
    "num_associated_deals": ("number", "Number of Associated Deals"),
}
for _s, _label in zip(STAGES, STAGE_LABELS):
    CONTACT_PROPS["hs_lifecyclestage_%s_date" % _s] = (
        "datetime", BECAME.get(_s, "Became a %s Date" % _label))
    CONTACT_PROPS["hs_v2_date_entered_%s" % _s] = (
        "datetime", 'Date entered "%s (Lifecycle Stage Pipeline)"' % _label)

DEAL_PROPS = {
    "hs_object_id": ("number", "Record ID"),
    "dealname": ("string", "Deal Name"),
    "dealstage": ("enumeration", "Deal Stage"),
    "pipeline": ("enumeration", "Pipeline"),
    "amount": ("number", "Amount"),
    "closedate": ("datetime", "Close Date"),
    "createdate": ("datetime", "Create Date"),
    "hs_lastmodifieddate": ("datetime", "Last Modified Date"),
    "closed_lost_reason": ("string", "Closed Lost Reason"),
    "hubspot_owner_id": ("enumeration", "Deal owner"),
    "deal_currency_code": ("enumeration", "Currency"),
}

CONTACT_DEFAULT = ["createdate", "email", "firstname", "hs_object_id",
                   "lastmodifieddate"]
DEAL_DEFAULT = ["amount", "closedate", "createdate", "dealname", "dealstage",
                "hs_lastmodifieddate", "hs_object_id", "pipeline"]


class Clock:
    """Local "YYYY-MM-DD HH:MM" <-> UTC milliseconds in one time zone."""

    def __init__(self, tzname):
        self.tz = zoneinfo.ZoneInfo(tzname)

    def to_ms(self, text):
        t = (text or "").strip()
        if not t:
            return None
        dt = datetime.datetime.strptime(t[:16], "%Y-%m-%d %H:%M")
        return int(dt.replace(tzinfo=self.tz).timestamp()) * 1000

    def local(self, ms):
        dt = datetime.datetime.fromtimestamp(ms / 1000, self.tz)
        return dt.strftime("%Y-%m-%d %H:%M")


def iso(ms, millis=True):
    dt = datetime.datetime.fromtimestamp(ms // 1000, datetime.timezone.utc)
    if millis:
        return dt.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (ms % 1000)
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


class ListSet:
    """An ObjectSet over records in memory."""

    def __init__(self, records):
        records.sort(key=lambda r: int(r["id"]))
        self.records = records
        self.keys = [int(r["id"]) for r in records]
        self.by_id = {r["id"]: r for r in records}

    def __len__(self):
        return len(self.records)

    def at(self, i):
        return self.records[i]

    def index_after(self, ident):
        """Index of the first record whose id is >= ident."""
        return bisect.bisect_left(self.keys, ident)

    def get(self, ident):
        return self.by_id.get(str(ident))


def split_ids(cell):
    return [x.strip() for x in re.split(r"[;,]", cell or "") if x.strip()]


def contacts_from_export(rows, clock):
    """Records from contacts.csv rows.  A row repeating an earlier Record ID
    (a CRM merge) is dropped: a portal holds one record per id, and
    boardpack keeps the first row too."""
    seen = set()
    out = []
    for row in rows:
        ident = row.get("Record ID", "").strip()
        if not ident or ident in seen:
            continue
        seen.add(ident)
        p = {name: None for name in CONTACT_PROPS}
        p["hs_object_id"] = ident
        p["createdate"] = clock.to_ms(row.get("Create Date"))
        p["firstname"] = row.get("First Name") or None
        p["email"] = row.get("Email") or None
        life = row.get("Lifecycle Stage", "").strip()
        p["lifecyclestage"] = enum_id(life, zip(STAGES, STAGE_LABELS)) \
            if life else None
        src = row.get("Original Source", "").strip()
        p["hs_analytics_source"] = enum_id(src, SOURCES, SOURCE_ALIASES) \
            if src else None
        p["hs_analytics_source_data_1"] = \
            row.get("Original Source Drill-Down 1") or None
        for stage, col in BECAME.items():
            ms = clock.to_ms(row.get(col))
            p["hs_lifecyclestage_%s_date" % stage] = ms
            p["hs_v2_date_entered_%s" % stage] = ms
        stamps = [v for k, v in p.items()
                  if CONTACT_PROPS[k][0] == "datetime" and v is not None]
        p["lastmodifieddate"] = max(stamps) if stamps else None
        deals = split_ids(row.get("Associated Deal IDs"))
        p["num_associated_deals"] = str(len(deals))
        out.append({"id": ident, "props": p, "assoc": deals})
    return ListSet(out)


def deals_from_export(rows, clock, currency):
    owners = sorted({r.get("Deal owner", "") for r in rows} - {""})
    owner_ids = {name: str(81000001 + i) for i, name in enumerate(owners)}
    out = []
    seen = set()
    for row in rows:
        ident = row.get("Record ID", "").strip()
        if not ident or ident in seen:
            continue
        seen.add(ident)
        p = {name: None for name in DEAL_PROPS}
        p["hs_object_id"] = ident
        p["dealname"] = row.get("Deal Name") or None
        stage = row.get("Deal Stage", "").strip()
        p["dealstage"] = enum_id(stage, DEAL_STAGES).lower() if stage else None
        p["pipeline"] = "default"
        amount = row.get("Amount", "").strip()
        p["amount"] = amount or None
        p["closedate"] = clock.to_ms(row.get("Close Date"))
        p["createdate"] = clock.to_ms(row.get("Create Date"))
        p["hs_lastmodifieddate"] = clock.to_ms(row.get("Last Modified Date"))
        p["closed_lost_reason"] = row.get("Closed Lost Reason") or None
        p["hubspot_owner_id"] = owner_ids.get(row.get("Deal owner", ""))
        p["deal_currency_code"] = currency
        out.append({"id": ident, "props": p,
                    "assoc": split_ids(row.get("Associated Contact IDs"))})
    return ListSet(out), owner_ids


def mix(x):
    """splitmix64: a well-spread 64-bit hash of an index."""
    x = (x + 0x9E3779B97F4A7C15) & 0xFFFFFFFFFFFFFFFF
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & 0xFFFFFFFFFFFFFFFF
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & 0xFFFFFFFFFFFFFFFF
    return x ^ (x >> 31)


DAY_MS = 86400000


class SyntheticContacts:
    """n contacts created evenly over `days` days ending at end_ms, each one
    computed from its index.  Contact i has id base + i; every 50th contact
    has one deal (deal j belongs to contact 50 j)."""

    BASE = 200000000000

    def __init__(self, n, end_ms, days=540):
        self.n = n
        self.start = end_ms - days * DAY_MS
        self.step = days * DAY_MS // max(n, 1)

    def __len__(self):
        return self.n

    def index_after(self, ident):
        return min(max(ident - self.BASE, 0), self.n)

    def get(self, ident):
        i = int(ident) - self.BASE
        return self.at(i) if 0 <= i < self.n else None

    def at(self, i):
        h = mix(i)
        created = self.start + i * self.step + (h & 0xFFFFF)
        p = dict.fromkeys(CONTACT_PROPS)
        ident = str(self.BASE + i)
        p["hs_object_id"] = ident
        p["createdate"] = created
        p["email"] = "c%d@example.com" % i
        p["firstname"] = "Contact %d" % i
        p["hs_analytics_source"] = SOURCES[(h >> 20) % 9][0]
        reached = "subscriber"
        t = created
        # Each stage is reached with a fixed chance, after some hours.
        for k, (stage, pct) in enumerate((("lead", 85), ("marketingqualifiedlead", 30),
                                          ("salesqualifiedlead", 40),
                                          ("opportunity", 50), ("customer", 25))):
            if (h >> (24 + 7 * k)) % 100 >= pct:
                break
            t += ((h >> (8 * k)) & 0xFF) * 3600000
            p["hs_lifecyclestage_%s_date" % stage] = t
            p["hs_v2_date_entered_%s" % stage] = t
            reached = stage
        p["lifecyclestage"] = reached
        p["lastmodifieddate"] = t
        deals = [str(SyntheticDeals.BASE + i // 50)] if i % 50 == 0 else []
        p["num_associated_deals"] = str(len(deals))
        return {"id": ident, "props": p, "assoc": deals}


class SyntheticDeals:
    BASE = 90000000000

    def __init__(self, contacts, currency):
        self.contacts = contacts
        self.currency = currency
        self.n = (contacts.n + 49) // 50

    def __len__(self):
        return self.n

    def index_after(self, ident):
        return min(max(ident - self.BASE, 0), self.n)

    def get(self, ident):
        j = int(ident) - self.BASE
        return self.at(j) if 0 <= j < self.n else None

    def at(self, j):
        c = self.contacts.at(j * 50)
        h = mix((j + 1) << 40)
        cp = c["props"]
        won = cp["lifecyclestage"] == "customer"
        p = dict.fromkeys(DEAL_PROPS)
        ident = str(self.BASE + j)
        p["hs_object_id"] = ident
        p["dealname"] = "Deal %d" % j
        p["dealstage"] = "closedwon" if won else DEAL_STAGES[h % 5][0]
        p["pipeline"] = "default"
        p["amount"] = str(1000000 + (h >> 8) % 90 * 100000)
        p["createdate"] = cp["createdate"]
        p["closedate"] = cp["hs_lifecyclestage_customer_date"] or \
            cp["createdate"] + 30 * DAY_MS
        p["hs_lastmodifieddate"] = p["closedate"]
        p["deal_currency_code"] = self.currency
        return {"id": ident, "props": p, "assoc": [c["id"]]}
