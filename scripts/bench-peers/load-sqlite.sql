-- Loads the HubSpot exports for cohorts.sql in the sqlite3 shell.  .import
-- in CSV mode keeps every value as text; for deals it takes the header row
-- as column names (sqlite3 skips the UTF-8 BOM itself; 3.40 does).  The
-- contacts go into a table of positional columns c1..cN made beforehand
-- (CONTACTS_TABLE), as a real export may repeat a header; peersql.py
-- fills in which of them CONTACT_COLUMNS reads.  rowid is the row's
-- position in the file.
.mode csv
{{CONTACTS_TABLE}}
.import --skip 1 '{{CONTACTS}}' contacts_raw
.import '{{DEALS}}' deals_raw

CREATE TEMP VIEW contacts_in AS
SELECT rowid AS rn,
       {{CONTACT_COLUMNS}}
FROM contacts_raw;

CREATE TEMP VIEW deals_in AS
SELECT rowid AS rn,
       trim("Record ID") AS id,
       "Deal Stage" AS stage,
       "Close Date" AS closed,
       CASE WHEN trim("Amount") = '' THEN NULL
            ELSE CAST(round(CAST(replace(trim("Amount"), ',', '') AS REAL) * 100) AS INTEGER)
       END AS cents,
       "Associated Contact IDs" AS contact_ids
FROM deals_raw;

-- cohorts.sql looks deals' contacts up by ID: without these indexes
-- SQLite scans every contact for every won deal.
CREATE INDEX contacts_raw_id ON contacts_raw({{CONTACT_ID}});

-- No string_split in SQLite: peel one ID at a time off the list.
CREATE TEMP TABLE contact_deal AS
WITH RECURSIVE split(rn, item, rest) AS (
  SELECT rn, '', replace(deal_ids, ',', ';') || ';'
  FROM contacts_in WHERE deal_ids <> ''
  UNION ALL
  SELECT rn, trim(substr(rest, 1, instr(rest, ';') - 1)),
         substr(rest, instr(rest, ';') + 1)
  FROM split WHERE rest <> '')
SELECT item AS deal_id, rn FROM split WHERE item <> '';
CREATE INDEX contact_deal_id ON contact_deal(deal_id);

.headers on
