# boardpack run mails 10,000 recipients through a real local SMTP server
# (STARTTLS, AUTH) in envelopes of at most 100; a batch the server keeps
# failing (451) ends the run with exit 75, and the run that retries it, as
# cron/boardpack-monthly does, mails the others only: every address gets
# the report once.  The server repeats the login in its replies: none of
# it reaches delivery.log (0600) or the output.  A 1,500-character
# subject arrives folded, every header line within 78 characters.
. "$BP_SRCDIR/tests/integration/lib.sh"

test_ca
export BP_TEST_SMTP_USER=reports BP_TEST_SMTP_PASSWORD="pw-$(date +%s)-secret"
export SMTP_USER=reports SMTP_PASSWORD="$BP_TEST_SMTP_PASSWORD"
export BOARDPACK_RETRY_BASE_MS=20
N=10000

# Transactions 40 to 43: the 40th batch and its three retries.
mkdir -p "$T/mail"
start_server smtp "$PY" "$BP_SRCDIR/tests/integration/smtp_server.py" --out "$T/mail" \
	--port-file "$T/smtp.port" --log "$T/smtp.log" --cert "$T/tls/server.pem" \
	--key "$T/tls/server.key" --tls starttls --auth --echo-auth \
	--fail-transaction 40,41,42,43

demo_data "$T/data" 300
demo_config "$T/cfg.xml" "$T/data" "$T/reports"
"$PY" - "$T/cfg.xml" "$SERVER_PORT" "$CA" "$N" <<'PYEOF'
import sys
cfg, port, ca, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
words = " ".join("word%04d" % i for i in range(170))   # about 1,500 characters
rcpts = "<to>r00001@acme.example</to>" + "".join(
    "<bcc>r%05d@acme.example</bcc>" % i for i in range(2, n + 1))
email = ('<email url="smtp://127.0.0.1:%s" from="reports@acme.example" '
         'user-env="SMTP_USER" password-env="SMTP_PASSWORD" ca-file="%s" '
         'subject="{title} {period} %s">%s</email>' % (port, ca, words, rcpts))
text = open(cfg, encoding="utf-8").read()
anchor = text.index("/>", text.index("<output ")) + 2
open(cfg, "w", encoding="utf-8").write(text[:anchor] + email + text[anchor:])
PYEOF

# delivered_once: every r00001..r10000 is in exactly one message's envelope.
delivered_once() {
	cat "$T"/mail/*.rcpt | sort | uniq -c | awk -v n="$N" '
		$1 != 1 { print "delivered " $1 " times: " $2; bad = 1 }
		END { if (NR != n) { print NR " addresses, want " n; bad = 1 }; exit bad }'
}

# 1. Batch 40 fails four times: exit 75, 39 batches recorded.
expect_status 75 "$BP" run -c "$T/cfg.xml" --period 2026-10
first=$(ls -d "$T"/reports/2026-10/*/ | head -n 1)
first=${first%/}
log="$first/delivery.log"
[ "$(grep -c '	sent	' "$log")" -eq 39 ] || fail "want 39 sent batches: $(cut -f2,6 "$log" | sort | uniq -c)"
[ "$(grep -c '	failed	-	' "$log")" -eq 4 ] || fail "want 4 failed attempts listing nobody delivered"
grep -q "3900 of 10000 recipients are done" "$T/err" ||
	fail "the partial delivery is not reported: $(cat "$T/err")"
awk -F'\t' '$2 == "sent" && $6 !~ /^[0-9]+\/100$/ { exit 1 }' "$log" || fail "a batch is not numbered K/100"
[ "$(stat -c %a "$log")" = 600 ] || fail "delivery.log is $(stat -c %a "$log"), want 600"
"$PY" - "$T/smtp.log" <<'PYEOF' || fail "a transaction had more than 100 RCPTs"
import sys
for line in open(sys.argv[1]):
    f = line.rstrip("\n").split("\t")
    if f[0] == "TXN":
        assert int(f[2]) <= 100, line
PYEOF

# 2. The wrapper's retry: a new snapshot, mailed to the 6,100 others.
expect_status 0 "$BP" run -c "$T/cfg.xml" --period 2026-10 --offline
second=$(tail -n 1 "$T/out")
[ "$second" != "$first" ] || fail "the retry made no snapshot of its own"
head -n 1 "$second/delivery.log" | grep -q "^[^	]*	earlier	r" ||
	fail "the retry's log does not say who had it already"
grep -q "(3900 had it already)" "$T/err" || fail "the retry does not say 3900 had it: $(cat "$T/err")"
delivered_once || fail "not every recipient got the report exactly once"

# 3. Nothing is left: another run mails nobody, nor does send.
count=$(ls "$T"/mail/*.eml | wc -l)
expect_status 0 "$BP" run -c "$T/cfg.xml" --period 2026-10 --offline
expect_status 0 "$BP" send -c "$T/cfg.xml" "$second"
[ "$(ls "$T"/mail/*.eml | wc -l)" -eq "$count" ] || fail "a finished period was mailed again"

# 4. The server repeated the login in every reply after AUTH; none of it
# was kept.
b64=$(printf '\0reports\0%s' "$SMTP_PASSWORD" | base64 -w0)
for f in "$first/delivery.log" "$second/delivery.log" "$T/out" "$T/err"; do
	! grep -q -e "$SMTP_PASSWORD" -e "$b64" -e "you said" "$f" || fail "the login leaked into $f"
done

# 5. The long subject: folded, within 78 characters a line, read back whole.
"$PY" - "$T/mail/1.eml" <<'PYEOF' || fail "the long subject is wrong"
import email, sys
from email import policy
raw = open(sys.argv[1], "rb").read()
head = raw.split(b"\r\n\r\n", 1)[0]
long_lines = [l for l in head.split(b"\r\n") if len(l) > 78]
assert not long_lines, long_lines[:2]
msg = email.message_from_bytes(raw, policy=policy.default)
words = " ".join("word%04d" % i for i in range(170))
assert msg["Subject"].endswith(" 2026-10 " + words), msg["Subject"][:100]
print("subject ok:", len(msg["Subject"]), "characters")
PYEOF
echo ok
