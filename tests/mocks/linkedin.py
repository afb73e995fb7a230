"""LinkedIn's Marketing API (CONNECTORS.md 4): /rest/adAnalytics read with
a strict Rest.li 2.0 parser (structure characters ( ) : , literal, only
values such as URNs percent-encoded; anything else is 400 PARAM_INVALID),
the mandatory LinkedIn-Version and X-Restli-Protocol-Version headers, the
20-field cap, silent truncation at 15,000 elements, costs as strings and
counts as numbers in UTC days; adCampaigns with cursor paging; adAccounts
with the currency; the /oauth/v2/accessToken refresh whose refresh token
keeps its original expiry, so refresh_token_expires_in only goes down.
"""

import base64
import datetime
import re
import secrets
import time
import urllib.parse

from mockcore import json_reply

METRICS = {"costInLocalCurrency", "costInUsd", "impressions", "clicks",
           "oneClickLeads", "externalWebsiteConversions", "landingPageClicks"}
MAX_FIELDS = 20


def register(mock):
    s = mock.settings
    s.define("linkedin.oldest_version", "202511",
             "oldest LinkedIn-Version still served (older: 426)")
    s.define("linkedin.newest_version", "202612",
             "newest LinkedIn-Version that exists (newer: 426)")
    s.define("linkedin.max_elements", 15000,
             "adAnalytics elements kept; the rest is dropped silently")
    s.define("linkedin.token_ttl", 5183999, "access token lifetime, s")
    s.define("linkedin.usd_rate", 0.00072,
             "costInUsd = costInLocalCurrency x this")
    s.define("linkedin.rotate_refresh_tokens", False,
             "each refresh issues a new refresh token (same expiry) and "
             "retires the one it was given")
    s.define("linkedin.campaigns_per_page", 1000,
             "adCampaigns elements per page at most, whatever pageSize asks")
    r = mock.router
    r.add("GET", r"/rest/adAnalytics", rest(ad_analytics))
    r.add("GET", r"/rest/adAccounts/(\d+)/adCampaigns", rest(ad_campaigns))
    r.add("GET", r"/rest/adAccounts/(\d+)", rest(ad_account))
    r.add("POST", r"/oauth/v2/accessToken", access_token)


def error(status, code, message, **extra):
    body = {"status": status, "code": code, "message": message}
    body.update(extra)
    return json_reply(status, body)


def param_invalid(field, why):
    return json_reply(400, {
        "status": 400, "code": "PARAM_INVALID",
        "message": "Invalid param. Please see errorDetails for more "
                   "information.",
        "errorDetailType": "com.linkedin.common.error.BadRequest",
        "errorDetails": {"inputErrors": [{
            "description": why, "input": {"inputPath": {"fieldPath": field}},
            "code": "PARAM_INVALID"}]}})


# ---- headers and token ----------------------------------------------------

def rest(handler):
    """Checks what every /rest call needs before the handler runs."""
    def wrapped(mock, req, m):
        s = mock.settings
        version = req.header("LinkedIn-Version")
        if not version:
            return error(400, "VERSION_MISSING", "A version must be present. "
                         "Please specify a version by adding the "
                         "LinkedIn-Version header.")
        if not re.match(r"20\d\d(0[1-9]|1[0-2])\Z", version):
            return error(400, "VERSION_INVALID", "Invalid version format: %s. "
                         "Use YYYYMM." % version)
        if not s["linkedin.oldest_version"] <= version <= \
                s["linkedin.newest_version"]:
            return error(426, "NONEXISTENT_VERSION", "Requested version %s is "
                         "not active" % version)
        if req.header("X-Restli-Protocol-Version") != "2.0.0":
            return error(400, "ILLEGAL_ARGUMENT", "This API requires the "
                         "header X-Restli-Protocol-Version: 2.0.0")
        state, _ = mock.tokens.check("linkedin", req.bearer())
        if state == "expired":
            return error(401, "EXPIRED_ACCESS_TOKEN", "The token used in the "
                         "request has expired", serviceErrorCode=65601)
        if state != "ok":
            return error(401, "INVALID_ACCESS_TOKEN", "Invalid access token",
                         serviceErrorCode=65600)
        try:
            raw = raw_params(req.query_raw)
            return handler(mock, req, m, raw)
        except RestliError as e:
            return param_invalid(e.field, e.why)
    return wrapped


# ---- Rest.li 2.0 ----------------------------------------------------------

class RestliError(Exception):
    def __init__(self, field, why):
        super().__init__(why)
        self.field = field
        self.why = why


def raw_params(query):
    """name -> raw (still encoded) value, as the client sent them."""
    out = {}
    for part in query.split("&"):
        if part:
            name, _, value = part.partition("=")
            out[urllib.parse.unquote(name)] = value
    return out


class Restli:
    """Parses one encoded Rest.li 2.0 value: List(a,b), (k:v,...), or a
    scalar.  Scalars are percent-decoded only after the structure has been
    read, so an encoded "(" is part of a scalar, never structure."""

    def __init__(self, field, text):
        self.field, self.text, self.i = field, text, 0

    def fail(self, why):
        raise RestliError(self.field, "%s at offset %d of '%s'" % (
            why, self.i, self.text))

    def parse(self):
        v = self.value()
        if self.i != len(self.text):
            self.fail("unexpected '%s'" % self.text[self.i])
        return v

    def value(self):
        t = self.text
        if t.startswith("List(", self.i):
            self.i += 5
            return self.items(")", self.value)
        if t.startswith("(", self.i):
            self.i += 1
            return dict(self.items(")", self.pair))
        start = self.i
        while self.i < len(t) and t[self.i] not in "(),:":
            self.i += 1
        if self.i == start:
            self.fail("value expected")
        return urllib.parse.unquote(t[start:self.i])

    def pair(self):
        key = self.value()
        if not isinstance(key, str) or self.text[self.i:self.i + 1] != ":":
            self.fail("':' expected")
        self.i += 1
        return key, self.value()

    def items(self, close, item):
        out = []
        if self.text.startswith(close, self.i):
            self.i += 1
            return out
        while True:
            out.append(item())
            c = self.text[self.i:self.i + 1]
            self.i += 1
            if c == close:
                return out
            if c != ",":
                self.i -= 1
                self.fail("',' or '%s' expected" % close)


def restli(raw, name, required=True):
    if name not in raw:
        if required:
            raise RestliError(name, "Required parameter %s is missing" % name)
        return None
    return Restli(name, raw[name]).parse()


def urn_list(raw, name, kind):
    v = restli(raw, name, required=False)
    if v is None:
        return None
    if not isinstance(v, list):
        raise RestliError(name, "%s must be a Rest.li List of URNs" % name)
    ids = []
    for u in v:
        m = re.match(r"urn:li:%s:(\d+)\Z" % kind, u if isinstance(u, str)
                     else "")
        if not m:
            raise RestliError(name, "'%s' is not a urn:li:%s URN" % (u, kind))
        ids.append(int(m.group(1)))
    return ids


def date_of(rec, field):
    try:
        return datetime.date(int(rec["year"]), int(rec["month"]),
                             int(rec["day"]))
    except (KeyError, TypeError, ValueError):
        raise RestliError(field, "a date is (year:Y,month:M,day:D)")


def plain(raw, name, default=None):
    return urllib.parse.unquote(raw[name]) if name in raw else default


# ---- adAnalytics ----------------------------------------------------------

def account_ids(mock):
    c = mock.creds.get("linkedin", {})
    default = mock.data.exports.linkedin_account or "508812345"
    return [int(a) for a in c.get("ad_accounts", [default])]


def ad_analytics(mock, req, m, raw):
    q = plain(raw, "q")
    if q not in ("analytics", "statistics"):
        raise RestliError("q", "q must be analytics or statistics")
    if q == "analytics":
        pivot = plain(raw, "pivot", "CAMPAIGN")
    else:
        pivots = restli(raw, "pivots")
        pivot = pivots[0] if isinstance(pivots, list) and pivots else None
    if pivot not in ("CAMPAIGN", "ACCOUNT"):
        raise RestliError("pivot", "this mock pivots by CAMPAIGN or ACCOUNT")
    grain = plain(raw, "timeGranularity", "ALL")
    if grain not in ("DAILY", "MONTHLY", "ALL"):
        raise RestliError("timeGranularity", "DAILY, MONTHLY or ALL")
    dr = restli(raw, "dateRange")
    if not isinstance(dr, dict) or not isinstance(dr.get("start"), dict):
        raise RestliError("dateRange", "dateRange is (start:(...),end:(...))")
    lo = date_of(dr["start"], "dateRange")
    hi = date_of(dr["end"], "dateRange") if "end" in dr else \
        datetime.datetime.now(datetime.timezone.utc).date()
    accounts = urn_list(raw, "accounts", "sponsoredAccount")
    campaigns = urn_list(raw, "campaigns", "sponsoredCampaign")
    if accounts is None and campaigns is None:
        raise RestliError("accounts", "accounts or campaigns is required")
    fields = [f for f in plain(raw, "fields", "impressions,clicks").split(",")
              if f]
    if len(fields) > MAX_FIELDS:
        raise RestliError("fields", "at most %d fields may be requested, got "
                          "%d" % (MAX_FIELDS, len(fields)))
    mine = account_ids(mock)
    # Every row belongs to the credentials' first account; asking for
    # accounts one may not read gives an empty answer, not an error.
    rows = [r for r in mock.data.exports.linkedin
            if lo.isoformat() <= r["date"] <= hi.isoformat()
            and (campaigns is None or r["campaign_id"] in campaigns)]
    if not mine or (accounts is not None and not set(accounts) & set(mine)):
        rows = []
    elements = analytics_elements(mock, rows, pivot, grain, lo, hi, fields,
                                  mine[0] if mine else 0)
    elements = elements[:mock.settings["linkedin.max_elements"]]
    return json_reply(200, {"paging": {"start": 0, "count": 10, "links": []},
                            "elements": elements})


def span_of(day, grain, lo, hi):
    d = datetime.date.fromisoformat(day)
    if grain == "DAILY":
        return d, d
    if grain == "MONTHLY":
        nxt = (d.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
        return max(d.replace(day=1), lo), min(nxt - datetime.timedelta(days=1),
                                              hi)
    return lo, hi


def restli_date(d):
    return {"year": d.year, "month": d.month, "day": d.day}


def analytics_elements(mock, rows, pivot, grain, lo, hi, fields, account):
    groups = {}
    for r in rows:
        start, end = span_of(r["date"], grain, lo, hi)
        pv = "urn:li:sponsoredCampaign:%d" % r["campaign_id"] \
            if pivot == "CAMPAIGN" else "urn:li:sponsoredAccount:%d" % account
        g = groups.setdefault((start, pv), {"start": start, "end": end,
                                            "pv": pv, "cost": 0,
                                            "impressions": 0, "clicks": 0,
                                            "leads": 0, "conversions": 0})
        for k in ("cost", "impressions", "clicks", "leads", "conversions"):
            g[k] += r[k]
    out = []
    rate = mock.settings["linkedin.usd_rate"]
    for key in sorted(groups):
        g = groups[key]
        if not (g["impressions"] or g["clicks"] or g["cost"]):
            continue
        full = {"dateRange": {"start": restli_date(g["start"]),
                              "end": restli_date(g["end"])},
                "pivotValues": [g["pv"]],
                "costInLocalCurrency": str(g["cost"]),
                "costInUsd": "%.6f" % (float(g["cost"]) * rate),
                "impressions": g["impressions"], "clicks": g["clicks"],
                "landingPageClicks": g["clicks"],
                "oneClickLeads": g["leads"],
                "externalWebsiteConversions": g["conversions"]}
        out.append({f: full[f] for f in fields if f in full})
    return out


# ---- campaigns and accounts -----------------------------------------------

def campaigns_of(mock):
    seen = {}
    for r in mock.data.exports.linkedin:
        seen.setdefault(r["campaign_id"], r["campaign"])
    return sorted(seen.items())


def ad_campaigns(mock, req, m, raw):
    acct = int(m.group(1))
    if plain(raw, "q") != "search":
        raise RestliError("q", "q must be search")
    try:
        size = int(plain(raw, "pageSize", "100"))
    except ValueError:
        raise RestliError("pageSize", "pageSize must be a number")
    if not 1 <= size <= 1000:
        raise RestliError("pageSize", "pageSize must be between 1 and 1000")
    statuses = None
    search = restli(raw, "search", required=False)
    if search is not None:
        try:
            statuses = set(search["status"]["values"])
        except (KeyError, TypeError):
            raise RestliError("search", "search is (status:(values:List(..)))")
    items = [] if acct not in account_ids(mock) else [
        {"id": cid, "name": name, "status": "ACTIVE",
         "account": "urn:li:sponsoredAccount:%d" % acct,
         "campaignGroup": "urn:li:sponsoredCampaignGroup:%d" % (600000000 + acct % 1000),
         "type": "SPONSORED_UPDATES"}
        for cid, name in campaigns_of(mock)]
    if statuses is not None:
        items = [c for c in items if c["status"] in statuses]
    start = 0
    if "pageToken" in raw:
        try:
            start = int(base64.urlsafe_b64decode(plain(raw, "pageToken")))
        except ValueError:
            raise RestliError("pageToken", "invalid page token")
    size = min(size, max(1, mock.settings["linkedin.campaigns_per_page"]))
    body = {"elements": items[start:start + size], "metadata": {}}
    if start + size < len(items):
        body["metadata"]["nextPageToken"] = base64.urlsafe_b64encode(
            str(start + size).encode()).decode()
    return json_reply(200, body)


def ad_account(mock, req, m, raw):
    acct = int(m.group(1))
    if acct not in account_ids(mock):
        return error(404, "NOT_FOUND", "Ad account %d not found" % acct)
    name = mock.data.exports.linkedin[0]["account"] \
        if mock.data.exports.linkedin else "Acme Corp"
    return json_reply(200, {"id": acct, "name": name,
                            "currency": mock.data.currency, "status": "ACTIVE",
                            "type": "BUSINESS", "test": False,
                            "reference": "urn:li:organization:1000001"})


# ---- OAuth ----------------------------------------------------------------

def access_token(mock, req, m):
    c = mock.creds.get("linkedin", {})
    f = req.form()

    def oauth_error(code, why, http=400):
        return json_reply(http, {"error": code, "error_description": why})
    if f.get("grant_type") != "refresh_token":
        return oauth_error("unsupported_grant_type", "grant_type must be "
                           "refresh_token (form body)")
    if f.get("client_id") != c.get("client_id") or \
            f.get("client_secret") != c.get("client_secret"):
        return oauth_error("invalid_client", "Client authentication failed",
                           401)
    born = mock.vendor_state("linkedin.refresh_born", time.time)
    left = int(born + c.get("refresh_token_ttl", 31536000) - time.time())
    current = mock.vendor_state("linkedin.refresh_token",
                                lambda: [c.get("refresh_token")])
    if f.get("refresh_token") != current[0] or left <= 0:
        return oauth_error("invalid_grant", "The provided authorization grant "
                           "or refresh token is invalid, expired or revoked")
    s = mock.settings
    if s["linkedin.rotate_refresh_tokens"]:
        with mock.lock:
            current[0] = "AQW-rotated-" + secrets.token_urlsafe(24)
    ttl = s["token_ttl"] or s["linkedin.token_ttl"]
    tok = mock.tokens.issue("linkedin", ttl, "r_ads r_ads_reporting",
                            prefix="AQX", length=340)
    return json_reply(200, {"access_token": tok, "expires_in": int(ttl),
                            "refresh_token": current[0],
                            "refresh_token_expires_in": left,
                            "scope": "r_ads,r_ads_reporting"})
