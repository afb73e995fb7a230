/*
 * mail.h - delivers a finished snapshot by email (libcurl SMTP with MIME).
 *
 * The message is multipart/mixed:
 *   multipart/alternative
 *       text/plain   derived from email.html: the <head>, <style> and
 *                    <script> contents dropped, block elements (p, div,
 *                    br, tr, li, h1-h6, table...) turned into line breaks,
 *                    cells into spaces, the common entities decoded, runs
 *                    of blanks collapsed, at most one empty line in a row
 *       text/html    email.html as rendered into the snapshot
 *   application/pdf  report.pdf, base64
 *   text/html        report.html, only with attach-html="true"
 * Headers: From, To, Cc (Bcc recipients are only in the envelope),
 * Subject (RFC 2047 UTF-8 encoded words when not ASCII), Date (UTC),
 * Message-ID (the same on every retry of one send, so receivers can drop
 * duplicates).
 *
 * When the snapshot has no email.html (reports not rendered) the body is
 * plain text that lists the snapshot's files.  When it has no report.pdf
 * nothing is attached and the body says so.  Attachments are added in the
 * order above while their encoded size (4/3 of the file plus a CRLF per
 * 76 characters) keeps the total within email->max_bytes; one that does
 * not fit is left out and the body says where it is in the snapshot.
 *
 * Transport: smtps:// (implicit TLS) or smtp:// with STARTTLS required;
 * plain SMTP only with tls="none", and then only to this host (localhost,
 * 127.0.0.0/8, ::1).  Peer and host verification always on; the email's
 * ca-file (the config puts the global one there when it has none) or the
 * system store.  Credentials: the user from the environment variable
 * user-env, the password from password-env or from password-file (refused
 * when group or others may read it; trailing blanks and newline dropped).
 * Secrets never appear in messages, logs or delivery.log; URLs are shown
 * as scheme://host:port only.
 *
 * Retries: connect errors, timeouts, dropped connections and 4xx replies
 * (a 421 greeting, a 451 after DATA) are retried BP_MAIL_RETRIES times,
 * waiting 1 s, 2 s, 4 s (capped at 60 s).  BOARDPACK_RETRY_BASE_MS
 * replaces the 1 s base delay (tests set it to a few milliseconds).  A
 * recipient the server rejects (4xx or 5xx to RCPT) does not stop delivery
 * to the others and is not retried: it is reported.
 *
 * delivery.log, in the snapshot folder beside MANIFEST.sha256 (the
 * snapshot module leaves it out of the manifest), gets one line per
 * attempt, tab-separated:
 *   UTC-TIME  sent|failed  ACCEPTED  REJECTED  ERROR
 * e.g. "2026-11-01T06:00:03Z\tsent\ta@x.example,b@x.example\t
 * c@x.example (550 5.1.1 no such user)\t-".  Addresses are comma-separated;
 * an empty field is "-"; tabs and line breaks in replies become spaces.
 */
#ifndef BP_MAIL_H
#define BP_MAIL_H

#include "config.h"
#include "err.h"

#define BP_MAIL_RETRIES 3

/* Sends the snapshot in `dir` per cfg->email.  `period` ("YYYY-MM") and
 * cfg->title fill the subject: email->subject may hold {title} and
 * {period}; the default is "{title} — {period}".  Appends to
 * dir/delivery.log (one line per attempt, a failure included, except when
 * there is no <email> or the log itself cannot be opened).
 *
 * Returns 0 when the server accepted the message for at least one
 * recipient.  Then, when `report` is not NULL, *report is NULL if every
 * recipient was accepted, else "rejected by the server: ADDR (REPLY), ..."
 * which the caller frees.  Returns -1 with `err` set (and *report NULL):
 *   BP_ECONFIG    no <email> in the config; an unsupported url; tls none
 *                 with smtps:// or to another host; a missing environment
 *                 variable (named, never its value); a password file that
 *                 cannot be read or is readable by group or others; a user
 *                 without a password or the reverse; an unreadable
 *                 ca-file; the server refused the login
 *   BP_ENOINPUT   `dir` is not a folder
 *   BP_ECANTCREAT dir/delivery.log cannot be written (nothing is sent)
 *   BP_EUNAVAIL   the server cannot be reached (after the retries), TLS
 *                 failure, no STARTTLS offered, every recipient rejected,
 *                 a 5xx reply
 *   BP_ETEMPFAIL  still a 4xx reply after the retries
 *   BP_ESOFTWARE  libcurl cannot start, or cannot read an attachment it
 *                 was given */
int bp_mail_send(const bp_config *cfg, const char *dir, const char *period,
		 char **report, bp_err *err);

/* 1 when dir/delivery.log records a successful send ("sent" line), else 0
 * (no log, unreadable log, only failures). */
int bp_mail_was_sent(const char *dir);

/* 1 when a snapshot of `period` under `output_dir`, other than the one at
 * `except`, records a successful send; else 0. */
int bp_mail_period_sent(const char *output_dir, const char *period,
			const char *except);

/* The plain-text rendering of an HTML document described above.  Returns
 * a new string (caller frees). */
char *bp_mail_html_to_text(const char *html);

/* `text` as the value of a Subject header: unchanged when it is ASCII,
 * else RFC 2047 "=?UTF-8?B?...?=" words of at most 75 characters, never
 * splitting a UTF-8 sequence, separated by CRLF and a space (folding).
 * Returns a new string (caller frees). */
char *bp_mail_encode_header(const char *text);

#endif
