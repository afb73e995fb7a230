"""HubSpot CRM as CONNECTORS.md section 1 describes it: the objects list
endpoint (legacy /crm/v3 and date-versioned paths), search with its limits
and 10,000-result cap, v4 association batch reads, properties and
pipelines, OAuth token refresh, private-app tokens, rate-limit headers and
the 429 bodies of its rolling, secondly and daily limits.  The exports API
is in hubspot_export.py.
"""

import base64
import binascii
import collections
import datetime
import decimal
import json
import threading
import time

import hubspot_portal as hp
from mockcore import correlation_id, json_reply

OBJECTS = r"/crm/(?:v3/objects|objects/20\d\d-\d\d)/(contacts|deals)"
OTHER = {"contacts": "deals", "deals": "contacts"}
PROPS = {"contacts": hp.CONTACT_PROPS, "deals": hp.DEAL_PROPS}
DEFAULT_PROPS = {"contacts": hp.CONTACT_DEFAULT, "deals": hp.DEAL_DEFAULT}
SEARCH_CAP = 10000


def register(mock):
    s = mock.settings
    s.define("hubspot.pacing", True,
             "enforce the rolling, secondly (search) and daily limits")
    s.define("hubspot.rate_max", 190, "requests per rolling 10 s")
    s.define("hubspot.search_per_second", 5, "search requests per second")
    s.define("hubspot.daily_limit", 1000000, "requests per day")
    s.define("hubspot.token_ttl", 1800, "OAuth access token lifetime, s")
    s.define("hubspot.token_length", 300,
             "length of issued access tokens (HubSpot: plan for 300)")
    r = mock.router
    r.add("GET", OBJECTS, api(list_objects))
    r.add("GET", OBJECTS + r"/(\d+)", api(get_object))
    r.add("POST", OBJECTS + r"/search", api(search, search=True))
    r.add("POST", r"/crm/(?:v4/associations|associations/20\d\d-\d\d)"
          r"/(contacts|deals)/(contacts|deals)/batch/read",
          api(assoc_batch_read))
    r.add("GET", r"/crm/(?:v3/properties|properties/20\d\d-\d\d)"
          r"/(contacts|deals)", api(list_properties))
    r.add("GET", r"/crm/(?:v3/properties|properties/20\d\d-\d\d)"
          r"/(contacts|deals)/(\w+)", api(get_property))
    r.add("GET", r"/crm/(?:v3/pipelines|pipelines/20\d\d-\d\d)/deals",
          api(pipelines))
    for path in (r"/oauth/v1/token", r"/oauth/20\d\d-\d\d/token"):
        r.add("POST", path, oauth_token)


def portal(mock):
    return mock.data.hubspot


# ---- errors ---------------------------------------------------------------

def error(status, message, category="VALIDATION_ERROR", **extra):
    body = {"status": "error", "message": message,
            "correlationId": correlation_id(), "category": category}
    body.update(extra)
    return json_reply(status, body)


def auth_error(state):
    if state == "expired":
        return error(401, "The OAuth token used to make this call expired "
                     "0 second(s) ago.", "EXPIRED_AUTHENTICATION")
    return error(401, "Authentication credentials not found. This API "
                 "supports OAuth 2.0 authentication and you can find more "
                 "details at https://developers.hubspot.com/docs/methods/auth/"
                 "oauth-overview", "INVALID_AUTHENTICATION")


# ---- pacing: HubSpot's limits per portal ----------------------------------

class Pacer:
    def __init__(self):
        self.lock = threading.Lock()
        self.window = collections.deque()
        self.search = collections.deque()
        self.day = None
        self.today = 0

    def take(self, s, is_search):
        """(policy that refused the request or None, remaining in window,
        remaining today)."""
        now = time.time()
        with self.lock:
            day = int(now // 86400)
            if day != self.day:
                self.day, self.today = day, 0
            q, span, cap = (self.search, 1.0, s["hubspot.search_per_second"]) \
                if is_search else (self.window, 10.0, s["hubspot.rate_max"])
            while q and q[0] <= now - span:
                q.popleft()
            refused = None
            if s["hubspot.pacing"]:
                if self.today >= s["hubspot.daily_limit"]:
                    refused = "DAILY"
                elif len(q) >= cap:
                    refused = "SECONDLY" if is_search else \
                        "TEN_SECONDLY_ROLLING"
            if refused is None:
                q.append(now)
                self.today += 1
            return refused, max(cap - len(q), 0), \
                max(s["hubspot.daily_limit"] - self.today, 0)


def rate_limited(policy):
    messages = {"DAILY": "You have reached your daily limit.",
                "SECONDLY": "You have reached your secondly limit.",
                "TEN_SECONDLY_ROLLING":
                    "You have reached your ten_secondly_rolling limit."}
    body = {"status": "error", "message": messages[policy],
            "errorType": "RATE_LIMIT", "correlationId": correlation_id(),
            "policyName": policy}
    return json_reply(429, body)


def api(handler, search=False):
    """Wraps a handler with HubSpot's token check, limits and headers.
    Search replies carry no rate-limit headers (as reported); OAuth calls
    get the rolling-window headers but not the daily ones."""
    def wrapped(mock, req, m):
        state, info = mock.tokens.check("hubspot", req.bearer())
        if state != "ok":
            return auth_error(state)
        pacer = mock.vendor_state("hubspot.pacer", Pacer)
        refused, left, daily_left = pacer.take(mock.settings, search)
        reply = rate_limited(refused) if refused else handler(mock, req, m)
        if not search:
            s = mock.settings
            reply.add_header("X-HubSpot-RateLimit-Interval-Milliseconds",
                             10000)
            reply.add_header("X-HubSpot-RateLimit-Max", s["hubspot.rate_max"])
            reply.add_header("X-HubSpot-RateLimit-Remaining", left)
            reply.add_header("X-HubSpot-RateLimit-Secondly",
                             s["hubspot.rate_max"] // 10)
            reply.add_header("X-HubSpot-RateLimit-Secondly-Remaining",
                             min(left, s["hubspot.rate_max"] // 10))
            if info["kind"] == "static":
                reply.add_header("X-HubSpot-RateLimit-Daily",
                                 s["hubspot.daily_limit"])
                reply.add_header("X-HubSpot-RateLimit-Daily-Remaining",
                                 daily_left)
        return reply
    return wrapped


# ---- rendering records ----------------------------------------------------

def api_value(kind, rec, name):
    """A property as the v3 API sends it: always a string, or null.
    Instants are ISO-8601 UTC; records with an odd id get them without
    milliseconds, so every page has both forms."""
    v = rec["props"].get(name)
    if v is None:
        return None
    if PROPS[kind][name][0] == "datetime":
        return hp.iso(v, int(rec["id"]) % 2 == 0)
    return str(v)


def render(kind, rec, props, assoc=()):
    p = rec["props"]
    created = p.get("createdate") or 0
    updated = p.get("lastmodifieddate") or p.get("hs_lastmodifieddate") or \
        created
    out = {"id": rec["id"],
           "properties": {n: api_value(kind, rec, n) for n in props
                          if n in PROPS[kind]},
           "createdAt": hp.iso(created), "updatedAt": hp.iso(updated),
           "archived": False}
    other = OTHER[kind]
    if other in assoc and rec["assoc"]:
        out["associations"] = {other: {"results": assoc_rows(kind, rec)}}
    return out


def assoc_rows(kind, rec):
    """v3 association rows.  A deal's labelled contact association comes
    twice, labelled and unlabelled, with the same id (even deal ids here)."""
    if kind == "contacts":
        return [{"id": i, "type": "contact_to_deal"} for i in rec["assoc"]]
    rows = []
    for i in rec["assoc"]:
        rows.append({"id": i, "type": "deal_to_contact"})
        if int(rec["id"]) % 2 == 0:
            rows.append({"id": i, "type": "deal_to_contact_unlabeled"})
    return rows


def wanted(req, name):
    """Names from repeated and comma-separated query parameters."""
    out = []
    for v in req.query.get(name, []):
        out.extend(x.strip() for x in v.split(",") if x.strip())
    return out


# ---- list -----------------------------------------------------------------

def cursor(ident):
    """Opaque `after`: base64 of the next id, padded so it always ends in
    "==", URL-encoded as HubSpot sends it."""
    raw = str(ident).encode() + b"\n"
    while len(raw) % 3 != 1:
        raw += b"\n"
    return base64.b64encode(raw).decode().replace("=", "%3D")


def uncursor(text):
    try:
        raw = base64.b64decode(text, validate=True)
        return int(raw.decode().strip())
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return None


def list_objects(mock, req, m):
    kind = m.group(1)
    objs = portal(mock)[kind]
    try:
        limit = int(req.arg("limit", "10"))
    except ValueError:
        return error(400, "limit must be a number")
    if not 1 <= limit <= 100:
        return error(400, "limit must be between 1 and 100, got %d" % limit)
    start = 0
    if req.arg("after"):
        after = uncursor(req.arg("after"))
        if after is None:
            return error(400, "Invalid input for 'after': %s" %
                         req.arg("after"))
        start = objs.index_after(after)
    props = wanted(req, "properties") or DEFAULT_PROPS[kind]
    assoc = wanted(req, "associations")
    if req.arg("archived", "false") == "true":
        return json_reply(200, {"results": []})
    end = min(start + limit, len(objs))
    body = {"results": [render(kind, objs.at(i), props, assoc)
                        for i in range(start, end)]}
    if end < len(objs):
        nxt = cursor(objs.at(end)["id"])
        body["paging"] = {"next": {"after": nxt, "link": "?after=" + nxt}}
    return json_reply(200, body)


def get_object(mock, req, m):
    kind = m.group(1)
    rec = portal(mock)[kind].get(m.group(2))
    if rec is None:
        return error(404, "Object not found.  objectId are usually numeric.",
                     "OBJECT_NOT_FOUND")
    props = wanted(req, "properties") or DEFAULT_PROPS[kind]
    return json_reply(200, render(kind, rec, props,
                                  wanted(req, "associations")))


# ---- search ---------------------------------------------------------------

def to_ms(value):
    """A filter value for a datetime: epoch ms, or an ISO date/time."""
    text = str(value)
    if text.lstrip("-").isdigit():
        return int(text)
    dt = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=datetime.timezone.utc)
    return int(dt.timestamp() * 1000)


def typed(kind, name, value):
    ptype = PROPS[kind][name][0]
    if value is None:
        return None
    if ptype == "datetime":
        return to_ms(value)
    if ptype == "number":
        return decimal.Decimal(str(value))
    return str(value)


OPS = {"EQ": lambda a, b: a == b, "NEQ": lambda a, b: a != b,
       "LT": lambda a, b: a < b, "LTE": lambda a, b: a <= b,
       "GT": lambda a, b: a > b, "GTE": lambda a, b: a >= b}


def compile_filter(kind, f):
    """A predicate over records, or raises ValueError with HubSpot's
    complaint."""
    name = f.get("propertyName") or f.get("property")
    op = f.get("operator", "EQ")
    if kind == "contacts" and name == "hs_lastmodifieddate":
        # Contacts have the property but do not keep it: HubSpot accepts
        # the filter and silently finds the wrong records (here: none).
        # Their modification date is lastmodifieddate.
        return lambda r: False
    if name not in PROPS[kind]:
        raise ValueError("Property %s does not exist" % name)
    if op == "HAS_PROPERTY":
        return lambda r: r["props"].get(name) is not None
    if op == "NOT_HAS_PROPERTY":
        return lambda r: r["props"].get(name) is None
    if op in ("IN", "NOT_IN"):
        vals = {typed(kind, name, v) for v in f.get("values", [])}
        if op == "IN":
            return lambda r: typed(kind, name, r["props"].get(name)) in vals
        return lambda r: typed(kind, name, r["props"].get(name)) not in vals
    if op == "BETWEEN":
        lo = typed(kind, name, f.get("value"))
        hi = typed(kind, name, f.get("highValue"))

        def between(r):
            v = typed(kind, name, r["props"].get(name))
            return v is not None and lo <= v <= hi
        return between
    if op not in OPS:
        raise ValueError("operator %s is not supported by this mock" % op)
    want = typed(kind, name, f.get("value"))
    test = OPS[op]

    def compare(r):
        v = typed(kind, name, r["props"].get(name))
        return v is not None and test(v, want)
    return compare


def compile_groups(kind, groups):
    """One predicate for filterGroups (OR of ANDs), checking HubSpot's
    limits: at most 5 groups, 6 filters per group, 18 in all."""
    if len(groups) > 5:
        raise ValueError("Too many filter groups (max 5)")
    if sum(len(g.get("filters", [])) for g in groups) > 18:
        raise ValueError("Too many filters (max 18 in total)")
    preds = []
    for g in groups:
        if len(g.get("filters", [])) > 6:
            raise ValueError("Too many filters in a group (max 6)")
        preds.append([compile_filter(kind, f) for f in g.get("filters", [])])
    if not preds:
        return lambda r: True
    return lambda r: any(all(p(r) for p in group) for group in preds)


def matching(mock, kind, groups, sorts):
    """Indexes of the records a search selects, in its order.  Cached per
    query, so paging a large portal scans it once."""
    key = json.dumps([kind, groups, sorts], sort_keys=True)
    cache = mock.vendor_state("hubspot.search", collections.OrderedDict)
    with mock.lock:
        if key in cache:
            cache.move_to_end(key)
            return cache[key]
    pred = compile_groups(kind, groups)
    objs = portal(mock)[kind]
    hits = [i for i in range(len(objs)) if pred(objs.at(i))]
    if sorts:
        name = sorts[0].get("propertyName", "hs_object_id")
        desc = sorts[0].get("direction", "ASCENDING") == "DESCENDING"
        if name not in PROPS[kind]:
            raise ValueError("Property %s does not exist" % name)

        def sort_key(i):
            v = typed(kind, name, objs.at(i)["props"].get(name))
            return (v is None, v if v is not None else 0, i)
        hits.sort(key=sort_key, reverse=desc)
    with mock.lock:
        cache[key] = hits
        while len(cache) > 8:
            cache.popitem(last=False)
    return hits


def search(mock, req, m):
    kind = m.group(1)
    if len(req.body) > 3000:
        return error(400, "Request body exceeds 3000 characters")
    try:
        q = req.json()
    except ValueError:
        return error(400, "Invalid JSON input")
    limit = q.get("limit", 10)
    after = q.get("after", "0")
    if not isinstance(limit, int) or not 1 <= limit <= 200:
        return error(400, "limit must be between 1 and 200")
    try:
        after = int(str(after))
    except ValueError:
        return error(400, "after must be an integer, got %s" % after)
    if after >= SEARCH_CAP:
        return error(400, "The search endpoints are limited to 10,000 total "
                     "results for any given query.")
    if len(q.get("sorts", [])) > 1:
        return error(400, "Only one sort is supported")
    try:
        hits = matching(mock, kind, q.get("filterGroups", []),
                        q.get("sorts", []))
    except ValueError as e:
        return error(400, str(e))
    objs = portal(mock)[kind]
    props = q.get("properties") or DEFAULT_PROPS[kind]
    end = min(after + limit, len(hits))
    body = {"total": len(hits),
            "results": [render(kind, objs.at(i), props)
                        for i in hits[after:end]]}
    if end < len(hits):
        body["paging"] = {"next": {"after": str(end)}}
    return json_reply(200, body)


# ---- associations v4 ------------------------------------------------------

def assoc_batch_read(mock, req, m):
    """toObjectId is a JSON number here, unlike v3's string ids."""
    src, dst = m.group(1), m.group(2)
    if OTHER[src] != dst:
        return error(400, "this mock knows contact-deal associations only")
    try:
        inputs = req.json().get("inputs", [])
    except (ValueError, AttributeError):
        return error(400, "Invalid JSON input")
    if len(inputs) > 1000:
        return error(400, "Too many inputs (max 1000)")
    started = hp.iso(int(time.time() * 1000))
    results, errors = [], []
    objs = portal(mock)[src]
    type_id = 3 if src == "deals" else 4
    for item in inputs:
        ident = str(item.get("id", ""))
        rec = objs.get(ident)
        if rec is None or not rec["assoc"]:
            errors.append({"status": "error", "category": "OBJECT_NOT_FOUND",
                           "message": "No %s is associated with %s %s." % (
                               dst[:-1], src[:-1], ident),
                           "context": {"fromObjectId": [ident]}})
            continue
        to = []
        for other in rec["assoc"]:
            types = [{"category": "HUBSPOT_DEFINED", "typeId": type_id,
                      "label": None}]
            if src == "deals" and int(rec["id"]) % 2 == 0:
                types.append({"category": "USER_DEFINED", "typeId": 31,
                              "label": "Decision maker"})
            to.append({"toObjectId": int(other), "associationTypes": types})
        results.append({"from": {"id": ident}, "to": to})
    body = {"status": "COMPLETE", "results": results, "startedAt": started,
            "completedAt": hp.iso(int(time.time() * 1000))}
    if errors:
        body["numErrors"] = len(errors)
        body["errors"] = errors
    return json_reply(207 if errors else 200, body)


# ---- properties and pipelines ---------------------------------------------

def options(mock, kind, name):
    if kind == "contacts" and name == "lifecyclestage":
        return list(zip(hp.STAGES, hp.STAGE_LABELS))
    if kind == "contacts" and name == "hs_analytics_source":
        return hp.SOURCES
    if kind == "deals" and name == "dealstage":
        return hp.DEAL_STAGES
    if kind == "deals" and name == "pipeline":
        return [("default", "Sales Pipeline")]
    if kind == "deals" and name == "hubspot_owner_id":
        return [(v, k) for k, v in portal(mock)["owners"].items()]
    return []


def property_def(mock, kind, name):
    ptype, label = PROPS[kind][name]
    field = {"datetime": "date", "enumeration": "select",
             "number": "number", "string": "text"}[ptype]
    return {"name": name, "label": label, "type": ptype, "fieldType": field,
            "groupName": "contactinformation" if kind == "contacts"
            else "dealinformation",
            "options": [{"label": lab, "value": v, "displayOrder": i,
                         "hidden": False}
                        for i, (v, lab) in enumerate(options(mock, kind,
                                                             name))]}


def list_properties(mock, req, m):
    kind = m.group(1)
    return json_reply(200, {"results": [property_def(mock, kind, n)
                                        for n in PROPS[kind]]})


def get_property(mock, req, m):
    kind, name = m.group(1), m.group(2)
    if name not in PROPS[kind]:
        return error(404, "Unable to find property %s" % name,
                     "OBJECT_NOT_FOUND")
    return json_reply(200, property_def(mock, kind, name))


def pipelines(mock, req, m):
    stages = []
    for i, (ident, label) in enumerate(hp.DEAL_STAGES):
        closed = ident in ("closedwon", "closedlost")
        stages.append({"id": ident, "label": label, "displayOrder": i,
                       "archived": False,
                       "metadata": {"isClosed": "true" if closed else "false",
                                    "probability": "1.0" if ident ==
                                    "closedwon" else
                                    "0.0" if closed else "0.5"}})
    return json_reply(200, {"results": [{"id": "default",
                                         "label": "Sales Pipeline",
                                         "displayOrder": 0, "archived": False,
                                         "stages": stages}]})


# ---- OAuth ----------------------------------------------------------------

def oauth_error(error_code, status, description, http=400):
    return json_reply(http, {"status": status, "message": description,
                             "correlationId": correlation_id(),
                             "error": error_code,
                             "error_description": description})


def oauth_token(mock, req, m):
    """refresh_token grant; parameters in the form body only."""
    c = mock.creds.get("hubspot", {})
    f = req.form()
    if f.get("grant_type") != "refresh_token":
        return oauth_error("unsupported_grant_type", "BAD_GRANT_TYPE",
                           "missing or unsupported grant_type "
                           "(form body expected)")
    if not f.get("client_id") or f["client_id"] != c.get("client_id"):
        return oauth_error("invalid_client", "BAD_CLIENT_ID",
                           "missing or unknown client id")
    if f.get("client_secret") != c.get("client_secret"):
        return oauth_error("invalid_client", "BAD_CLIENT_SECRET",
                           "client id and client secret do not match")
    if not f.get("refresh_token") or \
            f["refresh_token"] != c.get("refresh_token"):
        return json_reply(400, {
            "status": "BAD_REFRESH_TOKEN",
            "message": "missing or unknown refresh token",
            "correlationId": correlation_id(), "error": "invalid_grant",
            "error_description": "refresh token is invalid, expired or "
                                 "revoked"})
    s = mock.settings
    ttl = s["token_ttl"] or s["hubspot.token_ttl"]
    token = mock.tokens.issue("hubspot", ttl, c.get("scopes", ""),
                              prefix="CN", length=s["hubspot.token_length"] - 2)
    return json_reply(200, {"token_type": "bearer",
                            "refresh_token": f["refresh_token"],
                            "access_token": token, "expires_in": int(ttl)})
