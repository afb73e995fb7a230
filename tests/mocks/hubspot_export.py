"""HubSpot's CRM exports API (CONNECTORS.md 1.5): start an export, poll its
status through PENDING and PROCESSING to COMPLETE, download the result from
a pre-signed URL on the mock's second port.  That URL needs no
Authorization header (whether one was sent is recorded in the request log),
expires a set time after the status reply that gave it, and serves a zip
when the CSV is over 2 MB, when it has more rows than one part holds, or
when a setting says so.

The file is written in a background thread when the export starts, so a
million-row export is ready after a few polls without blocking the server.
"""

import csv
import hashlib
import hmac
import os
import secrets
import threading
import time
import zipfile

import hubspot as hs
import hubspot_portal as hp
from mockcore import Reply, json_reply, text_reply

TYPES = {"CONTACT": "contacts", "0-1": "contacts", "DEAL": "deals",
         "0-3": "deals"}
ASSOC_LABEL = {"deals": "Associated Deal IDs",
               "contacts": "Associated Contact IDs"}


def register(mock):
    s = mock.settings
    s.define("hubspot.export_start_status", 202,
             "HTTP status of a started export (200 or 202)")
    s.define("hubspot.export_states", ["PENDING", "PROCESSING"],
             "states reported by successive polls before COMPLETE")
    s.define("hubspot.export_url_ttl", 300.0,
             "seconds a result URL stays valid after its status reply")
    s.define("hubspot.export_zip", "auto",
             "auto (zip over the size limit or with several parts) | always")
    s.define("hubspot.export_zip_bytes", 2 * 1024 * 1024,
             "a CSV larger than this is served zipped")
    s.define("hubspot.export_part_rows", 1000000, "rows per CSV part")
    s.define("hubspot.export_bom", True, "start each CSV with a UTF-8 BOM")
    s.define("hubspot.export_reject_auth", False,
             "refuse a download that carries an Authorization header")
    r = mock.router
    base = r"/crm/(?:v3/exports|exports/20\d\d-\d\d)/export"
    r.add("POST", base + r"/async", hs.api(start))
    r.add("GET", base + r"/async/tasks/(\w+)/status", hs.api(status))
    r.add("GET", base + r"/(\w+)", hs.api(metadata))
    r.add("GET", r"/hubspot-exports/(\w+)/([\w.-]+)", download,
          port="download")


class Task:
    def __init__(self, ident, spec, kind):
        self.id = ident
        self.spec = spec
        self.kind = kind
        self.polls = 0
        self.requested = time.time()
        self.done = threading.Event()
        self.file = None
        self.name = None
        self.rows = 0
        self.failed = None
        self.started = self.completed = None


def tasks(mock):
    return mock.vendor_state("hubspot.exports", dict)


def secret(mock):
    return mock.vendor_state("hubspot.export_secret",
                             lambda: secrets.token_bytes(16))


def start(mock, req, m):
    try:
        spec = req.json()
    except ValueError:
        return hs.error(400, "Invalid JSON input")
    kind = TYPES.get(str(spec.get("objectType", spec.get("objectTypeId"))))
    if kind is None:
        return hs.error(400, "objectType must be CONTACT or DEAL in this "
                        "mock")
    if spec.get("exportType") not in ("VIEW", "LIST"):
        return hs.error(400, "exportType must be VIEW or LIST")
    if spec.get("format", "CSV") != "CSV":
        return hs.error(400, "this mock writes CSV exports only")
    names = spec.get("objectProperties") or []
    unknown = [n for n in names if n not in hs.PROPS[kind]]
    if not names or unknown:
        return hs.error(400, "Unknown or missing objectProperties: %s" %
                        ", ".join(unknown or ["(none)"]))
    search = spec.get("publicCrmSearchRequest") or {}
    try:
        pred = hs.compile_groups(kind, search.get("filterGroups", []))
    except ValueError as e:
        return hs.error(400, str(e))
    table = tasks(mock)
    with mock.lock:
        ident = str(40000001 + len(table))
        task = table[ident] = Task(ident, spec, kind)
    threading.Thread(target=build, args=(mock, task, pred), daemon=True).start()
    base = mock.base_url() + req.path.rsplit("/export/", 1)[0]
    return json_reply(mock.settings["hubspot.export_start_status"], {
        "id": ident,
        "links": {"status": "%s/export/async/tasks/%s/status" % (base, ident)}})


def cell(kind, rec, name, internal, clock, owners):
    v = rec["props"].get(name)
    if v is None:
        return ""
    ptype = hs.PROPS[kind][name][0]
    if internal:
        return str(v)
    if ptype == "datetime":
        return clock.local(v)
    if ptype == "enumeration":
        table = {"lifecyclestage": zip(hp.STAGES, hp.STAGE_LABELS),
                 "hs_analytics_source": hp.SOURCES,
                 "dealstage": hp.DEAL_STAGES,
                 "pipeline": [("default", "Sales Pipeline")],
                 "hubspot_owner_id": [(i, n) for n, i in owners.items()]}
        return dict(table.get(name, [])).get(v, v)
    return str(v)


def build(mock, task, pred):
    """Writes the export's CSV parts, zipped when HubSpot would zip them."""
    try:
        write_files(mock, task, pred)
    except Exception as e:  # the status reply reports it, the mock goes on
        task.failed = str(e)
    task.done.set()


def write_files(mock, task, pred):
    s = mock.settings
    spec, kind = task.spec, task.kind
    opts = spec.get("exportInternalValuesOptions") or []
    names = spec["objectProperties"]
    assoc = spec.get("associatedObjectType")
    header = [n if "NAMES" in opts else hs.PROPS[kind][n][1] for n in names]
    if assoc:
        header.append(ASSOC_LABEL[hs.OTHER[kind]])
    portal = hs.portal(mock)
    objs, clock, owners = portal[kind], portal["clock"], portal["owners"]
    internal = "VALUES" in opts
    folder = mock.workdir
    base = "".join(ch if ch.isalnum() or ch in "-_" else "_"
                   for ch in spec.get("exportName", "export")) or "export"
    parts, out, f, rows_in_part = [], None, None, 0
    for i in range(len(objs)):
        rec = objs.at(i)
        if not pred(rec):
            continue
        if f is None or rows_in_part >= s["hubspot.export_part_rows"]:
            if f:
                f.close()
            path = os.path.join(folder, "%s-%s-%d.csv" % (task.id, base,
                                                          len(parts) + 1))
            parts.append(path)
            f = open(path, "w", encoding="utf-8-sig" if s["hubspot.export_bom"]
                     else "utf-8", newline="")
            out = csv.writer(f, quoting=csv.QUOTE_ALL, lineterminator="\n")
            out.writerow(header)
            rows_in_part = 0
        row = [cell(kind, rec, n, internal, clock, owners) for n in names]
        if assoc:
            row.append(";".join(rec["assoc"]))
        out.writerow(row)
        rows_in_part += 1
        task.rows += 1
    if f is None:
        path = os.path.join(folder, "%s-%s-1.csv" % (task.id, base))
        with open(path, "w", encoding="utf-8-sig" if s["hubspot.export_bom"]
                  else "utf-8", newline="") as f:
            csv.writer(f, quoting=csv.QUOTE_ALL,
                       lineterminator="\n").writerow(header)
        parts.append(path)
    else:
        f.close()
    big = sum(os.path.getsize(p) for p in parts) > s["hubspot.export_zip_bytes"]
    if len(parts) == 1 and not big and s["hubspot.export_zip"] != "always":
        task.file, task.name = parts[0], base + ".csv"
        return
    zpath = os.path.join(folder, "%s-%s.zip" % (task.id, base))
    with zipfile.ZipFile(zpath, "w", zipfile.ZIP_DEFLATED) as z:
        for k, p in enumerate(parts):
            arc = base + (".csv" if len(parts) == 1 else "-%d.csv" % (k + 1))
            z.write(p, arc)
            os.unlink(p)
    task.file, task.name = zpath, base + ".zip"


def iso_s(t):
    return hp.iso(int(t * 1000), millis=False) if t else None


def status(mock, req, m):
    task = tasks(mock).get(m.group(1))
    if task is None:
        return hs.error(404, "Export task %s not found" % m.group(1),
                        "OBJECT_NOT_FOUND")
    states = mock.settings["hubspot.export_states"]
    task.polls += 1
    state = states[task.polls - 1] if task.polls <= len(states) else \
        "COMPLETE" if task.done.is_set() else "PROCESSING"
    if state == "COMPLETE" and task.failed:
        state = "CANCELED"
    now = time.time()
    if state != "PENDING" and task.started is None:
        task.started = now
    if state == "COMPLETE" and task.completed is None:
        task.completed = now
    body = {"status": state, "requestedAt": iso_s(task.requested),
            "startedAt": iso_s(task.started),
            "completedAt": iso_s(task.completed) if state == "COMPLETE"
            else None,
            "numErrors": 0, "errors": [], "links": {}}
    if state == "COMPLETE":
        body["result"] = result_url(mock, task)
    elif state == "CANCELED":
        body["numErrors"] = 1
        body["errors"] = [{"status": "error", "message": task.failed}]
    return json_reply(200, body)


def signature(mock, task_id, expires):
    msg = ("%s:%d" % (task_id, expires)).encode()
    return hmac.new(secret(mock), msg, hashlib.sha256).hexdigest()


def result_url(mock, task):
    """A fresh pre-signed URL, valid export_url_ttl seconds from now."""
    ttl = mock.settings["hubspot.export_url_ttl"]
    expires = int((time.time() + ttl) * 1000)
    return "%s/hubspot-exports/%s/%s?Expires=%d&Signature=%s" % (
        mock.base_url("download"), task.id, task.name, expires,
        signature(mock, task.id, expires))


def metadata(mock, req, m):
    task = tasks(mock).get(m.group(1))
    if task is None:
        return hs.error(404, "Export %s not found" % m.group(1),
                        "OBJECT_NOT_FOUND")
    return json_reply(200, {
        "id": task.id, "exportName": task.spec.get("exportName"),
        "exportType": task.spec.get("exportType"),
        "objectType": task.spec.get("objectType"),
        "objectProperties": task.spec.get("objectProperties"),
        "exportState": "DONE" if task.done.is_set() else "PROCESSING",
        "recordCount": task.rows, "createdAt": iso_s(task.requested)})


def s3_error(status, code, message):
    body = ('<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>%s</Code>'
            '<Message>%s</Message></Error>' % (code, message))
    return text_reply(status, body, ctype="application/xml")


def download(mock, req, m):
    sent_auth = "Authorization" in req.headers
    task = tasks(mock).get(m.group(1))
    try:
        expires = int(req.arg("Expires", ""))
    except ValueError:
        expires = None
    if task is None or expires is None or task.name != m.group(2) or \
            not hmac.compare_digest(req.arg("Signature", ""),
                                    signature(mock, task.id, expires)):
        reply = s3_error(403, "AccessDenied", "Access Denied")
    elif time.time() * 1000 > expires:
        reply = s3_error(403, "AccessDenied", "Request has expired")
    elif sent_auth and mock.settings["hubspot.export_reject_auth"]:
        reply = s3_error(400, "InvalidArgument",
                         "Only one auth mechanism allowed")
    else:
        zipped = task.name.endswith(".zip")
        reply = Reply(200, path=task.file,
                      ctype="application/zip" if zipped
                      else "text/csv; charset=utf-8")
        reply.add_header("Content-Disposition",
                         'attachment; filename="%s"' % task.name)
    reply.log_extra["authorization_sent"] = sent_auth
    return reply

