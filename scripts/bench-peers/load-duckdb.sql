-- Loads the HubSpot exports for cohorts.sql in DuckDB.  Every option of
-- read_csv is given rather than sniffed; all columns stay text.
-- A table made from a single scan keeps file order (DuckDB's order-
-- preservation rules), so its rowid is the row's position in the file,
-- which deduplication relies on.  (row_number() OVER () would say the
-- same, but costs a single-threaded pass.)
-- peersql.py fills in CONTACT_COLUMNS for the export's shape: id, created,
-- source, d_lead .. d_cust, deal_ids from its headers, dates as local text.
CREATE TEMP TABLE contacts_raw AS
SELECT {{CONTACT_COLUMNS}}
FROM read_csv('{{CONTACTS}}', header = true, delim = ',', quote = '"',
              escape = '"', new_line = '\n', encoding = 'utf-8',
              all_varchar = true, strict_mode = true);

CREATE TEMP TABLE deals_raw AS
SELECT trim("Record ID") AS id,
       "Deal Stage" AS stage,
       "Close Date" AS closed,
       CAST(round(TRY_CAST(replace(trim("Amount"), ',', '') AS DECIMAL(38, 4)) * 100) AS BIGINT) AS cents,
       "Associated Contact IDs" AS contact_ids
FROM read_csv('{{DEALS}}', header = true, delim = ',', quote = '"',
              escape = '"', new_line = '\n', encoding = 'utf-8',
              all_varchar = true, strict_mode = true);

CREATE TEMP VIEW contacts_in AS SELECT rowid AS rn, * FROM contacts_raw;
CREATE TEMP VIEW deals_in AS SELECT rowid AS rn, * FROM deals_raw;

CREATE TEMP TABLE contact_deal AS
SELECT trim(d) AS deal_id, rn
FROM (SELECT rn, unnest(string_split(replace(deal_ids, ',', ';'), ';')) AS d
      FROM contacts_in WHERE deal_ids <> '')
WHERE trim(d) <> '';
