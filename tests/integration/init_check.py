#!/usr/bin/env python3
"""Reads what `boardpack init` wrote, for test_init.sh.  What a preset
reads is taken from README.md (its preset tables and its `preset` row),
never from boardpack's code; tests/unit/test_ingest.c holds those tables
to the code's.

  init_check.py presets README
      prints "KIND PRESET" for every preset the README names
  init_check.py man MAN1
      prints "KIND PRESET" for every preset boardpack(1) names under
      init's --contacts, --spend and --traffic (--contacts: contacts and
      deals)
  init_check.py fields README CONFIG CHECK_OUT
      every source of CONFIG has a comment that names each field of its
      preset (marked * when required) and, for a file, each header name
      the field goes by; CHECK_OUT (what `boardpack check` printed) says
      which preset each source is, as the config loader resolved it.
      Prints "KIND PRESET" for each source.
  init_check.py urls CONFIG
      prints "KIND ID URL" for each file source
  init_check.py place CONFIG GENDIR
      copies bp-gen's exports from GENDIR to where CONFIG's urls say
  init_check.py mock CONFIG MOCK_URL CA
      does what the comments of a connector config say, with the
      credentials and accounts the vendor mock accepts, and points every
      source and client at the mock

Exit 0 when all is well, 1 with one line per problem otherwise.
"""
import os
import re
import shutil
import sys
import xml.etree.ElementTree as ET

NS = "{urn:boardpack:config:1}"
KINDS = ("contacts", "deals", "spend", "traffic")
# README: "the csv presets ... read the same fields as hubspot,
# google-ads and ga4".
CSV_LIKE = {"contacts": "hubspot", "deals": "hubspot", "spend": "google-ads",
            "traffic": "ga4"}
# bp-gen's file for each preset's export.
GEN_FILE = {("contacts", "hubspot"): "contacts.csv", ("contacts", "csv"): "contacts.csv",
            ("deals", "hubspot"): "deals.csv", ("deals", "csv"): "deals.csv",
            ("spend", "google-ads"): "google-ads.csv", ("spend", "csv"): "google-ads.csv",
            ("spend", "linkedin"): "linkedin.tsv", ("spend", "meta"): "meta.csv",
            ("traffic", "ga4"): "ga4.csv", ("traffic", "csv"): "ga4.csv"}


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def readme_presets(readme):
    """[(kind, preset)] from the README's `source `preset`` table row."""
    m = re.search(r"^\| source `preset` \| (.*?) \|", readme, re.M)
    if not m:
        raise SystemExit("README has no 'source `preset`' row")
    out = []
    for part in m.group(1).split(";"):
        kinds, names = part.split(":", 1)
        for kind in kinds.strip().split("/"):
            for name in re.findall(r"`([^`]+)`", names):
                out.append((kind, name))
    return out


def readme_fields(readme, kind, preset):
    """[(field, required, [headers])] of the README's table for a preset."""
    preset = CSV_LIKE[kind] if preset == "csv" else preset
    head = "**`%s` %s**" % (preset, kind)
    at = readme.find(head)
    if at < 0:
        raise SystemExit("README has no table %s" % head)
    fields = []
    for line in readme[at + len(head):].lstrip("\n").splitlines():
        if not line.startswith("|"):
            if fields:
                break
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 3 or not cells[0].startswith("`"):
            continue
        fields.append((cells[0].strip("`"), cells[1] == "yes",
                       re.findall(r"`([^`]+)`", cells[2])))
    if not fields:
        raise SystemExit("README's table %s has no rows" % head)
    return fields


def sources(config):
    """[(element, the text of the comments right before it)]."""
    parser = ET.XMLParser(target=ET.TreeBuilder(insert_comments=True))
    root = ET.fromstring(read(config), parser=parser)
    found = root.find(NS + "sources")
    if found is None:
        raise SystemExit("%s has no <sources>" % config)
    out, comments = [], []
    for child in found:
        if child.tag is ET.Comment:
            comments.append(child.text or "")
        else:
            out.append((child, "\n".join(comments)))
            comments = []
    return root, out


def check_presets(check_out):
    """{source id: (kind, preset)} from `boardpack check`'s source lines."""
    got = {}
    for m in re.finditer(r"^  (\S+)\s+(contacts|deals|spend|traffic)\s+preset (\S+)",
                         read(check_out), re.M):
        got[m.group(1)] = (m.group(2), m.group(3))
    return got


def cmd_fields(readme_path, config, check_out):
    readme = read(readme_path)
    resolved = check_presets(check_out)
    problems = []
    _, srcs = sources(config)
    for el, comment in srcs:
        kind, sid = el.tag[len(NS):], el.get("id")
        if sid not in resolved:
            problems.append("check did not list source '%s'" % sid)
            continue
        if resolved[sid][0] != kind:
            problems.append("source '%s' is a %s, check says %s" % (sid, kind, resolved[sid][0]))
        preset = resolved[sid][1]
        print(kind, preset)
        if not comment:
            problems.append("source '%s' has no comment" % sid)
        for field, required, headers in readme_fields(readme, kind, preset):
            mark = r" \*" if required else ""
            if el.get("connector"):
                # One list: "id *, created *, lead, ..."
                want = re.compile(r"(?<![\w*])%s%s(?=[,.])" % (re.escape(field), mark))
            else:
                # One line per field: its name, then its headers.
                want = re.compile(r"^\s+%s%s\s{2,}\S" % (re.escape(field), mark), re.M)
            if not want.search(comment):
                problems.append("source '%s' (%s %s): the comment does not name "
                                "field '%s'%s" % (sid, kind, preset, field,
                                                  " as required" if required else ""))
            if el.get("connector"):
                continue
            for h in headers:
                if h not in comment:
                    problems.append("source '%s' (%s %s): the comment lacks the "
                                    "header '%s' of field '%s'" % (sid, kind, preset, h, field))
    for p in problems:
        print(p, file=sys.stderr)
    return 1 if problems else 0


def cmd_urls(config):
    _, srcs = sources(config)
    for el, _ in srcs:
        if el.get("url"):
            print(el.tag[len(NS):], el.get("id"), el.get("url"))
    return 0


def cmd_place(config, gendir):
    _, srcs = sources(config)
    base = os.path.dirname(os.path.abspath(config))
    for el, _ in srcs:
        kind, url = el.tag[len(NS):], el.get("url")
        dest = os.path.join(base, url)
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        shutil.copyfile(os.path.join(gendir, GEN_FILE[(kind, el.get("preset"))]), dest)
    return 0


# What the vendor mock accepts (lib.sh's mock_credentials), by connector.
MOCK = {
    "hubspot": {"token": "pat-na1-11111111-2222-3333-4444-555555555555"},
    "google-ads": {"account": "123-456-7890", "client_id": "123-test.apps.googleusercontent.com",
                   "client_secret": "g-client-secret", "refresh": "1//g-refresh-token",
                   "token_path": "/token", "login": "987-654-3210"},
    "meta": {"account": "act_1029384756", "token": "EAAB-system-user-token"},
    "linkedin": {"account": "508812345", "client_id": "li-client-id",
                 "client_secret": "li-client-secret", "refresh": "AQW-refresh-token",
                 "token_path": "/oauth/v2/accessToken"},
    "ga4": {"account": "123456789", "token_path": "/token"},
}


def write_secret(base, rel, text):
    path = os.path.join(base, rel)
    os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)


def cmd_mock(config, url, ca):
    """Follows the comments: secrets into the files the config names,
    accounts and client ids in place of the placeholders; then points
    every source and client at the mock (which a user would not do)."""
    text = read(config)
    root, srcs = sources(config)
    base = os.path.dirname(os.path.abspath(config))
    clients = {o.get("id"): o for o in root.iter(NS + "oauth")}
    for el, _ in srcs:
        conn = el.get("connector")
        m = MOCK[conn]
        if el.get("token-file"):
            write_secret(base, el.get("token-file"), m["token"] + "\n")
        if el.get("account"):
            text = text.replace('account="%s"' % el.get("account"),
                                'account="%s"' % m["account"], 1)
        if conn == "google-ads":
            text = text.replace('id="%s" connector="google-ads"' % el.get("id"),
                                'id="%s" connector="google-ads" login-customer-id="%s"'
                                % (el.get("id"), m["login"]), 1)
        o = clients.get(el.get("oauth"))
        if o is None:
            continue
        if o.get("service-account-file"):
            write_secret(base, o.get("service-account-file"), read(os.environ["SA_JSON"]))
        if o.get("client-id"):
            text = text.replace('client-id="%s"' % o.get("client-id"),
                                'client-id="%s"' % m["client_id"], 1)
            write_secret(base, o.get("client-secret-file"), m["client_secret"] + "\n")
            write_secret(base, o.get("refresh-token-file"), m["refresh"] + "\n")
        text = text.replace('<oauth id="%s"' % o.get("id"),
                            '<oauth id="%s" token-url="%s%s"' % (o.get("id"), url, m["token_path"]), 1)
    text = re.sub(r'(<(?:contacts|deals|spend|traffic) id="[^"]*")',
                  r'\1 api-base="%s" pacing="false"' % url, text)
    text = text.replace("<report ", '<report ca-file="%s" ' % ca, 1)
    with open(config, "w", encoding="utf-8") as f:
        f.write(text)
    return 0


def cmd_man(man1):
    """The bold words in parentheses of the entries of --contacts,
    --spend and --traffic in boardpack(1)'s source."""
    entries, kind = {}, None
    for line in read(man1).splitlines():
        m = re.match(r'\.BI \\-\\-(contacts|spend|traffic) ', line)
        if m:
            kind = m.group(1)
            entries[kind] = []
        elif line.startswith((".TP", ".SH")):
            kind = None
        elif kind and re.match(r"\.(B|BR|RB) ", line):
            words = re.sub(r"^\.\w+ ", "", line).replace("\\-", "-")
            for w in re.findall(r"[a-z][a-z0-9-]*", words):
                if w != "init":
                    entries[kind].append(w)
    for kind in ("contacts", "spend", "traffic"):
        for name in entries.get(kind, []):
            for k in (("contacts", "deals") if kind == "contacts" else (kind,)):
                print(k, name)
    return 0


def cmd_presets(readme):
    for kind, preset in readme_presets(read(readme)):
        print(kind, preset)
    return 0


def main(argv):
    cmds = {"presets": (1, cmd_presets), "man": (1, cmd_man),
            "fields": (3, cmd_fields), "urls": (1, cmd_urls), "place": (2, cmd_place),
            "mock": (3, cmd_mock)}
    if len(argv) < 2 or argv[1] not in cmds or len(argv) - 2 != cmds[argv[1]][0]:
        raise SystemExit(__doc__)
    return cmds[argv[1]][1](*argv[2:]) or 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
