#!/usr/bin/env python3
"""The peers' SQL for one contacts export, its placeholders filled in.

    peersql.py ENGINE SHAPE CONTACTS.csv DEALS.csv AS_OF MONTH... > script.sql

ENGINE is duckdb or sqlite; SHAPE one of bp-gen's --shape names (demo,
dense, api, text, wide).  The result is load-ENGINE.sql followed by
cohorts.sql.  cohorts.sql is the same for every shape: it wants
contacts_in(rn, id, created, source, d_lead, d_mql, d_sql, d_opp, d_cust,
deal_ids) with every date as local text ('YYYY-MM-DD HH:MM[:SS]', the
report's zone), so that text order is time order and the month is the
first 7 characters.  What differs between shapes is only how the loader
gets there: which header holds which field, whether stamps are UTC
(METRICS.md: every instant is converted to the report's zone before it is
put in a month), and whether an evangelist column exists (it counts as
customer: the earlier of the two dates).
"""
import csv
import datetime as dt
import os
import sys
from zoneinfo import ZoneInfo

PEER_DIR = os.path.dirname(os.path.abspath(__file__))
TZ = "Asia/Seoul"

# The labels exports made before about 2024 use (FORMATS.md).
LEGACY = {
    "id": "Record ID", "created": "Create Date", "source": "Original Source",
    "d_lead": "Became a Lead Date",
    "d_mql": "Became a Marketing Qualified Lead Date",
    "d_sql": "Became a Sales Qualified Lead Date",
    "d_opp": "Became an Opportunity Date",
    "d_cust": "Became a Customer Date",
    "deal_ids": "Associated Deal IDs",
}


def entered(stage):
    return f'Date entered "{stage} (Lifecycle Stage Pipeline)"'


# The current labels.
CURRENT = {
    "id": "Record ID", "created": "Create Date",
    "source": "Original Traffic Source",
    "d_lead": entered("Lead"), "d_mql": entered("Marketing Qualified Lead"),
    "d_sql": entered("Sales Qualified Lead"), "d_opp": entered("Opportunity"),
    "d_cust": entered("Customer"), "d_ev": entered("Evangelist"),
    "deal_ids": "Associated Deal IDs",
}

# shape: (labels, stamps in UTC)
SHAPES = {
    "demo": (LEGACY, False),
    "dense": (LEGACY, False),
    "api": (LEGACY, True),
    "text": (LEGACY, False),
    "wide": (CURRENT, False),
}
DATES = ("created", "d_lead", "d_mql", "d_sql", "d_opp", "d_cust", "d_ev")


def header(path):
    with open(path, newline="", encoding="utf-8-sig") as f:
        return next(csv.reader(f))


def utc_offset_minutes(months):
    """The report zone's offset over the data, which must not change: the
    SQL adds it as a constant (neither engine here has a zone database).
    Asia/Seoul has had no daylight saving time since 1988."""
    zone = ZoneInfo(TZ)
    first = int(months[0][:4]) - 2
    offsets = {zone.utcoffset(dt.datetime(y, m, 1)) for y in range(first, first + 5)
               for m in range(1, 13)}
    if len(offsets) != 1:
        sys.exit(f"peersql: {TZ} changes its offset; the UTC shape needs a fixed one")
    return int(offsets.pop().total_seconds() // 60)


def quote_ident(name):
    return '"' + name.replace('"', '""') + '"'


def column_refs(engine, labels, hdr):
    """field -> SQL expression of its raw column.  SQLite's table has
    positional columns c1..cN (a real export repeats some headers, which
    .import would rename with a notice); DuckDB reads the header."""
    refs = {}
    for field, label in labels.items():
        if label not in hdr:
            sys.exit(f"peersql: no column '{label}' in the contacts file")
        if engine == "sqlite":
            refs[field] = f"c{hdr.index(label) + 1}"
        else:
            refs[field] = quote_ident(label)
    return refs


def local_date(engine, ref, offset):
    """A UTC 'YYYY-MM-DDTHH:MM:SS.mmmZ' as local 'YYYY-MM-DD HH:MM:SS'
    (milliseconds dropped, as boardpack keeps whole seconds)."""
    if engine == "sqlite":
        return (f"CASE WHEN {ref} = '' THEN '' ELSE strftime('%Y-%m-%d %H:%M:%S', "
                f"substr({ref}, 1, 19), '{offset:+d} minutes') END")
    return (f"CASE WHEN COALESCE({ref}, '') = '' THEN NULL ELSE "
            f"strftime(CAST(substr({ref}, 1, 19) AS TIMESTAMP) + INTERVAL ({offset}) MINUTE, "
            f"'%Y-%m-%d %H:%M:%S') END")


def earlier(engine, a, b):
    """The earlier of two optional dates."""
    least = "min" if engine == "sqlite" else "least"
    return (f"CASE WHEN COALESCE({a}, '') = '' THEN {b} WHEN COALESCE({b}, '') = '' "
            f"THEN {a} ELSE {least}({a}, {b}) END")


def contact_columns(engine, shape, hdr, months):
    labels, utc = SHAPES[shape]
    refs = column_refs(engine, labels, hdr)
    if utc:
        offset = utc_offset_minutes(months)
        for f in DATES:
            if f in refs:
                refs[f] = local_date(engine, refs[f], offset)
    if "d_ev" in refs:
        refs["d_cust"] = earlier(engine, refs["d_cust"], refs.pop("d_ev"))
    refs["id"] = f"trim({refs['id']})"
    order = ("id", "created", "source", "d_lead", "d_mql", "d_sql", "d_opp",
             "d_cust", "deal_ids")
    return ",\n       ".join(f"{refs[f]} AS {f}" for f in order), refs["id"]


def script(engine, shape, contacts, deals, as_of, months):
    hdr = header(contacts)
    cols, id_expr = contact_columns(engine, shape, hdr, months)
    subst = {
        "{{CONTACTS}}": os.path.abspath(contacts),
        "{{DEALS}}": os.path.abspath(deals),
        "{{AS_OF}}": as_of,
        "{{MONTHS}}": ", ".join(f"('{m}')" for m in months),
        "{{CONTACT_COLUMNS}}": cols,
        "{{CONTACT_ID}}": id_expr,
        "{{CONTACTS_TABLE}}": "CREATE TABLE contacts_raw(" +
                              ", ".join(f"c{i + 1} TEXT" for i in range(len(hdr))) + ");",
    }
    text = ""
    for name in (f"load-{engine}.sql", "cohorts.sql"):
        with open(os.path.join(PEER_DIR, name), encoding="utf-8") as f:
            part = f.read()
        for k, v in subst.items():
            # Paths sit inside quotes in the SQL already.
            if k in ("{{CONTACTS}}", "{{DEALS}}"):
                part = part.replace(f"'{k}'", "'" + v.replace("'", "''") + "'")
            part = part.replace(k, v)
        text += part + "\n"
    return text


if __name__ == "__main__":
    if len(sys.argv) < 7 or sys.argv[1] not in ("duckdb", "sqlite") or sys.argv[2] not in SHAPES:
        sys.exit(__doc__.split("\n\n")[1])
    sys.stdout.write(script(sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4],
                            sys.argv[5], sys.argv[6:]))
