# The numbers of a run on realistic exports equal those of an independent
# implementation of METRICS.md (tests/integration/oracle.py), cell by cell,
# for the default as_of and for an earlier one.
. "$BP_SRCDIR/tests/integration/lib.sh"

demo_data "$T/data" 3000
demo_config "$T/cfg.xml" "$T/data" "$T/reports"
costs=""
for m in 2025-05 2025-06 2025-07 2025-08 2025-09 2025-10 2025-11 2025-12 2026-01 2026-02 2026-03 2026-04 2026-05 2026-06 2026-07 2026-08 2026-09 2026-10; do
	costs="$costs --cost $m=12000000:channel=offline"
done

expect_status 0 "$BP" run -c "$T/cfg.xml" --period 2026-10 --no-email
snap=$(tail -n 1 "$T/out")
"$PY" "$BP_SRCDIR/tests/integration/oracle.py" "$snap" --timezone Asia/Seoul \
	--period 2026-10 --months 12 --gross-margin 0.8 $costs

# An earlier as_of: stages, deals and spend after it do not exist.
expect_status 0 "$BP" run -c "$T/cfg.xml" --period 2026-08 --as-of 2026-08-20T12:00:00+09:00 --no-email --offline
snap=$(tail -n 1 "$T/out")
"$PY" "$BP_SRCDIR/tests/integration/oracle.py" "$snap" --timezone Asia/Seoul \
	--period 2026-08 --months 12 --gross-margin 0.8 \
	--as-of 2026-08-20T12:00:00+09:00 $costs
