#!/usr/bin/env python3
"""Seeds for fuzz_config, fuzz_template and fuzz_json, from what the
repository holds: configs (the examples, the fixtures, the ones written
into the docs, the man page and the integration tests), templates (the
built-in ones, the unit tests' directives) and vendor answers (the mock's
scenarios, the unit tests' pages).

    tests/fuzz/seeds.py CORPUS_ROOT [CACHE]

writes CORPUS_ROOT/config/, CORPUS_ROOT/template/ and CORPUS_ROOT/json/
files named seed-*.  CACHE, when given, is the cache folder of a run
through the connectors (examples/reports-connectors/.cache after
`examples/run-demo connectors`): its pulls' pages, their arrays cut
short, are answers too.  Run from the repository root (tests/fuzz/run
does).
"""
import glob
import hashlib
import json
import os
import re
import sys

MAX_LEN = 16384


def put(root, target, data):
    if isinstance(data, str):
        data = data.encode()
    name = "seed-" + hashlib.sha1(data).hexdigest()[:16]
    with open(os.path.join(root, target, name), "wb") as f:
        f.write(data)


def read(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        return f.read()


# ---- configs ---------------------------------------------------------------

def configs(root):
    for path in glob.glob("examples/*.xml") + glob.glob("tests/fixtures/config/*.xml"):
        put(root, "config", read(path))
    texts = ["README.md", "man/boardpack.xml.5"]
    texts += glob.glob("tests/integration/*.sh") + glob.glob("tests/integration/*.py")
    for path in texts:
        for m in re.finditer(r"<boardpack[ >].*?</boardpack>", read(path), re.S):
            put(root, "config", m.group(0))


# ---- templates -------------------------------------------------------------

HEAD = '<r xmlns:bp="urn:boardpack:template:1">'

# One of each directive and function, over the demo's metrics.xml.
DIRECTIVES = [
    '<p bp:each="/metrics/channels/channel" bp:text="concat($i, \'/\', $n, \':\', @id)"/>',
    '<p bp:each="//cohorts/row" bp:as="r"><q bp:each="$r/@*" bp:text="name()"/></p>',
    '<p bp:if="count(//channel) &gt; 2" bp:attr-class="\'many\'">x</p>',
    '<p bp:text="bp:money(//economics/row[1]/@cost)"/>'
    '<p bp:text="bp:money-short(//economics/row[1]/@cost)"/>',
    '<p bp:text="bp:pct(//cohorts/row[1]/@lead_to_mql, 1)"/>'
    '<p bp:text="bp:num(3.14159, 2)"/><p bp:text="bp:int(\'12345\')"/>',
    '<p bp:text="bp:month-name(/metrics/run/@period)"/>'
    '<p bp:text="bp:month-short(\'2026-02\')"/><p bp:text="bp:date(/metrics/run/@generated)"/>',
    '<p bp:text="bp:delta(120, 100)"/><p bp:text="bp:delta-pt(0.3, 0.25)"/>',
    '<p bp:text="bp:label(\'new_leads\')"/><p bp:text="bp:fmt(bp:label(\'story.record-high\'), \'a\', \'b\', \'c\', \'d\')"/>',
    '<p bp:each="bp:list(\'a b c\')" bp:text="."/>',
    '<bp:fragment bp:each="//window/month"><i bp:text="@id"/></bp:fragment>',
    '<bp:include href="story.xml"/>',
    '<bp:include href="health.xml"/>',
    '<bp:include href="t.html"/>',
    '<bp:chart type="bar" rows="//economics/row[@channel=\'all\']" x="@month" y="@new_leads" format="int" width="400" height="200" title="Leads"/>',
    '<bp:chart type="line" rows="//economics/row" x="@month" y="@cost" series="@channel" format="money-short"/>',
    '<bp:chart type="stacked-bar" rows="//economics/row" x="@month" y="@new_leads" series="@channel" target="10"/>',
    '<p bp:text="bp:channel-name(\'paid_search\')"/><p bp:text="bp:group-name(\'Paid\')"/>',
    '<p bp:text="bp:value(\'cac\', 1234.5)"/><p bp:text="bp:change(\'cac\', 10, 8)"/>'
    '<p bp:text="bp:tone(\'cac\', 10, 8)"/><p bp:text="bp:better(\'cac\')"/>',
    '<p bp:text="bp:when(1, \'a\', \'b\')"/><p bp:text="bp:dash(\'\')"/><p bp:text="bp:age(\'2026-01\')"/>',
    '<bp:chart type="funnel" rows="//cohorts/row[1]/@*" x="name()" y="." order="value"/>',
    '<bp:chart type="heatmap" rows="//cohorts/row" x="@cohort" y="@lead_to_mql" series="@channel" max-series="3" other-label="Other"/>',
    '<p bp:text="bp:max(//economics/row/@cost)"/><p bp:text="bp:min(//economics/row/@cost)"/>',
    '<p bp:text="bp:join(//channel/@label)"/><p bp:text="bp:quarter(\'2026-10\')"/><p bp:text="bp:month-alone(\'2026-10\')"/>',
    '<p bp:text="bp:versus(//targets/*[1])"/><p bp:text="bp:status(//targets/*[1])"/>',
    '<p bp:unknown="1"/>',
    '<p bp:text="$nope"/>',
    '<p bp:text="count(//node()[count(//node()) &gt; 1])"/>',
    '<x:p xmlns:x="urn:x" x:a="1" bp:attr-x:b="2"/>',
    '<p bp:attr-1="\'v\'" bp:attr-xmlns="\'urn:y\'" bp:attr-xml:lang="\'en\'"/>',
    '<p><![CDATA[<b>]]>&amp;&#x1F600;<?pi x?><!-- c --></p>',
]


def templates(root):
    for path in glob.glob("templates/*.html") + glob.glob("templates/*.xml"):
        put(root, "template", read(path))
    for d in DIRECTIVES:
        put(root, "template", HEAD + d + "</r>")
    put(root, "template", '<html xmlns="http://www.w3.org/1999/xhtml" xmlns:bp="urn:boardpack:template:1">'
        '<head><title bp:text="/metrics/report/@title"/></head><body><br/>'
        '<bp:chart type="bar" rows="//economics/row" x="@month" y="@cost"/></body></html>')
    # The unit tests' templates: C strings after HEAD.
    src = read("tests/unit/test_render.c")
    for m in re.finditer(r'HEAD\s*((?:"(?:[^"\\]|\\.)*"\s*)+)', src):
        parts = re.findall(r'"((?:[^"\\]|\\.)*)"', m.group(1))
        text = "".join(parts).encode().decode("unicode_escape", errors="replace")
        put(root, "template", HEAD + text)


# ---- vendor answers --------------------------------------------------------

STATUSES = [200, 201, 204, 301, 400, 401, 403, 404, 409, 426, 429, 500, 502, 503, 504, 530]
VENDORS = {"hubspot": 0, "hubspot-deals": 1, "google": 2, "meta": 3, "linkedin": 4, "ga4": 5}


def answer(vendor, status, layout, *parts):
    body = b"\0".join(p if isinstance(p, bytes) else p.encode() for p in parts)
    return bytes([VENDORS[vendor], STATUSES.index(status), layout]) + body


def vendor_of(name):
    for key in ("hubspot", "google-ads", "meta", "linkedin", "ga4"):
        if name.startswith(key):
            return "google" if key == "google-ads" else key
    return None


def small(j, keep=3):
    """The answer with its arrays cut to their first elements."""
    if isinstance(j, list):
        return [small(x, keep) for x in j[:keep]]
    if isinstance(j, dict):
        return {k: small(v, keep) for k, v in j.items()}
    return j


def answers(root):
    for path in sorted(glob.glob("tests/mocks/scenarios/*.json")):
        name = os.path.basename(path)
        vendor = vendor_of(name)
        reply = json.loads(read(path)).get("reply", {})
        if not vendor:
            continue
        status = reply.get("status", 200)
        status = status if status in STATUSES else 500
        headers = "".join("%s: %s\r\n" % kv for kv in reply.get("headers", {}).items())
        for key in ("body", "append"):
            if key in reply:
                body = json.dumps(reply[key])
                put(root, "json", answer(vendor, status, 0x40, body, headers))
                if vendor == "hubspot":
                    put(root, "json", answer("hubspot-deals", status, 0, body))
    # The unit tests' pages: pull("{meta}", "NNNNNN-kind.json", "text", ...).
    src = read("tests/unit/test_conn.c")
    for m in re.finditer(r'pull\((.*?)NULL\);', src, re.S):
        strings = re.findall(r'((?:"(?:[^"\\]|\\.)*"\s*)+)', m.group(1))
        vals = ["".join(re.findall(r'"((?:[^"\\]|\\.)*)"', s)).encode().decode("unicode_escape")
                for s in strings]
        pages = list(zip(vals[1::2], vals[2::2]))
        if not pages:
            continue
        kinds = [re.sub(r"^\d+-|\.json$", "", n) for n, _ in pages]
        texts = [t for _, t in pages][:4]
        second = {"campaigns", "account"}
        layout = sum(1 << i for i, k in enumerate(kinds[:4]) if k in second)
        for vendor, marks in (("hubspot", ["contacts"]), ("hubspot-deals", ["deals"]),
                              ("google", ["stream"]), ("meta", ["insights"]),
                              ("linkedin", ["analytics"]), ("ga4", ["report"])):
            if any(k in marks for k in kinds):
                put(root, "json", answer(vendor, 200, layout | 0x10, *texts))
    # HubSpot's export, as CSV (layout bit 0: the first part is export.csv).
    put(root, "json", answer("hubspot", 200, 0x01,
        "hs_object_id,createdate,lifecyclestage,hs_analytics_source,Associated Deal IDs\n"
        "100451,1705521304281,customer,PAID_SEARCH,15691491587;77\n"))
    put(root, "json", answer("hubspot-deals", 200, 0x01,
        "hs_object_id,dealname,dealstage,closedate,amount,createdate,pipeline,"
        "deal_currency_code,Associated Contact IDs\n"
        "15691491587,Big,closedwon,2026-10-02,1500.00,2026-09-01,default,EUR,100451\n"))


# The second kind of page of each connector (fuzz_json.c's layout bits).
SECOND = {"google-ads": "campaigns", "linkedin": "campaigns"}


def pulls(root, cache):
    for index in sorted(glob.glob(os.path.join(cache, "*", "index.json"))):
        idx = json.loads(read(index))
        conn = idx.get("connector")
        files = [e["file"] for e in idx.get("requests", [])]
        vendor = {"hubspot": "hubspot", "google-ads": "google", "meta": "meta",
                  "linkedin": "linkedin", "ga4": "ga4"}.get(conn)
        if not vendor:
            continue
        if vendor == "hubspot" and any(f.endswith("-deals.json") for f in files):
            vendor = "hubspot-deals"
        # The second kind first (LinkedIn's names before the analytics),
        # then the first pages of the other.
        second = [f for f in files if f.endswith("-%s.json" % SECOND.get(conn, "-"))]
        first = [f for f in files if f not in second and not f.endswith("-account.json")]
        for start in (0, 1):
            chosen = (second[:1] + first[start:start + 3])[:4]
            texts, layout = [], 0x10
            for i, f in enumerate(chosen):
                page = small(json.loads(read(os.path.join(os.path.dirname(index), f))))
                texts.append(json.dumps(page, ensure_ascii=False))
                layout |= (1 << i) if f in second else 0
            if texts:
                put(root, "json", answer(vendor, 200, layout, *texts))


def main():
    root = sys.argv[1]
    for t in ("config", "template", "json"):
        os.makedirs(os.path.join(root, t), exist_ok=True)
    configs(root)
    templates(root)
    answers(root)
    if len(sys.argv) > 2 and os.path.isdir(sys.argv[2]):
        pulls(root, sys.argv[2])


if __name__ == "__main__":
    main()
