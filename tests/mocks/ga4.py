"""The GA4 Data API's properties/{id}:runReport and /metadata
(CONNECTORS.md 5): positional rows with every value a string, rowCount and
limit/offset paging (limit and offset as strings or numbers), the
property's time zone and currency in `metadata`, propertyQuota on request,
and the token quota whose exhaustion is a 429 RESOURCE_EXHAUSTED.
"""

import datetime
import re
import threading
import time
import zoneinfo

import google_oauth
from mockcore import json_reply

CHANNEL_NAMES = ("sessionDefaultChannelGroup", "sessionPrimaryChannelGroup",
                 "sessionDefaultChannelGrouping")
DIMENSIONS = {"date": "Date", "yearMonth": "Year month",
              "sessionDefaultChannelGroup": "Session default channel group",
              "sessionPrimaryChannelGroup": "Session primary channel group",
              "sessionDefaultChannelGrouping": "Session default channel group"}
METRICS = {"sessions": ("Sessions", "TYPE_INTEGER"),
           "engagedSessions": ("Engaged sessions", "TYPE_INTEGER"),
           "newUsers": ("New users", "TYPE_INTEGER"),
           "totalUsers": ("Total users", "TYPE_INTEGER"),
           "engagementRate": ("Engagement rate", "TYPE_FLOAT"),
           "bounceRate": ("Bounce rate", "TYPE_FLOAT")}
COUNTS = ("sessions", "engagedSessions", "newUsers", "totalUsers")
MAX_LIMIT = 250000


def register(mock):
    s = mock.settings
    s.define("ga4.tokens_per_day", 200000, "property tokens per day")
    s.define("ga4.tokens_per_hour", 40000, "property tokens per hour")
    s.define("ga4.tokens_per_request", 10, "tokens one runReport costs")
    r = mock.router
    r.add("POST", r"/v1beta/properties/([^/:]+):runReport", run_report)
    r.add("GET", r"/v1beta/properties/([^/:]+)/metadata", metadata)


def error(code, status, message):
    return json_reply(code, {"error": {"code": code, "message": message,
                                       "status": status}})


def scope_ok(scopes):
    return not scopes or any(s.startswith(
        "https://www.googleapis.com/auth/analytics") for s in scopes)


def allowed(mock, prop):
    """None, or the error for a property this token may not read."""
    if not re.match(r"\d+\Z", prop):
        return error(400, "INVALID_ARGUMENT", "Invalid property ID: %s. A "
                     "numeric Property ID is required." % prop)
    props = mock.creds.get("google", {}).get("ga4_properties", ["123456789"])
    if prop not in props:
        return error(403, "PERMISSION_DENIED", "User does not have "
                     "sufficient permissions for this property. To learn more "
                     "about Property ID, see https://developers.google.com/"
                     "analytics/devguides/reporting/data/v1/property-id.")
    return None


def parse_day(text, today):
    t = str(text)
    if t == "today":
        return today
    if t == "yesterday":
        return today - datetime.timedelta(days=1)
    m = re.match(r"(\d+)daysAgo\Z", t)
    if m:
        return today - datetime.timedelta(days=int(m.group(1)))
    return datetime.date.fromisoformat(t)


def to_int(value, name):
    """int64 fields come as JSON numbers or strings."""
    try:
        v = int(str(value))
    except ValueError:
        raise ValueError("Invalid value at '%s' (TYPE_INT64), \"%s\"" %
                         (name, value))
    if v < 0:
        raise ValueError("%s must be non-negative" % name)
    return v


class Quota:
    def __init__(self):
        self.lock = threading.Lock()
        self.day = self.hour = None
        self.used_day = self.used_hour = 0

    def spend(self, s, cost):
        """(ok, quota report)."""
        now = time.time()
        with self.lock:
            if int(now // 86400) != self.day:
                self.day, self.used_day = int(now // 86400), 0
            if int(now // 3600) != self.hour:
                self.hour, self.used_hour = int(now // 3600), 0
            ok = self.used_day + cost <= s["ga4.tokens_per_day"] and \
                self.used_hour + cost <= s["ga4.tokens_per_hour"]
            if ok:
                self.used_day += cost
                self.used_hour += cost
            day_left = max(s["ga4.tokens_per_day"] - self.used_day, 0)
            hour_left = max(s["ga4.tokens_per_hour"] - self.used_hour, 0)
        c = cost if ok else 0
        return ok, {
            "tokensPerDay": {"consumed": c, "remaining": day_left},
            "tokensPerHour": {"consumed": c, "remaining": hour_left},
            "concurrentRequests": {"consumed": 0, "remaining": 10},
            "serverErrorsPerProjectPerHour": {"consumed": 0, "remaining": 10},
            "potentiallyThresholdedRequestsPerHour": {"consumed": 0,
                                                      "remaining": 120},
            "tokensPerProjectPerHour": {"consumed": c,
                                        "remaining": max(14000 - c, 0)}}


def report_rows(mock, dims, metrics, lo, hi, keep_empty):
    """[(dimension values, metric values)] aggregated over the export."""
    groups = {}
    for r in mock.data.exports.ga4:
        day = datetime.date(int(r["date"][:4]), int(r["date"][4:6]),
                            int(r["date"][6:]))
        if not lo <= day <= hi:
            continue
        key = tuple(r["date"] if d == "date" else r["date"][:6]
                    if d == "yearMonth" else r["channel"] for d in dims)
        g = groups.setdefault(key, dict.fromkeys(COUNTS, 0))
        for c in COUNTS:
            g[c] += r[c]
    rows = []
    for key, g in groups.items():
        rate = g["engagedSessions"] / g["sessions"] if g["sessions"] else 0.0
        vals = {"engagementRate": rate,
                "bounceRate": 1 - rate if g["sessions"] else 0.0, **g}
        mvals = [vals[m] for m in metrics]
        if not keep_empty and not any(mvals):
            continue
        rows.append((list(key), mvals))
    return rows


def order(rows, body, dims, metrics):
    """orderBys, else the first metric descending (GA4 gives no order
    otherwise), dimensions ascending to break ties."""
    rows.sort(key=lambda r: r[0])
    specs = body.get("orderBys") or (
        [{"metric": {"metricName": metrics[0]}, "desc": True}]
        if metrics else [])
    for spec in reversed(specs):
        desc = bool(spec.get("desc"))
        if "dimension" in spec:
            i = dims.index(spec["dimension"]["dimensionName"])
            rows.sort(key=lambda r: r[0][i], reverse=desc)
        elif "metric" in spec:
            i = metrics.index(spec["metric"]["metricName"])
            rows.sort(key=lambda r: r[1][i], reverse=desc)


def fmt(metric, v):
    if METRICS[metric][1] == "TYPE_FLOAT":
        return repr(float(v)) if v else "0"
    return str(v)


def run_report(mock, req, m):
    bad = google_oauth.check(mock, req, scope_ok) or allowed(mock, m.group(1))
    if bad:
        return bad
    tz = zoneinfo.ZoneInfo(mock.data.timezone)
    today = datetime.datetime.now(tz).date()
    try:
        body = req.json()
        dims = [d["name"] for d in body.get("dimensions", [])]
        metrics = [x["name"] for x in body.get("metrics", [])]
        for n in dims:
            if n not in DIMENSIONS:
                raise ValueError("Field %s is not a valid dimension. For a "
                                 "list of valid dimensions and metrics, see "
                                 "https://developers.google.com/analytics/"
                                 "devguides/reporting/data/v1/api-schema" % n)
        for n in metrics:
            if n not in METRICS:
                raise ValueError("Field %s is not a valid metric. For a list "
                                 "of valid dimensions and metrics, see "
                                 "https://developers.google.com/analytics/"
                                 "devguides/reporting/data/v1/api-schema" % n)
        ranges = body.get("dateRanges") or []
        if len(ranges) != 1:
            raise ValueError("this mock takes exactly one date range")
        lo = parse_day(ranges[0]["startDate"], today)
        hi = parse_day(ranges[0]["endDate"], today)
        limit = min(to_int(body.get("limit", 10000), "limit") or 10000,
                    MAX_LIMIT)
        offset = to_int(body.get("offset", 0), "offset")
    except (ValueError, KeyError, TypeError, AttributeError) as e:
        return error(400, "INVALID_ARGUMENT", str(e))
    quota = mock.vendor_state("ga4.quota." + m.group(1), Quota)
    ok, report = quota.spend(mock.settings, mock.settings["ga4.tokens_per_request"])
    if not ok:
        return error(429, "RESOURCE_EXHAUSTED", "Exhausted property tokens "
                     "per hour for a project. These quota tokens will return "
                     "in under an hour. To learn more, see https://developers."
                     "google.com/analytics/devguides/reporting/data/v1/quotas")
    rows = report_rows(mock, dims, metrics, lo, hi,
                       bool(body.get("keepEmptyRows")))
    order(rows, body, dims, metrics)
    out = {"dimensionHeaders": [{"name": n} for n in dims],
           "metricHeaders": [{"name": n, "type": METRICS[n][1]}
                             for n in metrics]}
    page = rows[offset:offset + limit]
    if page:
        out["rows"] = [{"dimensionValues": [{"value": v} for v in dv],
                        "metricValues": [{"value": fmt(n, v)}
                                         for n, v in zip(metrics, mv)]}
                       for dv, mv in page]
    if rows:
        out["rowCount"] = len(rows)
    out["metadata"] = {"currencyCode": mock.data.currency,
                       "timeZone": mock.data.timezone}
    if body.get("returnPropertyQuota"):
        out["propertyQuota"] = report
    out["kind"] = "analyticsData#runReport"
    return json_reply(200, out)


def metadata(mock, req, m):
    prop = m.group(1)
    bad = google_oauth.check(mock, req, scope_ok) or \
        (None if prop == "0" else allowed(mock, prop))
    if bad:
        return bad
    dims = [{"apiName": k, "uiName": v, "description": v + ".",
             "category": "Time" if k in ("date", "yearMonth")
             else "Traffic source"} for k, v in DIMENSIONS.items()
            if k != "sessionDefaultChannelGrouping"]
    mets = [{"apiName": k, "uiName": v[0], "description": v[0] + ".",
             "type": v[1], "category": "Session"} for k, v in METRICS.items()]
    return json_reply(200, {"name": "properties/%s/metadata" % prop,
                            "dimensions": dims, "metrics": mets})
