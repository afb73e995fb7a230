-- The count columns and won deals of boardpack's cohorts.csv, written from
-- METRICS.md alone, in SQL that DuckDB and SQLite both run.  The loader
-- (load-duckdb.sql, load-sqlite.sql) provides:
--   contacts_in(rn, id, created, source, d_lead, d_mql, d_sql, d_opp, d_cust, deal_ids)
--   deals_in(rn, id, stage, closed, cents, contact_ids)
--   contact_deal(deal_id, rn)   one row per deal ID a contact lists
-- rn is the row's position in its file, so "the later row of a repeated
-- record ID is skipped" becomes "keep min(rn)".  Dates stay text: the
-- loader gives every contact date as local time in the report's zone,
-- 'YYYY-MM-DD HH:MM' or with seconds, so text order is time order and the
-- month is the first 7 characters (HubSpot's own export writes that form
-- in the account's zone, which is the report's; deals' close dates are
-- read as they are).  peersql.py fills in the AS_OF placeholder
-- ('YYYY-MM-DD 23:59:59', the last second of the period) and MONTHS (the
-- window, as VALUES rows).  Money leaves as integer hundredths, which
-- keeps sums exact in both engines.
WITH
months(month) AS (VALUES {{MONTHS}}),
channels(channel, ord) AS (VALUES
  ('organic_search', 1), ('paid_search', 2), ('paid_social', 3),
  ('organic_social', 4), ('email_marketing', 5), ('referrals', 6),
  ('direct_traffic', 7), ('offline', 8), ('other_campaigns', 9), ('other', 10)),
-- METRICS.md's default table, lower-cased: matching is case-insensitive.
channel_map(value, channel) AS (VALUES
  ('organic_search', 'organic_search'), ('organic search', 'organic_search'),
  ('paid_search', 'paid_search'), ('paid search', 'paid_search'),
  ('paid_social', 'paid_social'), ('paid social', 'paid_social'),
  ('social_media', 'organic_social'), ('social media', 'organic_social'),
  ('organic social', 'organic_social'),
  ('email_marketing', 'email_marketing'), ('email marketing', 'email_marketing'),
  ('referrals', 'referrals'),
  ('direct_traffic', 'direct_traffic'), ('direct traffic', 'direct_traffic'),
  ('offline', 'offline'), ('offline sources', 'offline'),
  ('other_campaigns', 'other_campaigns'), ('other campaigns', 'other_campaigns')),
first_contacts AS (
  SELECT min(rn) AS rn FROM contacts_in WHERE id <> '' GROUP BY id),
contacts AS (
  SELECT c.rn, c.id, c.created, substr(c.created, 1, 7) AS month,
         COALESCE(m.channel, 'other') AS channel,
         c.d_lead, c.d_mql, c.d_sql, c.d_opp, c.d_cust
  FROM contacts_in c
  JOIN first_contacts f ON f.rn = c.rn
  LEFT JOIN channel_map m ON m.value = lower(trim(c.source))),
-- Contacts created after as_of do not exist; a stage date after as_of is
-- a stage not reached.
reached AS (
  SELECT month, channel,
         CASE WHEN d_lead <> '' AND d_lead <= '{{AS_OF}}' THEN 1 ELSE 0 END AS r_lead,
         CASE WHEN d_mql <> '' AND d_mql <= '{{AS_OF}}' THEN 1 ELSE 0 END AS r_mql,
         CASE WHEN d_sql <> '' AND d_sql <= '{{AS_OF}}' THEN 1 ELSE 0 END AS r_sql,
         CASE WHEN d_opp <> '' AND d_opp <= '{{AS_OF}}' THEN 1 ELSE 0 END AS r_opp,
         CASE WHEN d_cust <> '' AND d_cust <= '{{AS_OF}}' THEN 1 ELSE 0 END AS r_cust
  FROM contacts
  WHERE created <= '{{AS_OF}}'),
-- Cumulative funnel: a stage counts as reached when it or any later stage
-- has a date (the effective date is the earliest of those).
funnel AS (
  SELECT month, channel, count(*) AS contacts,
         sum(CASE WHEN r_lead + r_mql + r_sql + r_opp + r_cust > 0 THEN 1 ELSE 0 END) AS leads,
         sum(CASE WHEN r_mql + r_sql + r_opp + r_cust > 0 THEN 1 ELSE 0 END) AS mqls,
         sum(CASE WHEN r_sql + r_opp + r_cust > 0 THEN 1 ELSE 0 END) AS sqls,
         sum(CASE WHEN r_opp + r_cust > 0 THEN 1 ELSE 0 END) AS opportunities,
         sum(r_cust) AS customers
  FROM reached
  GROUP BY month, channel),
first_deals AS (
  SELECT min(rn) AS rn FROM deals_in WHERE id <> '' GROUP BY id),
won AS (
  SELECT d.id, d.cents,
         trim(CASE WHEN instr(d.ids, ';') > 0
                   THEN substr(d.ids, 1, instr(d.ids, ';') - 1)
                   ELSE d.ids END) AS first_contact
  FROM (SELECT rn, id, stage, closed, cents,
               replace(COALESCE(contact_ids, ''), ',', ';') AS ids
        FROM deals_in) d
  JOIN first_deals f ON f.rn = d.rn
  WHERE lower(trim(d.stage)) IN ('closed won', 'closed: won', 'closedwon')
    AND d.cents IS NOT NULL
    AND d.closed <> '' AND d.closed <= '{{AS_OF}}'),
-- A deal belongs to the first contact of its own list when that contact
-- is known (its first row, as for every contact); otherwise to the first
-- contact, in file order, that lists the deal.  Correlated lookups rather
-- than joins to CTEs, so that SQLite can use its indexes (it has none on
-- a CTE and would compare every deal with every contact).
owned AS (
  SELECT cents,
         COALESCE(
           (SELECT min(c.rn) FROM contacts_in c WHERE c.id = won.first_contact),
           (SELECT min(cd.rn)
            FROM contact_deal cd JOIN contacts_in c ON c.rn = cd.rn
            WHERE cd.deal_id = won.id
              AND c.rn = (SELECT min(c2.rn) FROM contacts_in c2 WHERE c2.id = c.id))
         ) AS owner
  FROM won),
won_by AS (
  SELECT substr(c.created, 1, 7) AS month, COALESCE(m.channel, 'other') AS channel,
         count(*) AS won_deals, sum(o.cents) AS won_cents
  FROM owned o
  JOIN contacts_in c ON c.rn = o.owner
  LEFT JOIN channel_map m ON m.value = lower(trim(c.source))
  WHERE c.created <= '{{AS_OF}}'
  GROUP BY substr(c.created, 1, 7), COALESCE(m.channel, 'other')),
grid AS (
  SELECT m.month, ch.channel, ch.ord,
         COALESCE(f.contacts, 0) AS contacts, COALESCE(f.leads, 0) AS leads,
         COALESCE(f.mqls, 0) AS mqls, COALESCE(f.sqls, 0) AS sqls,
         COALESCE(f.opportunities, 0) AS opportunities,
         COALESCE(f.customers, 0) AS customers,
         COALESCE(w.won_deals, 0) AS won_deals, COALESCE(w.won_cents, 0) AS won_cents
  FROM months m CROSS JOIN channels ch
  LEFT JOIN funnel f ON f.month = m.month AND f.channel = ch.channel
  LEFT JOIN won_by w ON w.month = m.month AND w.channel = ch.channel),
result AS (
  SELECT * FROM grid
  UNION ALL
  SELECT month, 'all', 99, sum(contacts), sum(leads), sum(mqls), sum(sqls),
         sum(opportunities), sum(customers), sum(won_deals), sum(won_cents)
  FROM grid GROUP BY month)
SELECT month AS cohort, channel, contacts, leads, mqls, sqls, opportunities,
       customers, won_deals, won_cents
FROM result
ORDER BY month, ord;
