"""Meta's Marketing API insights (CONNECTORS.md 3): /vNN.0/act_{id}/insights
by GET (cursor paging whose paging.next is a full URL carrying the access
token) and by POST (an async report run, polled through its statuses and
read from /{report_run_id}/insights); numbers and ids as strings; the
Business Use Case usage headers and the 80000 error when the account's
hourly budget is spent; Graph error envelopes (190 for a bad or expired
token).  The token is accepted as the access_token parameter or as a
Bearer header (unverified in the research: both are taken).

Pitfall 1 of 3.6: insights leave out archived and deleted campaigns unless
the request's `filtering` names them (campaign.effective_status IN [...]);
a campaign is archived or deleted by its "Campaign delivery" in meta.csv or
by the setting meta.archived_campaigns.
"""

import base64
import collections
import datetime
import hashlib
import hmac
import json
import secrets
import threading
import time
import urllib.parse
import zoneinfo

from mockcore import json_reply

FIELDS = ("campaign_id", "campaign_name", "account_id", "account_name",
          "account_currency", "spend", "impressions", "clicks",
          "inline_link_clicks", "actions", "date_start", "date_stop")
VERSION = r"/v(\d+)\.0"


def register(mock):
    s = mock.settings
    s.define("meta.min_version", 25, "oldest Marketing API version not expired")
    s.define("meta.pacing", True, "enforce the account's hourly call budget")
    s.define("meta.calls_per_hour", 600, "insights calls per account per hour")
    s.define("meta.async_states", ["Job Not Started", "Job Started",
                                   "Job Running"],
             "async_status of successive polls before Job Completed")
    s.define("meta.empty_page_at", 0,
             "page N (1-based) is preceded by an empty page with a next link")
    s.define("meta.archived_campaigns", [],
             "campaign names whose effective_status is ARCHIVED")
    r = mock.router
    r.add("GET", VERSION + r"/act_(\w+)/insights", insights_get)
    r.add("POST", VERSION + r"/act_(\w+)/insights", insights_post)
    r.add("GET", VERSION + r"/act_(\w+)", account)
    r.add("GET", VERSION + r"/(\d+)/insights", run_insights)
    r.add("GET", VERSION + r"/(\d+)", run_status)


def graph_error(code, message, subcode=None, http=400, transient=False,
                etype="OAuthException"):
    err = {"message": message, "type": etype, "code": code,
           "fbtrace_id": base64.b64encode(secrets.token_bytes(8)).decode()}
    if subcode is not None:
        err["error_subcode"] = subcode
    if transient:
        err["is_transient"] = True
    return json_reply(http, {"error": err})


def params(req):
    """Query parameters, and for POST the form body's too (last wins)."""
    p = {k: v[-1] for k, v in req.query.items()}
    if req.method == "POST":
        body = urllib.parse.parse_qsl(req.body.decode("utf-8", "replace"),
                                      keep_blank_values=True)
        p.update(dict(body))
    return p


def token_of(req, p):
    return p.get("access_token") or req.bearer()


def gate(mock, req, p, version):
    """None, or the Graph error for this request's version and token."""
    if int(version) < mock.settings["meta.min_version"]:
        return graph_error(2635, "(#2635) You are calling a deprecated version "
                           "of the Ads API. Please update to the latest "
                           "version.")
    token = token_of(req, p)
    state, _ = mock.tokens.check("meta", token)
    if state == "expired":
        return graph_error(190, "Error validating access token: Session has "
                           "expired.", subcode=463)
    if state != "ok":
        return graph_error(190, "Invalid OAuth access token - Cannot parse "
                           "access token")
    c = mock.creds.get("meta", {})
    if c.get("app_secret") and c.get("require_appsecret_proof"):
        want = hmac.new(c["app_secret"].encode(), token.encode(),
                        hashlib.sha256).hexdigest()
        if p.get("appsecret_proof") != want:
            return graph_error(100, "Invalid appsecret_proof provided in the "
                               "API argument", http=400, etype="GraphMethodException")
    return None


def no_account(act):
    return graph_error(100, "Unsupported get request. Object with ID 'act_%s' "
                       "does not exist, cannot be loaded due to missing "
                       "permissions, or does not support this operation."
                       % act, subcode=33, etype="GraphMethodException")


def accounts(mock):
    return mock.creds.get("meta", {}).get("ad_accounts", ["1029384756"])


# ---- usage and throttling -------------------------------------------------

class Usage:
    def __init__(self):
        self.lock = threading.Lock()
        self.calls = collections.deque()

    def take(self, s):
        """(refused, percent used, minutes to regain access)."""
        now = time.time()
        with self.lock:
            while self.calls and self.calls[0] <= now - 3600:
                self.calls.popleft()
            cap = max(s["meta.calls_per_hour"], 1)
            refused = s["meta.pacing"] and len(self.calls) >= cap
            if not refused:
                self.calls.append(now)
            pct = min(100, len(self.calls) * 100 // cap)
            regain = int((self.calls[0] + 3600 - now) // 60) + 1 \
                if refused else 0
        return refused, pct, regain


def usage_headers(reply, act, pct, regain):
    buc = {act: [{"type": "ads_insights", "call_count": pct,
                  "total_cputime": pct // 2, "total_time": pct // 2,
                  "estimated_time_to_regain_access": regain,
                  "ads_api_access_tier": "standard_access"}]}
    reply.add_header("X-Business-Use-Case-Usage", json.dumps(buc))
    reply.add_header("X-App-Usage", json.dumps(
        {"call_count": pct // 4, "total_cputime": pct // 8,
         "total_time": pct // 8}))
    reply.add_header("X-Ad-Account-Usage", json.dumps(
        {"acc_id_util_pct": pct, "reset_time_duration": regain * 60,
         "ads_api_access_tier": "standard_access"}))
    reply.add_header("X-FB-Ads-Insights-Throttle", json.dumps(
        {"app_id_util_pct": pct // 2, "acc_id_util_pct": pct,
         "ads_api_access_tier": "standard_access"}))
    return reply


def throttled(mock, act, handler):
    usage = mock.vendor_state("meta.usage." + act, Usage)
    refused, pct, regain = usage.take(mock.settings)
    if refused:
        reply = graph_error(80000, "There have been too many calls from this "
                            "ad-account. Wait a bit and try again. For more "
                            "info, please refer to https://developers.facebook"
                            ".com/docs/graph-api/overview/rate-limiting.",
                            subcode=2446079, transient=True)
    else:
        reply = handler()
    return usage_headers(reply, act, pct, regain)


# ---- the report -----------------------------------------------------------

class BadParam(Exception):
    pass


STATUSES = ("ACTIVE", "PAUSED", "DELETED", "ARCHIVED", "IN_PROCESS",
            "WITH_ISSUES", "CAMPAIGN_PAUSED", "PENDING_REVIEW", "DISAPPROVED",
            "PREAPPROVED", "PENDING_BILLING_INFO", "ADSET_PAUSED")
# What insights show when the request does not filter on the status.
SHOWN_BY_DEFAULT = set(STATUSES) - {"ARCHIVED", "DELETED"}


def statuses_shown(p):
    """The campaign effective_status values a request's filtering lets
    through."""
    if "filtering" not in p:
        return SHOWN_BY_DEFAULT
    try:
        rules = json.loads(p["filtering"])
        if not isinstance(rules, list):
            raise ValueError
        shown = set(SHOWN_BY_DEFAULT)
        for r in rules:
            field, op, value = r["field"], r["operator"], r["value"]
            if field != "campaign.effective_status":
                raise BadParam("(#100) this mock filters on "
                               "campaign.effective_status only")
            if op != "IN" or not isinstance(value, list):
                raise BadParam("(#100) campaign.effective_status takes the "
                               "operator IN with a list of statuses")
            bad = [v for v in value if v not in STATUSES]
            if bad:
                raise BadParam("(#100) Filter value %s is not a valid "
                               "effective_status" % bad[0])
            shown = set(value)
        return shown
    except (ValueError, KeyError, TypeError):
        raise BadParam("(#100) param filtering must be an array of objects "
                       "with field, operator and value")


def campaign_status(mock, r):
    if r["campaign"] in mock.settings["meta.archived_campaigns"]:
        return "ARCHIVED"
    return {"archived": "ARCHIVED", "deleted": "DELETED",
            "inactive": "PAUSED", "paused": "PAUSED"}.get(
        r.get("delivery", "").strip().lower(), "ACTIVE")


def date_span(mock, p):
    today = datetime.datetime.now(zoneinfo.ZoneInfo(mock.data.timezone)).date()
    if "time_range" in p:
        try:
            tr = json.loads(p["time_range"])
            return (datetime.date.fromisoformat(tr["since"]),
                    datetime.date.fromisoformat(tr["until"]))
        except (ValueError, KeyError, TypeError):
            raise BadParam("(#100) time_range must be a JSON object with "
                           "since and until (YYYY-MM-DD)")
    preset = p.get("date_preset", "last_30d")
    days = {"last_7d": 7, "last_14d": 14, "last_30d": 30, "last_90d": 90}
    if preset in days:
        return today - datetime.timedelta(days=days[preset]), \
            today - datetime.timedelta(days=1)
    if preset == "maximum":
        return datetime.date(1970, 1, 1), today
    raise BadParam("(#100) date_preset must be one of last_7d, last_14d, "
                   "last_30d, last_90d, maximum in this mock")


def spec_of(mock, p):
    """The report a request asks for, checked as the Graph API does."""
    fields = [f for f in p.get("fields", "").split(",") if f]
    for f in fields:
        if f not in FIELDS:
            raise BadParam("(#100) %s is not valid for fields param. please "
                           "check https://developers.facebook.com/docs/"
                           "marketing-api/reference/ads-insights/ for all "
                           "valid values" % f)
    level = p.get("level", "account")
    if level not in ("account", "campaign"):
        raise BadParam("(#100) level must be account or campaign in this mock")
    inc = p.get("time_increment", "all_days")
    if inc not in ("1", "all_days", "monthly"):
        raise BadParam("(#100) time_increment must be 1, monthly or all_days "
                       "in this mock")
    since, until = date_span(mock, p)
    return {"fields": fields or ["spend", "impressions", "clicks"],
            "level": level, "inc": inc, "since": since.isoformat(),
            "until": until.isoformat(), "statuses": statuses_shown(p)}


def campaign_ids(mock):
    def make():
        ids = {}
        for r in mock.data.exports.meta:
            ids.setdefault(r["campaign"], str(120210000000000001 + len(ids)))
        return ids
    return mock.vendor_state("meta.campaign_ids", make)


def bucket(day, spec):
    if spec["inc"] == "1":
        return day, day
    if spec["inc"] == "monthly":
        d = datetime.date.fromisoformat(day)
        nxt = (d.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
        end = (nxt - datetime.timedelta(days=1)).isoformat()
        return max(d.replace(day=1).isoformat(), spec["since"]), \
            min(end, spec["until"])
    return spec["since"], spec["until"]


def report(mock, act, spec):
    """The rows of a report, each a dict of Graph fields (strings)."""
    ids = campaign_ids(mock)
    groups = collections.OrderedDict()
    for r in mock.data.exports.meta:
        if not spec["since"] <= r["date"] <= spec["until"]:
            continue
        if campaign_status(mock, r) not in spec["statuses"]:
            continue  # pitfall 1: gone unless filtered for
        start, stop = bucket(r["date"], spec)
        key = (start, r["campaign"] if spec["level"] == "campaign" else "")
        g = groups.setdefault(key, {"start": start, "stop": stop,
                                    "campaign": r["campaign"], "spend": 0,
                                    "impressions": 0, "clicks": 0,
                                    "results": 0})
        for k in ("spend", "impressions", "clicks", "results"):
            g[k] += r[k]
    rows = []
    currency = mock.data.exports.meta_currency or mock.data.currency
    for g in groups.values():
        if not g["impressions"] and not g["spend"]:
            continue  # no delivery, no row
        full = {"campaign_id": ids.get(g["campaign"], ""),
                "campaign_name": g["campaign"], "account_id": act,
                "account_name": "Acme", "account_currency": currency,
                "spend": str(g["spend"]), "impressions": str(g["impressions"]),
                "clicks": str(g["clicks"]),
                "inline_link_clicks": str(g["clicks"]),
                "actions": [{"action_type": "lead",
                             "value": str(g["results"])}]
                if g["results"] else None}
        row = {f: full[f] for f in spec["fields"]
               if f not in ("date_start", "date_stop") and
               full.get(f) is not None and
               not (spec["level"] == "account" and f.startswith("campaign"))}
        row["date_start"], row["date_stop"] = g["start"], g["stop"]
        rows.append(row)
    return rows


def cursor(text):
    """Graph-style cursor: base64 with each '=' written "ZD"."""
    return base64.b64encode(text.encode()).decode().replace("=", "ZD")


def uncursor(c):
    try:
        return base64.b64decode(c.replace("ZD", "=")).decode()
    except (ValueError, UnicodeDecodeError):
        return None


def page(mock, req, p, rows, base_path):
    """One page of rows with Graph's paging block."""
    try:
        limit = max(1, int(p.get("limit", "25")))
    except ValueError:
        raise BadParam("(#100) limit must be an integer")
    offset, marked = 0, False
    if p.get("after"):
        raw = uncursor(p["after"])
        if raw is None or not raw.split(":")[0].isdigit():
            raise BadParam("(#100) Invalid cursor")
        offset, marked = int(raw.split(":")[0]), raw.endswith(":e")
    keep = {k: v for k, v in p.items()
            if k not in ("after", "before", "access_token", "appsecret_proof")}
    token = token_of(req, p)

    def link(off, extra=""):
        q = urllib.parse.urlencode(keep)
        return "%s%s?%s&access_token=%s&after=%s" % (
            mock.base_url(), base_path, q, urllib.parse.quote(token),
            cursor(str(off) + extra))

    empty_at = mock.settings["meta.empty_page_at"]
    if empty_at and offset == (empty_at - 1) * limit and offset and not marked:
        return {"data": [], "paging": {"cursors": {"before": cursor(str(offset)),
                                                   "after": cursor(str(offset))},
                                       "next": link(offset, ":e")}}
    data = rows[offset:offset + limit]
    out = {"data": data}
    if data:
        out["paging"] = {"cursors": {"before": cursor(str(offset)),
                                     "after": cursor(str(offset + len(data)))}}
        if offset + limit < len(rows):
            out["paging"]["next"] = link(offset + limit)
        if offset:
            out["paging"]["previous"] = link(max(offset - limit, 0))
    return out


def insights_get(mock, req, m):
    p = params(req)
    bad = gate(mock, req, p, m.group(1))
    if bad:
        return bad
    act = m.group(2)
    if act not in accounts(mock):
        return no_account(act)

    def answer():
        try:
            rows = report(mock, act, spec_of(mock, p))
            return json_reply(200, page(mock, req, p, rows, req.path))
        except BadParam as e:
            return graph_error(100, str(e))
    return throttled(mock, act, answer)


# ---- async report runs ----------------------------------------------------

def runs(mock):
    return mock.vendor_state("meta.runs", dict)


def insights_post(mock, req, m):
    p = params(req)
    bad = gate(mock, req, p, m.group(1))
    if bad:
        return bad
    act = m.group(2)
    if act not in accounts(mock):
        return no_account(act)

    def answer():
        try:
            spec = spec_of(mock, p)
        except BadParam as e:
            return graph_error(100, str(e))
        table = runs(mock)
        with mock.lock:
            ident = str(6123456789012 + len(table))
            table[ident] = {"act": act, "spec": spec, "polls": 0,
                            "time_ref": int(time.time()),
                            "done": False}
        return json_reply(200, {"report_run_id": ident})
    return throttled(mock, act, answer)


def run_status(mock, req, m):
    p = params(req)
    bad = gate(mock, req, p, m.group(1))
    if bad:
        return bad
    run = runs(mock).get(m.group(2))
    if run is None:
        return graph_error(100, "Unsupported get request. Object with ID '%s' "
                           "does not exist." % m.group(2), subcode=33,
                           etype="GraphMethodException")
    states = mock.settings["meta.async_states"]
    with mock.lock:
        run["polls"] += 1
        n = run["polls"]
    if n <= len(states):
        status = states[n - 1]
        pct = 0 if status != "Job Running" else 42
    else:
        status, pct = "Job Completed", 100
        run["done"] = True
    body = {"id": m.group(2), "account_id": run["act"],
            "time_ref": run["time_ref"], "async_status": status,
            "async_percent_completion": pct,
            "date_start": run["spec"]["since"],
            "date_stop": run["spec"]["until"], "emails": [],
            "friendly_name": "boardpack insights", "is_bookmarked": False,
            "is_running": status != "Job Completed", "schedule_id": "0"}
    if status == "Job Completed":
        body["time_completed"] = int(time.time())
    return json_reply(200, body)


def run_insights(mock, req, m):
    p = params(req)
    bad = gate(mock, req, p, m.group(1))
    if bad:
        return bad
    run = runs(mock).get(m.group(2))
    if run is None or not run["done"]:
        return graph_error(2601, "(#2601) Error accessing adreport job.")

    def answer():
        try:
            rows = report(mock, run["act"], run["spec"])
            return json_reply(200, page(mock, req, p, rows, req.path))
        except BadParam as e:
            return graph_error(100, str(e))
    return throttled(mock, run["act"], answer)


def account(mock, req, m):
    p = params(req)
    bad = gate(mock, req, p, m.group(1))
    if bad:
        return bad
    act = m.group(2)
    if act not in accounts(mock):
        return no_account(act)
    full = {"id": "act_" + act, "account_id": act, "name": "Acme",
            "currency": mock.data.exports.meta_currency or mock.data.currency,
            "timezone_name": mock.data.timezone, "account_status": 1}
    fields = [f for f in p.get("fields", "").split(",") if f] or ["id"]
    return json_reply(200, {f: full[f] for f in ["id"] + fields if f in full})
