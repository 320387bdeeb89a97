import type { SqlExecutor } from '../../ports/database.js';

/** The migrator's bookkeeping: recorded in the manifest as the schema version, never dumped as rows. */
const NOT_DATA = new Set(['schema_migrations']);

export interface TableInfo {
  name: string;
  /** Columns a row is written to (generated columns are computed by the database, never loaded). */
  columns: string[];
  /** Has a foreign key to itself (comments.parent_id): its rows must arrive in one statement. */
  selfReferencing: boolean;
}

export const quoteIdent = (name: string): string => `"${name.replace(/"/g, '""')}"`;

/**
 * The application's tables in the current schema, parents before children
 * (foreign keys), ties by name, so loading them in this order never trips a
 * foreign key. A cycle between two tables would need deferred constraints;
 * the schema has none, and this says so rather than load in a wrong order.
 */
export async function listTables(tx: SqlExecutor): Promise<TableInfo[]> {
  const tables = await tx.query<{ name: string }>(
    `SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND NOT c.relispartition
      ORDER BY c.relname`,
  );
  const names = tables.rows.map((r) => r.name).filter((n) => !NOT_DATA.has(n));
  const columns = await tx.query<{ table: string; column: string }>(
    `SELECT c.relname AS table, a.attname AS column FROM pg_attribute a
       JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = current_schema() AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
      ORDER BY c.relname, a.attnum`,
  );
  const edges = await tx.query<{ child: string; parent: string }>(
    `SELECT DISTINCT ch.relname AS child, pa.relname AS parent FROM pg_constraint k
       JOIN pg_class ch ON ch.oid = k.conrelid JOIN pg_class pa ON pa.oid = k.confrelid
       JOIN pg_namespace n ON n.oid = ch.relnamespace
      WHERE k.contype = 'f' AND n.nspname = current_schema()`,
  );
  const byTable = new Map<string, string[]>();
  for (const r of columns.rows) byTable.set(r.table, [...(byTable.get(r.table) ?? []), r.column]);

  const parents = new Map<string, Set<string>>(names.map((n) => [n, new Set<string>()]));
  const selfRef = new Set<string>();
  for (const { child, parent } of edges.rows) {
    if (!parents.has(child) || !parents.has(parent)) continue;
    if (child === parent) selfRef.add(child);
    else parents.get(child)!.add(parent);
  }
  const ordered: string[] = [];
  const placed = new Set<string>();
  while (ordered.length < names.length) {
    const ready = names.filter((n) => !placed.has(n) && [...parents.get(n)!].every((p) => placed.has(p)));
    if (ready.length === 0) {
      const stuck = names.filter((n) => !placed.has(n));
      throw new Error(`Foreign keys form a cycle between tables ${stuck.join(', ')}: no load order exists`);
    }
    for (const n of ready) {
      placed.add(n);
      ordered.push(n);
    }
  }
  return ordered.map((name) => ({ name, columns: byTable.get(name) ?? [], selfReferencing: selfRef.has(name) }));
}

/** The sequences of the current schema (identity and serial columns' counters). */
export async function listSequences(tx: SqlExecutor): Promise<string[]> {
  const { rows } = await tx.query<{ name: string }>(
    `SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = current_schema() AND c.relkind = 'S' ORDER BY c.relname`,
  );
  return rows.map((r) => r.name);
}
