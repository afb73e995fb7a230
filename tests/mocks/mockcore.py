"""The shared core of boardpack's vendor mock: requests, replies, routing,
settings, scenario rules, issued tokens and the request log.

A vendor module (hubspot.py, google_ads.py, ...) defines its settings and
adds routes to the Mock in its register(mock) function; a route's handler
takes (mock, request, match) and returns a Reply.  Nothing here knows any
vendor.  Behaviour a test injects (a 429 on the third request, an expired
token) comes from scenario files, applied by Scenarios before or after the
route's handler, so handlers only describe what the real API always does.
"""

import base64
import json
import re
import secrets
import threading
import time
import urllib.parse


class Request:
    """One HTTP request as the handlers see it.  `query` is decoded the
    usual way (a dict of lists); `query_raw` is the query string exactly as
    sent, for parsers that must see the client's own encoding (Rest.li)."""

    def __init__(self, method, target, headers, body, port):
        self.method = method
        self.target = target
        split = urllib.parse.urlsplit(target)
        self.path = split.path
        self.query_raw = split.query
        self.query = urllib.parse.parse_qs(split.query, keep_blank_values=True)
        self.headers = headers
        self.body = body
        self.port = port
        self.started = time.time()

    def arg(self, name, default=None):
        """The last value of query parameter `name`, or default."""
        vals = self.query.get(name)
        return vals[-1] if vals else default

    def header(self, name, default=None):
        return self.headers.get(name, default)

    def bearer(self):
        """The token of an "Authorization: Bearer" header, or None."""
        auth = self.headers.get("Authorization", "")
        if auth[:7].lower() == "bearer ":
            return auth[7:].strip()
        return None

    def is_form(self):
        ctype = self.headers.get("Content-Type", "")
        return ctype.split(";")[0].strip().lower() == \
            "application/x-www-form-urlencoded"

    def form(self):
        """The form fields of a urlencoded body (a dict of last values); an
        empty dict when the body is not a form.  The query string is never
        read: token endpoints take their parameters in the body only."""
        if not self.is_form():
            return {}
        try:
            text = self.body.decode("utf-8")
        except UnicodeDecodeError:
            return {}
        pairs = urllib.parse.parse_qsl(text, keep_blank_values=True)
        return dict(pairs)

    def json(self):
        """The body parsed as JSON; raises ValueError when it is not."""
        return json.loads(self.body.decode("utf-8") if self.body else "")


class Reply:
    """A reply: status, headers, and one of a JSON value (`obj`, kept as a
    value so scenarios can still edit it), raw bytes, or a file to stream."""

    def __init__(self, status=200, obj=None, body=None, headers=None,
                 ctype=None, path=None):
        self.status = status
        self.obj = obj
        self.body = body
        self.path = path
        self.headers = list((headers or {}).items())
        if ctype is None:
            ctype = "application/json; charset=utf-8" if body is None \
                else "text/plain; charset=utf-8"
        self.ctype = ctype
        self.close = False
        self.scenario = None
        self.log_extra = {}

    def add_header(self, name, value):
        self.headers.append((name, str(value)))

    def payload(self):
        """The body bytes (not for file replies)."""
        if self.body is not None:
            return self.body
        if self.obj is None:
            return b""
        return json.dumps(self.obj, ensure_ascii=False,
                          separators=(",", ":")).encode("utf-8")


def json_reply(status, obj, headers=None):
    return Reply(status, obj=obj, headers=headers)


def text_reply(status, text, ctype="text/plain; charset=utf-8", headers=None):
    if isinstance(text, str):
        text = text.encode("utf-8")
    return Reply(status, body=text, headers=headers, ctype=ctype)


class Router:
    """(port, method, path regex) -> handler.  The first route that matches
    wins; a path that matches with another method gets 405."""

    def __init__(self):
        self.routes = []

    def add(self, method, pattern, handler, port="api"):
        self.routes.append((port, method, re.compile(pattern + r"\Z"),
                            handler))

    def find(self, req):
        wrong_method = False
        for port, method, rx, handler in self.routes:
            if port != req.port:
                continue
            m = rx.match(req.path)
            if not m:
                continue
            if method != req.method:
                wrong_method = True
                continue
            return handler, m
        return None, wrong_method


class Settings:
    """Named switches ("hubspot.export_zip") with a default, a type taken
    from the default, and one line of help.  Set from the command line
    (--set NAME=VALUE and a few named options) or from scenario files."""

    def __init__(self):
        self.values = {}
        self.help = {}

    def define(self, name, default, help_text):
        self.values.setdefault(name, default)
        self.help[name] = (default, help_text)

    def __getitem__(self, name):
        return self.values[name]

    def set(self, name, value):
        if name not in self.help:
            raise KeyError("unknown setting '%s'" % name)
        default = self.help[name][0]
        if isinstance(value, str) and not isinstance(default, str):
            value = self.coerce(name, value, default)
        self.values[name] = value

    @staticmethod
    def coerce(name, text, default):
        try:
            if isinstance(default, bool):
                if text.lower() in ("1", "true", "on", "yes"):
                    return True
                if text.lower() in ("0", "false", "off", "no"):
                    return False
                raise ValueError(text)
            if isinstance(default, int):
                return int(text)
            if isinstance(default, float):
                return float(text)
            if isinstance(default, list):
                return [v for v in text.split(",") if v]
        except ValueError:
            pass
        raise ValueError("bad value for setting '%s': %s" % (name, text))

    def describe(self):
        lines = []
        for name in sorted(self.help):
            default, text = self.help[name]
            lines.append("  %-34s %-12s %s" % (name, json.dumps(default),
                                               text))
        return "\n".join(lines)


class Rule:
    """One scenario rule: from the nth request matching `match`, reply with
    `reply`, `times` times (times -1: for ever)."""

    def __init__(self, spec, source):
        self.source = source
        self.match = spec.get("match", {})
        self.nth = int(spec.get("nth", 1))
        self.times = int(spec.get("times", 1))
        self.reply = spec.get("reply", {})
        self.seen = 0
        self.used = 0
        self.path_rx = re.compile(self.match.get("path", ".*"))
        self.body_rx = re.compile(self.match["body"]) \
            if "body" in self.match else None
        self.query_rx = {k: re.compile(v) for k, v in
                         self.match.get("query", {}).items()}
        self.header_rx = {k: re.compile(v) for k, v in
                          self.match.get("headers", {}).items()}

    def matches(self, req):
        m = self.match
        if m.get("method") and m["method"] != req.method:
            return False
        if m.get("port", "api") != req.port:
            return False
        if not self.path_rx.search(req.path):
            return False
        for name, rx in self.query_rx.items():
            if req.arg(name) is None or not rx.search(req.arg(name)):
                return False
        for name, rx in self.header_rx.items():
            if not rx.search(req.header(name, "")):
                return False
        if self.body_rx:
            text = req.body.decode("utf-8", "replace")
            if not self.body_rx.search(text):
                return False
        return True

    def eligible(self):
        """Whether this rule would reply now: the nth matching request has
        come and fewer than `times` replies were given."""
        return self.seen >= self.nth and (self.times < 0 or
                                          self.used < self.times)


class Scenarios:
    """Rules from scenario files, in load order."""

    def __init__(self):
        self.rules = []
        self.lock = threading.Lock()

    def load(self, path, settings):
        with open(path, encoding="utf-8") as f:
            spec = json.load(f)
        name = path.rsplit("/", 1)[-1]
        for key, value in spec.get("settings", {}).items():
            settings.set(key, value)
        rules = spec.get("rules", [])
        if "reply" in spec:
            rules = [spec] + rules
        for r in rules:
            self.rules.append(Rule(r, name))

    def pick(self, req):
        """The rule that takes this request, or None.  Every matching rule
        counts the request; the first eligible one, in load order, replies.
        A rule whose nth request was taken by an earlier rule replies to the
        next one instead, so quirks of several files follow one another."""
        chosen = None
        with self.lock:
            for rule in self.rules:
                if not rule.matches(req):
                    continue
                rule.seen += 1
                if chosen is None and rule.eligible():
                    rule.used += 1
                    chosen = rule
        return chosen


def apply_rule(rule, reply):
    """Edits the handler's reply as a pass-through rule says: `merge` into a
    JSON object, `keep` the first N elements of a JSON array and `append`
    more, add `headers`."""
    spec = rule.reply
    if reply.obj is not None:
        if "merge" in spec and isinstance(reply.obj, dict):
            reply.obj.update(spec["merge"])
        if "keep" in spec and isinstance(reply.obj, list):
            reply.obj = reply.obj[:int(spec["keep"])]
        if "append" in spec and isinstance(reply.obj, list):
            reply.obj.extend(spec["append"])
    if "status" in spec:
        reply.status = int(spec["status"])
    for k, v in spec.get("headers", {}).items():
        reply.add_header(k, v)
    reply.scenario = rule.source
    return reply


def rule_reply(rule):
    """The canned reply of a rule that does not pass through."""
    spec = rule.reply
    headers = dict(spec.get("headers", {}))
    if "body" in spec:
        r = Reply(int(spec.get("status", 200)), obj=spec["body"])
    else:
        r = text_reply(int(spec.get("status", 200)), spec.get("text", ""),
                       ctype=headers.pop("Content-Type",
                                         "text/plain; charset=utf-8"))
    for k, v in headers.items():
        if k.lower() == "content-type":
            r.ctype = v
        else:
            r.add_header(k, v)
    r.close = bool(spec.get("close"))
    r.scenario = rule.source
    return r


class Tokens:
    """Access tokens: the ones the token endpoints issue (with an expiry),
    and static ones from the credentials file (never expiring, unless listed
    as expired).  A token belongs to one vendor and carries its scopes."""

    def __init__(self):
        self.issued = {}
        self.lock = threading.Lock()

    def add_static(self, vendor, token, scopes="", expired=False):
        self.issued[token] = {"vendor": vendor, "scopes": scopes.split(),
                              "expires": 1.0 if expired else None,
                              "kind": "static"}

    def issue(self, vendor, ttl, scopes="", prefix="", length=40, kind="oauth"):
        body = secrets.token_urlsafe(length)[:length]
        token = prefix + body
        with self.lock:
            self.issued[token] = {"vendor": vendor, "scopes": scopes.split(),
                                  "expires": time.time() + ttl, "kind": kind}
        return token

    def check(self, vendor, token):
        """("ok", info), ("expired", info) or ("unknown", None)."""
        with self.lock:
            info = self.issued.get(token) if token else None
        if not info or info["vendor"] != vendor:
            return "unknown", None
        if info["expires"] is not None and info["expires"] <= time.time():
            return "expired", info
        return "ok", info

    def expire(self, token):
        with self.lock:
            if token in self.issued:
                self.issued[token]["expires"] = time.time() - 1


class RequestLog:
    """Every request as one JSON line: what the client sent, on which port,
    and what it got back (status, and the scenario file when one replied)."""

    def __init__(self, path):
        self.path = path
        self.lock = threading.Lock()
        self.f = open(path, "a", encoding="utf-8") if path else None

    def write(self, req, reply, extra=None):
        if not self.f:
            return
        try:
            body = req.body.decode("utf-8")
            enc = None
        except UnicodeDecodeError:
            body = base64.b64encode(req.body).decode("ascii")
            enc = "base64"
        entry = {
            "time": round(req.started, 3),
            "port": req.port,
            "method": req.method,
            "path": req.path,
            "query": req.query_raw,
            "headers": {k: v for k, v in req.headers.items()},
            "body": body,
            "status": reply.status,
        }
        if enc:
            entry["body_encoding"] = enc
        if reply.scenario:
            entry["scenario"] = reply.scenario
        entry.update(reply.log_extra)
        if extra:
            entry.update(extra)
        line = json.dumps(entry, ensure_ascii=False)
        with self.lock:
            self.f.write(line + "\n")
            self.f.flush()


class Mock:
    """Everything one mock process holds, shared by all vendors."""

    def __init__(self, settings, creds, data):
        self.settings = settings
        self.creds = creds
        self.data = data
        self.router = Router()
        self.scenarios = Scenarios()
        self.tokens = Tokens()
        self.log = None
        self.lock = threading.Lock()
        self.ports = {}
        self.state = {}

    def base_url(self, port="api"):
        return "https://127.0.0.1:%d" % self.ports[port]

    def vendor_state(self, name, factory):
        """Per-vendor mutable state, made on first use."""
        with self.lock:
            if name not in self.state:
                self.state[name] = factory()
            return self.state[name]

    def handle(self, req):
        rule = self.scenarios.pick(req)
        if rule and rule.reply.get("expire_token"):
            self.tokens.expire(req.bearer() or req.arg("access_token"))
        if rule and rule.reply.get("delay"):
            time.sleep(float(rule.reply["delay"]))
        passes = rule and (rule.reply.get("pass") or
                           rule.reply.get("expire_token"))
        if rule and not passes:
            return rule_reply(rule)
        handler, found = self.router.find(req)
        if handler is None:
            reply = json_reply(405 if found else 404, {
                "error": "the mock has no %s for %s" % (
                    "such method" if found else "route", req.path)})
        else:
            reply = handler(self, req, found)
        if rule:
            reply = apply_rule(rule, reply)
        return reply


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text):
    pad = "=" * (-len(text) % 4)
    return base64.urlsafe_b64decode(text + pad)


def correlation_id():
    h = secrets.token_hex(16)
    return "%s-%s-%s-%s-%s" % (h[:8], h[8:12], h[12:16], h[16:20], h[20:])
