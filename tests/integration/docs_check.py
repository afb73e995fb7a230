#!/usr/bin/env python3
"""Holds the documentation to what the code has, for test_docs.sh.

  docs_check.py options HELP MAN1 README
      the commands and the options of `boardpack --help` (saved in HELP),
      of boardpack(1) and of README.md's "Command line" are the same
  docs_check.py schema SCHEMA_C MAN5
      every element and attribute of the RELAX NG grammar in
      src/config_schema.c is documented in boardpack.xml(5), and nothing
      else is
  docs_check.py wrapper HELP MAN1 README
      the options and the BOARDPACK_* variables of
      `boardpack-monthly --help` match boardpack-monthly(1) and the
      variables of cron/README.md's "Settings"
  docs_check.py commands HELP DIR
      for each command C of `boardpack --help`, DIR/C holds the output of
      `boardpack C --help`: that command's usage, whose options are all
      explained under its Options, and options the general help has,
      not the general help itself
  docs_check.py lists HELP
      prints the commands, then the options, of `boardpack --help`

Exit 0 when everything matches, 1 with one line per difference otherwise.
"""
import re
import sys
import xml.etree.ElementTree as ET

OPTION = re.compile(r"(?<![\w/.-])(--?[A-Za-z][A-Za-z0-9-]*)")
VARIABLE = re.compile(r"\bBOARDPACK_[A-Z_]+\b")
RNG = "{http://relaxng.org/ns/structure/1.0}"


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


# ---- roff ---------------------------------------------------------------

def unroff(text):
    """Roff source as the words a reader sees: escapes out, dashes plain."""
    text = re.sub(r"\\f(\[[^]]*\]|\(..|.)", "", text)
    text = text.replace("\\-", "-").replace("\\&", "").replace("\\e", "\\")
    text = re.sub(r"\\\(..", " ", text)
    return text


def man_sections(src):
    """{section name: [lines]} of a man page's source, lines unescaped."""
    out, name = {}, None
    for line in src.splitlines():
        if line.startswith('.\\"'):
            continue
        m = re.match(r"\.SH\s+\"?([^\"]*)\"?\s*$", line)
        if m:
            name = m.group(1).strip().upper()
            out.setdefault(name, [])
        elif name:
            out[name].append(unroff(line))
    return out


def macro_words(line):
    """The visible words of a line such as `.BR \\-c ", " \\-\\-config`."""
    if line.startswith("."):
        line = re.sub(r"^\.[A-Za-z]+\s*", "", line)
    return line.replace('"', " ")


def tp_tags(lines):
    """The tag line of every .TP entry, with the lines of its body."""
    out, i = [], 0
    while i < len(lines):
        if lines[i].startswith(".TP") and i + 1 < len(lines):
            body, j = [], i + 2
            while j < len(lines) and not re.match(r"\.(TP|SS|SH)\b", lines[j]):
                body.append(lines[j])
                j += 1
            out.append((lines[i + 1], " ".join(macro_words(b) for b in body)))
            i = j
        else:
            i += 1
    return out


# ---- boardpack --help, boardpack(1), README.md --------------------------

def help_lists(text):
    """(commands, options) of `boardpack --help`."""
    commands, in_commands = set(), False
    for line in text.splitlines():
        if line.strip() == "Commands:":
            in_commands = True
        elif in_commands and not line.strip():
            in_commands = False
        elif in_commands:
            m = re.match(r"  ([a-z][a-z-]*)\s{2,}", line)
            if m:
                commands.add(m.group(1))
    return commands, set(OPTION.findall(text))


def man1_lists(src):
    sections = man_sections(src)
    for need in ("SYNOPSIS", "COMMANDS", "OPTIONS"):
        if need not in sections:
            raise SystemExit("boardpack(1) has no %s section" % need)
    commands = set()
    for tag, _ in tp_tags(sections["COMMANDS"]):
        commands.update(macro_words(tag).split()[:1])
    options = set()
    for name in ("SYNOPSIS", "COMMANDS", "OPTIONS"):
        for line in sections[name]:
            options.update(OPTION.findall(macro_words(line)))
    return commands, options


def markdown_section(text, title, level="##"):
    m = re.search(r"^%s %s\n(.*?)(?=^%s |\Z)" % (level, re.escape(title), level),
                  text, re.S | re.M)
    if not m:
        raise SystemExit("README has no '%s %s' section" % (level, title))
    return m.group(1)


def readme_lists(text):
    section = markdown_section(text, "Command line")
    block = re.search(r"```\n(.*?)```", section, re.S)
    if not block:
        raise SystemExit("README's Command line section has no code block")
    commands = set(re.findall(r"^boardpack ([a-z][a-z-]*)", block.group(1), re.M))
    return commands, set(OPTION.findall(section))


def compare(what, lists, problems):
    """lists: [(name, set)]; one problem per name that one lacks."""
    union = set().union(*(s for _, s in lists))
    for name, s in lists:
        missing = sorted(union - s)
        if missing:
            problems.append("%s: %s lacks %s" % (what, name, ", ".join(missing)))


def check_options(help_path, man_path, readme_path):
    problems = []
    hc, ho = help_lists(read(help_path))
    mc, mo = man1_lists(read(man_path))
    rc, ro = readme_lists(read(readme_path))
    if not hc or not ho:
        problems.append("no commands or no options found in boardpack --help")
    compare("commands", [("boardpack --help", hc), ("boardpack(1)", mc),
                         ("README.md Command line", rc)], problems)
    compare("options", [("boardpack --help", ho), ("boardpack(1)", mo),
                        ("README.md Command line", ro)], problems)
    return problems


def check_commands(help_path, folder):
    problems = []
    commands, options = help_lists(read(help_path))
    for c in sorted(commands):
        try:
            text = read("%s/%s" % (folder, c))
        except OSError:
            problems.append("%s: no output of 'boardpack %s --help'" % (c, c))
            continue
        if not text.startswith("usage: boardpack %s " % c):
            problems.append("%s: its help does not start with its usage line" % c)
        if "Commands:" in text:
            problems.append("%s: its help is the general help" % c)
        usage, _, rest = text.partition("\n\n")
        explained = rest.partition("\nOptions:\n")[2].partition("\n\n")[0]
        opts = set(OPTION.findall(explained))
        for o in sorted(set(OPTION.findall(usage)) - opts):
            problems.append("%s: its usage has %s, which its Options do not explain" % (c, o))
        for o in sorted(opts - options):
            problems.append("%s: explains %s, which boardpack --help does not have" % (c, o))
    return problems


# ---- the schema and boardpack.xml(5) -------------------------------------

def schema_text(c_source):
    """The grammar: the C string literals that initialise bp_config_schema."""
    start = c_source.index("bp_config_schema[] =")
    literal = re.compile(r'"((?:[^"\\\n]|\\.)*)"|/\*.*?\*/|;', re.S)
    parts = []
    for m in literal.finditer(c_source, start):
        if m.group(0) == ";":
            break
        if m.group(1) is not None:
            parts.append(m.group(1))
    escapes = {"n": "\n", "t": "\t"}
    return re.sub(r"\\(.)", lambda e: escapes.get(e.group(1), e.group(1)),
                  "".join(parts))


def schema_names(grammar):
    """{element name: set of its attribute names}, every element reached."""
    root = ET.fromstring(grammar)
    defines = {d.get("name"): d for d in root.iter(RNG + "define")}
    found, seen = {}, set()

    def content(node, owner, refs):
        for child in node:
            if child.tag == RNG + "element":
                element(child)
            elif child.tag == RNG + "attribute":
                if child.get("name") is None:
                    raise SystemExit("an attribute without a name in <%s>: "
                                     "teach docs_check.py about it" % owner)
                found[owner].add(child.get("name"))
            elif child.tag == RNG + "ref":
                name = child.get("name")
                if name not in refs:
                    content(defines[name], owner, refs | {name})
            else:
                content(child, owner, refs)

    def element(node):
        if id(node) in seen:
            return
        seen.add(id(node))
        name = node.get("name")
        if name is None:
            raise SystemExit("an element without a name: teach docs_check.py")
        found.setdefault(name, set())
        content(node, name, frozenset())

    start = root.find(RNG + "start")
    content(start, None, frozenset())
    return found


def man5_names(src):
    """{element: {attribute: its text}} of boardpack.xml(5)'s ELEMENTS."""
    lines = man_sections(src).get("ELEMENTS")
    if lines is None:
        raise SystemExit("boardpack.xml(5) has no ELEMENTS section")
    found, problems, owners, block = {}, [], [], []

    def flush():
        for tag, body in tp_tags(block):
            m = re.match(r"\.B\s+(\S+)\s*$", tag)
            if not m:
                problems.append("boardpack.xml(5): entry '%s' under <%s> is "
                                "not tagged '.B name'" % (tag, ", ".join(owners)))
                continue
            for o in owners:
                found[o][m.group(1)] = body

    for line in lines:
        m = re.match(r"\.SS\s+(.*)$", line)
        if m:
            flush()
            owners = re.findall(r"<([A-Za-z][\w.-]*)>", m.group(1))
            if not owners:
                problems.append("boardpack.xml(5): subsection '%s' names no "
                                "<element>" % m.group(1))
            for o in owners:
                found.setdefault(o, {})
            block = []
        else:
            block.append(line)
    flush()
    return found, problems


def check_schema(schema_c, man_path):
    schema = schema_names(schema_text(read(schema_c)))
    man, problems = man5_names(read(man_path))
    if len(schema) < 2:
        problems.append("found only %d elements in the schema" % len(schema))
    for el in sorted(set(schema) - set(man)):
        problems.append("boardpack.xml(5) lacks element <%s>" % el)
    for el in sorted(set(man) - set(schema)):
        problems.append("boardpack.xml(5) documents <%s>, which the schema "
                        "does not have" % el)
    for el in sorted(set(schema) & set(man)):
        for a in sorted(schema[el] - set(man[el])):
            problems.append("boardpack.xml(5) lacks %s/@%s" % (el, a))
        for a in sorted(set(man[el]) - schema[el]):
            problems.append("boardpack.xml(5) documents %s/@%s, which the "
                            "schema does not have" % (el, a))
        for a in sorted(schema[el] & set(man[el])):
            if "Default:" not in man[el][a] and "Required" not in man[el][a]:
                problems.append("boardpack.xml(5): %s/@%s says neither "
                                "'Default:' nor 'Required'" % (el, a))
    return problems


# ---- boardpack-monthly ---------------------------------------------------

def check_wrapper(help_path, man_path, readme_path):
    text = read(help_path)
    usage = text.split("\n\n", 1)[0]
    sections = man_sections(read(man_path))
    man_opts = set()
    for name in ("SYNOPSIS", "OPTIONS"):
        for line in sections.get(name, []):
            man_opts.update(OPTION.findall(macro_words(line)))
    man_opts.discard("--")
    man_vars = set(VARIABLE.findall(" ".join(sections.get("ENVIRONMENT", []))))
    readme_vars = set(VARIABLE.findall(markdown_section(read(readme_path),
                                                         "Settings")))
    problems = []
    # The usage lines name the short forms; the man page may add long ones.
    for o in sorted(set(OPTION.findall(usage)) - man_opts):
        problems.append("options: boardpack-monthly(1) lacks %s" % o)
    compare("variables", [("boardpack-monthly --help", set(VARIABLE.findall(text))),
                          ("boardpack-monthly(1)", man_vars),
                          ("cron/README.md Settings", readme_vars)], problems)
    return problems


def main(argv):
    if len(argv) < 3:
        raise SystemExit(__doc__)
    what, args = argv[1], argv[2:]
    if what == "lists":
        commands, options = help_lists(read(args[0]))
        print(" ".join(sorted(commands)))
        print(" ".join(sorted(options)))
        return 0
    checks = {"options": check_options, "commands": check_commands,
              "schema": check_schema,
              "wrapper": check_wrapper}
    if what not in checks:
        raise SystemExit(__doc__)
    problems = checks[what](*args)
    for p in problems:
        print(p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
