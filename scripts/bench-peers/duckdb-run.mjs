// Runs an SQL script in an in-memory DuckDB and writes the last
// statement's result as CSV on stdout (values never need quoting here:
// cohort months, channel ids and integers).  On stderr: "duckdb: version=V
// seconds=S", S from opening the database to the last row, so Node's own
// start-up is left out.
//   node duckdb-run.mjs SCRIPT.sql
import { DuckDBInstance, version } from '@duckdb/node-api';
import { readFileSync } from 'node:fs';

const sql = readFileSync(process.argv[2], 'utf8');
const t0 = process.hrtime.bigint();
const instance = await DuckDBInstance.create(':memory:');
const conn = await instance.connect();
const stmts = await conn.extractStatements(sql);
let reader = null;
for (let i = 0; i < stmts.count; i++) {
  const prepared = await stmts.prepare(i);
  reader = await prepared.runAndReadAll();
}
const names = reader.columnNames();
const rows = reader.getRows();
const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
const out = [names.join(',')];
for (const row of rows)
  out.push(row.map((v) => (v === null ? '' : String(v))).join(','));
process.stdout.write(out.join('\n') + '\n');
process.stderr.write(`duckdb: version=${version()} seconds=${seconds.toFixed(4)}\n`);
conn.closeSync();
instance.closeSync();
