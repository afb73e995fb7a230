"""The Google Ads API's googleAds:searchStream and googleAds:search
(CONNECTORS.md 2): a small GAQL reader for the query shape boardpack sends
(SELECT fields FROM campaign WHERE segments.date BETWEEN 'a' AND 'b' ...),
the response as a JSON array of batches with lowerCamelCase keys, int64 as
strings and doubles as numbers, rows without impressions left out, errors
as google.rpc.Status with GoogleAdsFailure details (array-wrapped on the
stream), 10-digit customer ids, and the login-customer-id check.
"""

import datetime
import math
import re
import secrets
import zoneinfo

import google_oauth
from mockcore import b64url, b64url_decode, json_reply

# GAQL field -> (JSON object, JSON key, kind)
FIELDS = {
    "customer.id": ("customer", "id", "int64"),
    "customer.currency_code": ("customer", "currencyCode", "string"),
    "customer.time_zone": ("customer", "timeZone", "string"),
    "customer.descriptive_name": ("customer", "descriptiveName", "string"),
    "campaign.id": ("campaign", "id", "int64"),
    "campaign.name": ("campaign", "name", "string"),
    "campaign.status": ("campaign", "status", "enum"),
    "campaign.advertising_channel_type": ("campaign", "advertisingChannelType",
                                          "enum"),
    "segments.date": ("segments", "date", "string"),
    "metrics.cost_micros": ("metrics", "costMicros", "int64"),
    "metrics.impressions": ("metrics", "impressions", "int64"),
    "metrics.clicks": ("metrics", "clicks", "int64"),
    "metrics.conversions": ("metrics", "conversions", "double"),
    "metrics.ctr": ("metrics", "ctr", "double"),
    "metrics.average_cpc": ("metrics", "averageCpc", "double"),
}
SUMMED = ("metrics.cost_micros", "metrics.impressions", "metrics.clicks",
          "metrics.conversions")
PAGE_ROWS = 10000


def register(mock):
    s = mock.settings
    s.define("google_ads.versions", ["23", "24", "25", "26", "27"],
             "API major versions that are not sunset")
    s.define("google_ads.batch_rows", 10000,
             "rows per searchStream batch (results always span >= 2 batches)")
    r = mock.router
    base = r"/v(\d+)/customers/([^/:]+)/googleAds:"
    r.add("POST", base + "searchStream", lambda m, q, g: run(m, q, g, True))
    r.add("POST", base + "search", lambda m, q, g: run(m, q, g, False))
    r.add("GET", r"/v(\d+)/customers:listAccessibleCustomers",
          list_accessible)


# ---- errors ---------------------------------------------------------------

def failure(http, status, message, code, detail_message, request_id,
            extra=None, version="26"):
    err = {"errorCode": code, "message": detail_message}
    if extra:
        err.update(extra)
    return {"error": {"code": http, "message": message, "status": status,
                      "details": [{
                          "@type": "type.googleapis.com/google.ads.googleads."
                                   "v%s.errors.GoogleAdsFailure" % version,
                          "errors": [err], "requestId": request_id}]}}


class AdsError(Exception):
    def __init__(self, http, status, message, code, detail):
        super().__init__(detail)
        self.args5 = (http, status, message, code, detail)


def bad_query(code, detail):
    return AdsError(400, "INVALID_ARGUMENT", "Request contains an invalid "
                    "argument.", {"queryError": code}, detail)


def denied(detail):
    return AdsError(403, "PERMISSION_DENIED", "The caller does not have "
                    "permission", {"authorizationError":
                                   "USER_PERMISSION_DENIED"}, detail)


# ---- GAQL -----------------------------------------------------------------

TOKEN = re.compile(r"\s*(?:(?P<str>'[^']*'|\"[^\"]*\")|(?P<num>-?\d+(?:\.\d+)?)"
                   r"|(?P<op>!=|>=|<=|=|>|<|\(|\)|,)|(?P<word>[A-Za-z_][\w.]*))")


def tokens(text):
    out, pos = [], 0
    text = text.strip()
    while pos < len(text):
        m = TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise bad_query("UNEXPECTED_INPUT", "Error in query: unexpected "
                            "input %s." % text[pos:pos + 10])
        kind = m.lastgroup
        val = m.group(kind)
        if kind == "str":
            val = ("str", val[1:-1])
        elif kind == "num":
            val = ("num", val)
        elif kind == "word":
            val = ("word", val)
        else:
            val = ("op", val)
        out.append(val)
        pos = m.end()
    return out


class Query:
    """SELECT f, ... FROM campaign [WHERE c AND ...] [ORDER BY f [ASC|DESC],
    ...] [LIMIT n].  Conditions: f op v, f BETWEEN v AND v, f IN (...),
    f NOT IN (...), f DURING LITERAL."""

    def __init__(self, text, today):
        self.toks = tokens(text)
        self.i = 0
        self.today = today
        self.select, self.where, self.order, self.limit = [], [], [], None
        self.parse()

    def peek(self, word=None):
        if self.i >= len(self.toks):
            return None
        t = self.toks[self.i]
        if word is None:
            return t
        return t if t[0] == "word" and t[1].upper() == word else None

    def take(self, word=None, kind=None):
        t = self.peek()
        if t is None or (word and not self.peek(word)) or \
                (kind and t[0] != kind):
            raise bad_query("UNEXPECTED_INPUT", "Error in query: expected %s "
                            "near %s." % (word or kind, t[1] if t else "end"))
        self.i += 1
        return t

    def field(self):
        name = self.take(kind="word")[1]
        if name not in FIELDS:
            raise bad_query("UNRECOGNIZED_FIELD", "Unrecognized field in the "
                            "query: '%s'." % name)
        return name

    def parse(self):
        self.take("SELECT")
        self.select.append(self.field())
        while self.peek() == ("op", ","):
            self.i += 1
            self.select.append(self.field())
        self.take("FROM")
        resource = self.take(kind="word")[1]
        if resource != "campaign":
            raise bad_query("INVALID_RESOURCE_NAME_IN_FROM_CLAUSE",
                            "This mock serves FROM campaign only, not '%s'." %
                            resource)
        if self.peek("WHERE"):
            self.i += 1
            self.where.append(self.condition())
            while self.peek("AND"):
                self.i += 1
                self.where.append(self.condition())
        if self.peek("ORDER"):
            self.i += 1
            self.take("BY")
            while True:
                f = self.field()
                desc = False
                if self.peek("DESC") or self.peek("ASC"):
                    desc = self.take()[1].upper() == "DESC"
                self.order.append((f, desc))
                if self.peek() != ("op", ","):
                    break
                self.i += 1
        if self.peek("LIMIT"):
            self.i += 1
            self.limit = int(self.take(kind="num")[1])
        if self.peek("PARAMETERS"):
            self.i = len(self.toks)
        if self.peek() is not None:
            raise bad_query("UNEXPECTED_INPUT", "Error in query: unexpected "
                            "input %s." % self.peek()[1])

    def value(self):
        t = self.take()
        if t[0] in ("str", "num", "word"):
            return t[1]
        raise bad_query("UNEXPECTED_INPUT", "Error in query: expected a value")

    def condition(self):
        f = self.field()
        if self.peek("BETWEEN"):
            self.i += 1
            lo = self.value()
            self.take("AND")
            return (f, "BETWEEN", (lo, self.value()))
        if self.peek("DURING"):
            self.i += 1
            return (f, "BETWEEN", self.during(self.take(kind="word")[1]))
        neg = bool(self.peek("NOT"))
        if neg:
            self.i += 1
        if self.peek("IN"):
            self.i += 1
            self.take(kind="op")
            vals = [self.value()]
            while self.peek() == ("op", ","):
                self.i += 1
                vals.append(self.value())
            self.take(kind="op")
            return (f, "NOT IN" if neg else "IN", vals)
        op = self.take(kind="op")[1]
        return (f, op, self.value())

    def during(self, literal):
        t = self.today
        first = t.replace(day=1)
        last_month_end = first - datetime.timedelta(days=1)
        spans = {"TODAY": (t, t), "YESTERDAY": (t - d(1), t - d(1)),
                 "LAST_7_DAYS": (t - d(7), t - d(1)),
                 "LAST_14_DAYS": (t - d(14), t - d(1)),
                 "LAST_30_DAYS": (t - d(30), t - d(1)),
                 "THIS_MONTH": (first, t),
                 "LAST_MONTH": (last_month_end.replace(day=1), last_month_end)}
        if literal not in spans:
            raise bad_query("INVALID_VALUE_WITH_DURING_OPERATOR",
                            "Invalid value with DURING operator: %s." % literal)
        lo, hi = spans[literal]
        return (lo.isoformat(), hi.isoformat())


def d(n):
    return datetime.timedelta(days=n)


# ---- rows -----------------------------------------------------------------

def base_rows(mock, cid):
    """The export's rows as GAQL field -> value, once per process."""
    def make():
        ids, out = {}, []
        for r in mock.data.exports.google_ads:
            cid_ = ids.setdefault(r["campaign"], 21000000001 + len(ids))
            out.append({
                "customer.id": int(cid), "customer.currency_code":
                    r["currency"] or mock.data.currency,
                "customer.time_zone": mock.data.timezone,
                "customer.descriptive_name": "Acme",
                "campaign.id": cid_, "campaign.name": r["campaign"],
                "campaign.status": r["state"].upper() or "ENABLED",
                "campaign.advertising_channel_type": r["type"].upper() or
                    "SEARCH",
                "segments.date": r["date"],
                "metrics.cost_micros": r["cost_micros"],
                "metrics.impressions": r["impressions"],
                "metrics.clicks": r["clicks"],
                "metrics.conversions": r["conversions"]})
        return out
    return mock.vendor_state("google_ads.rows." + cid, make)


def cmp_value(field, v):
    kind = FIELDS[field][2]
    if kind in ("int64", "double"):
        return float(v)
    return str(v)


def holds(row, cond):
    f, op, want = cond
    v = cmp_value(f, row[f])
    if op == "BETWEEN":
        return cmp_value(f, want[0]) <= v <= cmp_value(f, want[1])
    if op in ("IN", "NOT IN"):
        inside = v in [cmp_value(f, w) for w in want]
        return inside if op == "IN" else not inside
    w = cmp_value(f, want)
    return {"=": v == w, "!=": v != w, ">": v > w, ">=": v >= w, "<": v < w,
            "<=": v <= w}[op]


def aggregate(rows, q):
    """Groups by the selected attribute and segment fields, sums metrics."""
    keys = [f for f in q.select if not f.startswith("metrics.")]
    keys = ["campaign.id"] + [k for k in keys if k != "campaign.id"]
    groups = {}
    for r in rows:
        k = tuple(r[f] for f in keys)
        g = groups.get(k)
        if g is None:
            g = groups[k] = dict(r)
            for m in SUMMED:
                g[m] = 0
        for m in SUMMED:
            g[m] += r[m]
    out = list(groups.values())
    for g in out:
        g["metrics.ctr"] = g["metrics.clicks"] / g["metrics.impressions"] \
            if g["metrics.impressions"] else 0.0
        g["metrics.average_cpc"] = g["metrics.cost_micros"] / \
            g["metrics.clicks"] if g["metrics.clicks"] else 0.0
        g["metrics.conversions"] = round(g["metrics.conversions"], 6)
    return out


def select_rows(mock, cid, q):
    raw = [r for r in base_rows(mock, cid)
           if all(holds(r, c) for c in q.where if not c[0].startswith("metrics."))]
    rows = aggregate(raw, q)
    if any(f.startswith("metrics.") for f in q.select):
        # Google leaves out rows without impressions.
        rows = [r for r in rows if r["metrics.impressions"] > 0]
    rows = [r for r in rows
            if all(holds(r, c) for c in q.where if c[0].startswith("metrics."))]
    order = q.order or [("segments.date", False), ("campaign.id", False)]
    for f, desc in reversed(order):
        rows.sort(key=lambda r: cmp_value(f, r[f]), reverse=desc)
    return rows[:q.limit] if q.limit else rows


def to_json(row, q, cid):
    out = {}
    for f in q.select:
        obj, key, kind = FIELDS[f]
        v = row[f]
        out.setdefault(obj, {})[key] = str(v) if kind == "int64" else \
            float(v) if kind == "double" else v
    if "customer" in out:
        out["customer"] = dict(resourceName="customers/%s" % cid,
                               **out["customer"])
    out["campaign"] = dict(resourceName="customers/%s/campaigns/%d" % (
        cid, row["campaign.id"]), **out.get("campaign", {}))
    return out


def field_mask(q):
    return ",".join("%s.%s" % (FIELDS[f][0], FIELDS[f][1]) for f in q.select)


# ---- handlers -------------------------------------------------------------

def scope_ok(scopes):
    return not scopes or google_oauth.ADWORDS in scopes


def auth_details(reason):
    code = "OAUTH_TOKEN_EXPIRED" if reason == "ACCESS_TOKEN_EXPIRED" else \
        "OAUTH_TOKEN_INVALID"
    return [{"@type": "type.googleapis.com/google.ads.googleads.v26.errors."
                      "GoogleAdsFailure",
             "errors": [{"errorCode": {"authenticationError": code},
                         "message": "Authentication of the request failed."}]}]


def access(mock, req, version, cid):
    """Raises AdsError unless this request may read customer cid."""
    if version not in mock.settings["google_ads.versions"]:
        raise AdsError(400, "INVALID_ARGUMENT", "Request contains an invalid "
                       "argument.", {"requestError": "UNSUPPORTED_VERSION"},
                       "Version v%s is deprecated. Requests to this version "
                       "will be blocked." % version)
    if not re.match(r"\d{10}\Z", cid):
        raise AdsError(400, "INVALID_ARGUMENT", "Request contains an invalid "
                       "argument.", {"requestError": "INVALID_CUSTOMER_ID"},
                       "Invalid customer ID '%s'." % cid)
    c = mock.creds.get("google", {})
    if cid not in c.get("customer_ids", ["1234567890"]):
        raise denied("User doesn't have permission to access customer.")
    want = c.get("login_customer_id")
    if want and req.header("login-customer-id") != want:
        raise denied("User doesn't have permission to access customer. Note: "
                     "If you're accessing a client customer, the manager's "
                     "customer id must be set in the 'login-customer-id' "
                     "header.")


def run(mock, req, m, stream):
    version, cid = m.group(1), m.group(2)
    rid = b64url(secrets.token_bytes(16))[:22]
    bad = google_oauth.check(mock, req, scope_ok, auth_details)
    if bad:
        return bad
    try:
        access(mock, req, version, cid)
        try:
            body = req.json()
        except ValueError:
            raise AdsError(400, "INVALID_ARGUMENT", "Invalid JSON payload "
                           "received.", {"requestError": "INVALID_INPUT"},
                           "The request body is not JSON.")
        if not stream and "pageSize" in body:
            raise AdsError(400, "INVALID_ARGUMENT", "Request contains an "
                           "invalid argument.", {"requestError":
                                                 "PAGE_SIZE_NOT_SUPPORTED"},
                           "Setting the page size is not supported.")
        today = datetime.datetime.now(zoneinfo.ZoneInfo(mock.data.timezone))
        q = Query(str(body.get("query", "")), today.date())
        results = [to_json(r, q, cid) for r in select_rows(mock, cid, q)]
        obj = batches(mock, results, q, rid) if stream else \
            page(body, results, q)
    except AdsError as e:
        http, status, message, code, detail = e.args5
        obj = failure(http, status, message, code, detail, rid,
                      version=version)
        reply = json_reply(http, [obj] if stream else obj)
        reply.add_header("request-id", rid)
        return reply
    reply = json_reply(200, obj)
    reply.add_header("request-id", rid)
    return reply


def batches(mock, results, q, rid):
    size = max(1, min(mock.settings["google_ads.batch_rows"],
                      math.ceil(len(results) / 2)))
    out = []
    for k in range(0, max(len(results), 1), size):
        b = {"results": results[k:k + size]} if results else {}
        b["fieldMask"] = field_mask(q)
        b["requestId"] = rid
        out.append(b)
    out[-1]["queryResourceConsumption"] = str(20 + len(results))
    return out


def page(body, results, q):
    start = 0
    if body.get("pageToken"):
        try:
            start = int(b64url_decode(body["pageToken"]).decode())
        except ValueError:
            start = -1
        if start < 0:
            raise AdsError(400, "INVALID_ARGUMENT", "Request contains an "
                           "invalid argument.", {"requestError":
                                                 "INVALID_PAGE_TOKEN"},
                           "Page token is invalid.")
    out = {"results": results[start:start + PAGE_ROWS],
           "fieldMask": field_mask(q),
           "queryResourceConsumption": str(20 + len(results))}
    if start + PAGE_ROWS < len(results):
        out["nextPageToken"] = b64url(str(start + PAGE_ROWS).encode())
    if body.get("returnTotalResultsCount"):
        out["totalResultsCount"] = str(len(results))
    if not out["results"]:
        del out["results"]
    return out


def list_accessible(mock, req, m):
    bad = google_oauth.check(mock, req, scope_ok, auth_details)
    if bad:
        return bad
    ids = mock.creds.get("google", {}).get("customer_ids", ["1234567890"])
    return json_reply(200, {"resourceNames": ["customers/" + i for i in ids]})
