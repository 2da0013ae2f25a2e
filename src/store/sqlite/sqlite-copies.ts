import type { DocumentTransitions } from '../../ports/document-transitions.js';
import { copyFailure, settlementOf } from '../document-sql.js';
import { toDocument, type DocumentRow } from '../store-rows.js';
import type { SqliteContext, Synchronous } from './sqlite-context.js';
import { copySql, documentSql } from './sqlite-sql.js';

/** Copies that wait for their original, ended as it ended. */
export function createSqliteCopies({
  db,
  stmt,
  now,
}: SqliteContext): Synchronous<Pick<DocumentTransitions, 'settleCopies' | 'listStrandedOriginals'>> {
  const settle = db.transaction((id: string): DocumentRow[] => {
    const original = stmt<[string], DocumentRow>(documentSql.byId).get(id);
    const at = now();
    switch (settlementOf(original)) {
      case 'wait':
        return [];
      case 'skip':
        return stmt<[Record<string, unknown>], DocumentRow>(copySql.skip).all({ id, now: at });
      case 'fail': {
        const row = original as DocumentRow;
        const failure = { code: row.error_code, message: copyFailure(row) };
        return stmt<[Record<string, unknown>], DocumentRow>(copySql.fail).all({ id, ...failure, now: at });
      }
      case 'promote': {
        const promoted = stmt<[Record<string, unknown>], DocumentRow>(copySql.promote).get({ id, now: at });
        if (promoted) {
          stmt(copySql.repoint).run({ id, to: promoted.id });
        }
        return promoted ? [promoted] : [];
      }
    }
  });
  return {
    settleCopies(originalId) {
      return settle.immediate(originalId).map(toDocument);
    },
    listStrandedOriginals() {
      return stmt<[], string>(copySql.stranded).pluck().all();
    },
  };
}
