import type { DocumentTransitions } from '../../ports/document-transitions.js';
import { copyFailure, settlementOf } from '../document-sql.js';
import { toDocument, type DocumentRow } from '../store-rows.js';
import type { PgContext } from './pg-context.js';
import { copySql } from './pg-sql.js';

/** Copies that wait for their original, ended as it ended. */
export function createPgCopies({
  query,
  transaction,
}: PgContext): Pick<DocumentTransitions, 'settleCopies' | 'listStrandedOriginals'> {
  return {
    async settleCopies(id) {
      const rows = await transaction(async (client): Promise<DocumentRow[]> => {
        const original = (await client.query<DocumentRow>(copySql.lockOriginal, [id])).rows[0];
        switch (settlementOf(original)) {
          case 'wait':
            return [];
          case 'skip':
            return (await client.query<DocumentRow>(copySql.skip, [id])).rows;
          case 'fail': {
            const row = original as DocumentRow;
            return (await client.query<DocumentRow>(copySql.fail, [id, row.error_code, copyFailure(row)])).rows;
          }
          case 'promote': {
            const promoted = (await client.query<DocumentRow>(copySql.promote, [id])).rows[0];
            if (promoted) {
              await client.query(copySql.repoint, [id, promoted.id]);
            }
            return promoted ? [promoted] : [];
          }
        }
      });
      return rows.map(toDocument);
    },
    async listStrandedOriginals() {
      return (await query<{ id: string }>(copySql.stranded)).map((row) => row.id);
    },
  };
}
