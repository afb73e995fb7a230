# boardpack run emails the board pack through a real local SMTP server
# (STARTTLS with a test CA, AUTH): recipients, subject, HTML and text
# parts, the PDF attachment byte for byte; a rejected recipient; a server
# that is down (exit 69, snapshot kept, `send` later succeeds); no second
# mail for the same period without --resend, nor from `send` for a
# snapshot everyone has.
. "$BP_SRCDIR/tests/integration/lib.sh"

test_ca
export BP_TEST_SMTP_USER=reports BP_TEST_SMTP_PASSWORD="pw-$(date +%s)-secret"
export SMTP_USER=reports SMTP_PASSWORD="$BP_TEST_SMTP_PASSWORD"
export BOARDPACK_RETRY_BASE_MS=50

start_smtp() { # MAILDIR
	mkdir -p "$1"
	start_server smtp "$PY" "$BP_SRCDIR/tests/integration/smtp_server.py" --out "$1" \
		--port-file "$T/smtp.port" --log "$T/smtp.log" --cert "$T/tls/server.pem" \
		--key "$T/tls/server.key" --tls starttls --auth
	SMTP_PID=$SERVER_PID SMTP_PORT=$SERVER_PORT
}

demo_data "$T/data" 800
# config PORT
config() {
	demo_config "$T/cfg.xml" "$T/data" "$T/reports" \
	    -e "s|<output dir=\"reports\"/>|&<email url=\"smtp://127.0.0.1:$1\" from=\"reports@acme.example\" user-env=\"SMTP_USER\" password-env=\"SMTP_PASSWORD\" ca-file=\"$CA\"><to>board@acme.example</to><to>reject-me@acme.example</to><cc>cfo@acme.example</cc><bcc>ops@acme.example</bcc></email>|"
}

# 1. Delivered, with one recipient rejected.
start_smtp "$T/mail"
config "$SMTP_PORT"
expect_status 0 "$BP" run -c "$T/cfg.xml" --period 2026-10
snap=$(tail -n 1 "$T/out")
[ -f "$T/mail/1.eml" ] || fail "no message received"
grep -q "reject-me@acme.example" "$T/err" || fail "the rejected recipient is not reported: $(cat "$T/err")"
grep -q "RCPT	ops@acme.example	accepted" "$T/smtp.log" || fail "bcc not in the envelope"
"$PY" - "$T/mail/1.eml" "$snap/report.pdf" <<'PYEOF' || fail "the received message is wrong"
import email, sys
from email import policy
msg = email.message_from_binary_file(open(sys.argv[1], "rb"), policy=policy.default)
assert "board@acme.example" in msg["To"], msg["To"]
assert "cfo@acme.example" in msg["Cc"], msg["Cc"]
assert msg["Bcc"] is None, "Bcc header must not be sent"
assert "2026-10" in msg["Subject"] and "Acme" in msg["Subject"], msg["Subject"]
html = msg.get_body(preferencelist=("html",))
text = msg.get_body(preferencelist=("plain",))
assert html is not None and "<table" in html.get_content(), "no HTML part"
assert text is not None and text.get_content().strip(), "no text part"
pdfs = [p for p in msg.iter_attachments() if p.get_content_type() == "application/pdf"]
assert len(pdfs) == 1, "want one PDF attachment"
assert pdfs[0].get_content() == open(sys.argv[2], "rb").read(), "attachment differs from report.pdf"
print("message ok:", msg["Subject"])
PYEOF
grep -q "sent" "$snap/delivery.log" || fail "delivery.log does not record the send"
expect_status 0 "$BP" verify "$snap"
grep -rq "$SMTP_PASSWORD" "$T/out" "$T/err" "$snap" && fail "the SMTP password leaked"

# 2. A second run for the same period does not mail everyone again.
expect_status 0 "$BP" run -c "$T/cfg.xml" --period 2026-10 --offline
[ ! -e "$T/mail/2.eml" ] || fail "the period was mailed twice"
expect_status 0 "$BP" run -c "$T/cfg.xml" --period 2026-10 --offline --resend
[ -f "$T/mail/2.eml" ] || fail "--resend did not send"

# 3. The server is down: exit 69, the snapshot is kept, `send` delivers later.
kill "$SMTP_PID"
wait "$SMTP_PID" 2>/dev/null || true
expect_status 69 "$BP" run -c "$T/cfg.xml" --period 2026-09
snap=$(tail -n 1 "$T/out")
[ -d "$snap" ] || fail "the snapshot was not kept when the email failed"
expect_status 0 "$BP" verify "$snap"
grep -q "failed" "$snap/delivery.log" || fail "delivery.log does not record the failure"
start_smtp "$T/mail-later"
config "$SMTP_PORT"
expect_status 0 "$BP" send -c "$T/cfg.xml" "$snap"
[ -f "$T/mail-later/1.eml" ] || fail "send delivered nothing"
"$PY" -c 'import email, sys; from email import policy
m = email.message_from_binary_file(open(sys.argv[1], "rb"), policy=policy.default)
sys.exit(0 if "2026-09" in m["Subject"] else 1)' "$T/mail-later/1.eml" || fail "send used the wrong period"
grep -q "sent" "$snap/delivery.log" || fail "delivery.log does not record the later send"

# Sending it again reaches nobody: delivery.log says everyone has it.
# --resend mails everyone again.
expect_status 0 "$BP" send -c "$T/cfg.xml" "$snap"
[ ! -e "$T/mail-later/2.eml" ] || fail "send mailed a snapshot everyone had"
grep -q "nothing sent" "$T/err" || fail "send does not say why it sent nothing: $(cat "$T/err")"
expect_status 0 "$BP" send -c "$T/cfg.xml" --resend "$snap"
[ -f "$T/mail-later/2.eml" ] || fail "send --resend did not send"

# Only a complete snapshot is sent: not a folder that merely sits under a
# month, nor a snapshot changed since it was made.
mkdir -p "$T/reports/2026-09/junk"
expect_status 66 "$BP" send -c "$T/cfg.xml" "$T/reports/2026-09/junk"
[ ! -e "$T/mail-later/3.eml" ] || fail "a folder that is no snapshot was mailed"

# A server that wants a login, and a config without one: a config error
# that says so, not the server's goodbye.
sed -i 's| user-env="SMTP_USER" password-env="SMTP_PASSWORD"||' "$T/cfg.xml"
expect_status 78 "$BP" send -c "$T/cfg.xml" --resend "$snap"
grep -q "requires a login" "$T/err" || fail "a missing login is not explained: $(cat "$T/err")"
echo ok
