import { InputError } from '../contract/errors';

/** The parts of a node-postgres DatabaseError this module reads. */
interface PgError {
  message: string;
  code?: string;
  where?: string;
  column?: string;
}

export function isPgError(e: unknown): e is PgError {
  return e instanceof Error && typeof (e as PgError).code === 'string';
}

/**
 * SQLSTATE classes 22 (data exception) and 23 (integrity constraint) are
 * problems with the rows themselves; anything else (connection, permissions,
 * missing table) is the operator's to fix and is rethrown unchanged.
 */
export function isRowDataError(e: unknown): e is PgError {
  return isPgError(e) && (e.code!.startsWith('22') || e.code!.startsWith('23'));
}

/** Where PostgreSQL says a COPY error happened, in its own line numbering. */
export interface CopyErrorLocation {
  /** 1-based line of the COPY input, counting newlines inside quoted fields. */
  readonly copyLine?: number;
  readonly column?: string;
  /** The reason without PostgreSQL's context. */
  readonly reason: string;
}

/** Reads line and column from a COPY error's CONTEXT (`COPY t, line 4, column c: "x"`). */
export function locateCopyError(e: PgError, columnNames: readonly string[]): CopyErrorLocation {
  const where = e.where ?? '';
  const lineMatch = /COPY [^,]*, line (\d+)/.exec(where);
  let column = e.column;
  if (!column) {
    const colMatch = /, line \d+, column (.*?): /.exec(where) ?? /, line \d+, column (.*)$/.exec(where);
    if (colMatch) column = colMatch[1];
  }
  if (!column) {
    const missing = /missing data for column "(.*)"/.exec(e.message);
    if (missing) column = missing[1];
  }
  if (column && !columnNames.includes(column)) {
    column = columnNames.find((n) => column!.startsWith(n)) ?? column;
  }
  return { copyLine: lineMatch ? Number(lineMatch[1]) : undefined, column, reason: e.message };
}

/** A FAIL_FILE error naming the file line, the column and PostgreSQL's reason. */
export function rowInputError(line: number | undefined, column: string | undefined, reason: string): InputError {
  const where = [line !== undefined ? `line ${line}` : undefined, column ? `column "${column}"` : undefined]
    .filter(Boolean).join(', ');
  return new InputError(where ? `${where}: ${reason}` : reason, line, column);
}
