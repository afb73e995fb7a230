#!/usr/bin/env python3
"""Checks the label tables of a template folder against its templates.

    labels_check.py TEMPLATE_DIR

Every labels/<language>.xml has the keys of labels/en.xml, no more, and
each text uses the same placeholders ({1}..{9}) as the English one; every
key a template names literally (bp:label('...'), and the prefixes it builds
keys from: bp:label(concat('kpi.', ...))) is in the English table; every
metric a template passes through bp:list to bp:label has its label.
Prints each problem and exits 1 on any.  Standard library only.
"""
import glob
import os
import re
import sys
import xml.etree.ElementTree as ET


def table(path):
    root = ET.parse(path).getroot()
    assert root.tag == "labels", f"{path}: root is <{root.tag}>"
    keys = {}
    for e in root.iter("label"):
        k = e.get("key")
        if k in keys:
            raise SystemExit(f"{path}: key {k!r} twice")
        keys[k] = "".join(e.itertext())
    return keys


def main():
    d = sys.argv[1]
    problems = []
    en = table(os.path.join(d, "labels", "en.xml"))
    langs = sorted(glob.glob(os.path.join(d, "labels", "*.xml")))
    for path in langs:
        t = table(path)
        name = os.path.basename(path)
        for k in sorted(set(en) - set(t)):
            problems.append(f"{name}: no {k!r}")
        for k in sorted(set(t) - set(en)):
            problems.append(f"{name}: {k!r} is not an English key")
        for k in set(t) & set(en):
            a = sorted(set(re.findall(r"\{\d\}", en[k])))
            b = sorted(set(re.findall(r"\{\d\}", t[k])))
            if a != b:
                problems.append(f"{name}: {k!r} uses {b}, English {a}")
            if not t[k].strip():
                problems.append(f"{name}: {k!r} is empty")
    # Every warning code the sources give has its words (warning.<code>).
    src = os.path.join(d, os.pardir, "src")
    for c in sorted(glob.glob(os.path.join(src, "*.c"))):
        text = open(c, encoding="utf-8").read()
        for code in re.findall(r'\bwarn\((?:r->)?q, "([a-z0-9-]+)"', text) + \
                re.findall(r'"code", BAD_CAST "([a-z0-9-]+)"', text):
            if f"warning.{code}" not in en:
                problems.append(f"en.xml: no 'warning.{code}' for the code {os.path.basename(c)} warns with")
    used = set()
    for tpl in glob.glob(os.path.join(d, "*.html")) + glob.glob(os.path.join(d, "*.xml")):
        text = open(tpl, encoding="utf-8").read()
        for k in re.findall(r"bp:label\('([^']+)'\)", text):
            used.add(k)
        # keys made from a prefix and a list: concat('kpi.', $m) over bp:list
        lists = re.findall(r"bp:list\('([^']+)'\)\"\s+bp:as=\"(\w+)\"", text)
        for words, var in lists:
            for prefix in re.findall(r"bp:label\(concat\('([^']*)', \$%s(?:, '([^']*)')?\)\)" % var, text):
                for w in words.split():
                    used.add(prefix[0] + w + prefix[1])
            if re.search(r"bp:label\(\$%s\)" % var, text):
                used.update(words.split())
    for k in sorted(used - set(en)):
        problems.append(f"templates use {k!r}, which labels/en.xml lacks")
    for p in problems:
        print(p)
    print(f"{len(langs)} label tables, {len(en)} keys, {len(used)} used literally; "
          f"{len(problems)} problems")
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
