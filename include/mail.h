/*
 * mail.h - delivers a finished snapshot by email (libcurl SMTP; the MIME
 * message is written here).
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
 * Subject (folded, or RFC 2047 UTF-8 encoded words when not ASCII: see
 * bp_mail_header), Date (UTC), Message-ID (the same in every batch and on
 * every retry of one send, so receivers can drop duplicates), and the
 * MIME headers.  No header line passes BP_MAIL_LINE characters but an
 * address over 74 characters on its own line (at most BP_MAIL_ADDR_MAX);
 * none ever passes RFC 5322's 998.  Text parts are quoted-printable.
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
 * user-env, the password from password-env or from password-file (one
 * line, owner-only: secret.h's rules).
 * Secrets never appear in messages, logs or delivery.log; URLs are shown
 * as scheme://host:port only.
 *
 * Replies: before AUTH a server's reply is kept as it reads (a 421
 * greeting says why the server is busy); once AUTH has been sent, only
 * its code, enhanced code and their meaning in our words ("535 5.7.8
 * authentication credentials invalid"), in messages, the report and
 * delivery.log alike: some servers repeat the login, even the password,
 * in what they answer.
 *
 * Batches: at most BP_MAIL_BATCH recipients per transaction (RFC 5321
 * has every server take 100), one transaction per batch, over one
 * connection and login while they succeed.  Every batch gets the same
 * message.  A server that answers 452 (too many recipients) to some gets
 * them in later transactions, and batches of what it took.
 *
 * Retries: connect errors, timeouts, dropped connections and 4xx replies
 * (a 421 greeting, a 451 after DATA) are retried BP_MAIL_RETRIES times per
 * batch, on a new connection, waiting 1 s, 2 s, 4 s (capped at 60 s).
 * BOARDPACK_RETRY_BASE_MS replaces the 1 s base delay (tests set it to a
 * few milliseconds).  A batch that still fails stops the send: later
 * batches are not tried.  A recipient the server rejects with 5xx to RCPT
 * does not stop delivery to the others and is not retried: it is
 * reported; one it answers 4xx goes in a later batch, up to
 * BP_MAIL_RETRIES times, then is reported too.
 *
 * delivery.log, in the snapshot folder beside MANIFEST.sha256 (the
 * snapshot module leaves it out of the manifest), mode 0600 (an existing
 * one is made 0600; a symbolic link, FIFO or file with other names there
 * is refused), gets one line per attempt at a batch, tab-separated:
 *   UTC-TIME  STATUS  ACCEPTED  REJECTED  NOTE  BATCH
 *   STATUS    sent: the server took the message for ACCEPTED;
 *             failed: it took it for nobody (ACCEPTED is "-", even when
 *             it had accepted RCPTs), NOTE says why;
 *             earlier: ACCEPTED had it from the snapshot NOTE names (a
 *             run of a period another snapshot reached in part)
 *   REJECTED  "ADDR (CODE X.Y.Z MEANING)", comma-separated: our words,
 *             never the server's
 *   BATCH     "K/N": batch K of the N planned when it started; "-" for
 *             a line that is about no batch
 * e.g. "2026-11-01T06:00:03Z\tsent\ta@x.example,b@x.example\t
 * c@x.example (550 5.1.1 bad destination mailbox address)\t-\t1/1".
 * Addresses are comma-separated; an empty field is "-"; tabs and line
 * breaks in NOTE become spaces.  A line is written and fdatasync'ed
 * before the next batch starts.
 *
 * What is done: a recipient the log lists in ACCEPTED of a "sent" or
 * "earlier" line, or with a 5xx in REJECTED of any line (the server's
 * final word), is done; everyone else is still to be sent to.  Addresses
 * compare without regard to case; each is sent once however many lists
 * name it.
 */
#ifndef BP_MAIL_H
#define BP_MAIL_H

#include <stddef.h>

#include "config.h"
#include "err.h"

#define BP_MAIL_RETRIES 3
#define BP_MAIL_BATCH 100       /* recipients per transaction, at most */
#define BP_MAIL_ADDR_MAX 254    /* RFC 5321's path limit, less "<>" */
#define BP_MAIL_LINE 78         /* RFC 5322's line length, CRLF aside */
#define BP_MAIL_EW_LINE 76      /* RFC 2047's, for lines of encoded words */

/* bp_mail_send's flags: whom it leaves out. */
#define BP_MAIL_RESEND 1  /* nobody: send to every recipient again */
#define BP_MAIL_PERIOD 2  /* also those that another snapshot of the period
			   * (a sibling folder under output/period/) reached */

typedef struct bp_mail_result {
	size_t recipients;  /* distinct envelope addresses */
	size_t earlier;     /* left out: done before this send */
	size_t delivered;   /* the server took the message for them now */
	size_t unrecorded;  /* of those, the ones delivery.log could not
			     * record: a later send may mail them again */
	size_t rejected;    /* refused now: 5xx, or 4xx after the retries */
	char *report;       /* NULL, or "rejected by the server: ADDR
			     * (REPLY), ..." (at most 20 named) */
} bp_mail_result;

/* Sends the snapshot in `dir` per cfg->email to the recipients not done
 * yet (above): none is done with BP_MAIL_RESEND; with BP_MAIL_PERIOD
 * those the other snapshots of `period` under cfg->output_dir record
 * count too, and an "earlier" line names them in this log.  `period`
 * ("YYYY-MM") and cfg->title fill the subject: email->subject may hold
 * {title} and {period}; the default is "{title} — {period}".  Appends to
 * dir/delivery.log (a line per attempt, a failure included, except when
 * there is no <email>, the log itself cannot be opened, or nobody is
 * left to send to: then nothing is written).
 *
 * Returns 0 when every batch was settled and someone has the report (or
 * had it already, or nobody was left: res->earlier == res->recipients).
 * res (may be NULL) is filled either way; res->report is NULL when
 * nobody was rejected; free it with bp_mail_result_clear.  Returns -1
 * with `err` set:
 *   BP_ECONFIG    no <email> in the config; no recipient, or an address
 *                 over BP_MAIL_ADDR_MAX; an unsupported url; tls none
 *                 with smtps:// or to another host; a missing
 *                 environment variable (named, never its value); a
 *                 password file refused by secret.h's rules; a user
 *                 without a password or the reverse; an unreadable
 *                 ca-file; the server refused the login
 *   BP_ENOINPUT   `dir` is not a folder
 *   BP_ECANTCREAT dir/delivery.log cannot be written (nothing is sent),
 *                 or a delivery could not be recorded (the send stops)
 *   BP_EUNAVAIL   the server cannot be reached (after the retries), TLS
 *                 failure, no STARTTLS offered, every recipient rejected,
 *                 a 5xx reply
 *   BP_ETEMPFAIL  still a 4xx reply after the retries, or every
 *                 recipient deferred
 *   BP_ESOFTWARE  libcurl cannot start, or an attachment cannot be read
 * A failed batch leaves res->delivered as what the earlier batches
 * reached: a later send goes to the others only. */
int bp_mail_send(const bp_config *cfg, const char *dir, const char *period,
		 int flags, bp_mail_result *res, bp_err *err);

/* Frees res->report and zeroes *res.  Accepts NULL. */
void bp_mail_result_clear(bp_mail_result *res);

/* 1 when dir/delivery.log records a delivered batch ("sent" line), else
 * 0 (no log, unreadable log, only failures). */
int bp_mail_was_sent(const char *dir);

/* The plain-text rendering of an HTML document described above.  Returns
 * a new string (caller frees). */
char *bp_mail_html_to_text(const char *html);

/* The header "NAME: TEXT" as written, without its CRLF: printable ASCII
 * folded before spaces so that no line passes BP_MAIL_LINE characters;
 * text that is not ASCII, holds a control character or "=?", or has a
 * word too long for a line, as RFC 2047 "=?UTF-8?B?...?=" words on lines
 * of at most BP_MAIL_EW_LINE characters, never splitting a UTF-8
 * sequence, folded with CRLF and a space.  Returns a new string (caller
 * frees). */
char *bp_mail_header(const char *name, const char *text);

#endif
