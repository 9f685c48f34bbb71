import type { SqliteHandle } from '../db/connection.js';

/**
 * Since when an external party takes part in a conversation (migration 0025): the lowest key of
 * its messages sent by or addressed to an external person. A person is external when the directory
 * says so (`persons.kind`), else when they have a WeCom external userid (`wm…`/`wo…`) or are not a
 * member in a personal WeChat source (`wechat:…`, the demo's `demo:wechat-…`). Retention scopes
 * (`party:`, repositories/retention-facts.ts) read only the key this fixes at archiving time.
 */
const EXTERNAL_PERSON = (person: string, source: string): string => `(SELECT p.kind = 'external' OR (coalesce(p.kind, '') <> 'member' AND (
    (p.ext_id GLOB 'w[mo]??????*' AND p.ext_id NOT GLOB '*[^A-Za-z0-9_-]*')
    OR (SELECT s.name GLOB 'wechat:*' OR s.name GLOB 'demo:wechat-*' FROM sources s WHERE s.id = ${source})))
  FROM persons p WHERE p.id = ${person})`;

/** The UPDATE over the messages whose keys `keysSql` selects (the earliest key only ever moves down). */
export const EXTERNAL_SINCE_UPDATE = (keysSql: string): string => `
  UPDATE conversations SET external_since_key = x.k
  FROM (
    SELECT m.conversation_id AS cid, min(m.id) AS k FROM messages m
    WHERE m.id IN (${keysSql})
      AND (${EXTERNAL_PERSON('m.from_person_id', 'm.source_id')}
           OR EXISTS (SELECT 1 FROM json_each(m.to_person_ids) j WHERE ${EXTERNAL_PERSON('j.value', 'm.source_id')}))
    GROUP BY m.conversation_id
  ) AS x
  WHERE conversations.id = x.cid AND (conversations.external_since_key IS NULL OR x.k < conversations.external_since_key)`;

/** For an import batch: moves the conversations' external_since_key down to these new records where they involve an external party. */
export function prepareExternalSince(sqlite: SqliteHandle): (keys: readonly number[]) => void {
  const statement = sqlite.prepare(EXTERNAL_SINCE_UPDATE('SELECT value FROM json_each(?)'));
  return (keys) => {
    if (keys.length > 0) statement.run(JSON.stringify(keys));
  };
}

/** After a restore: recomputed from the records restored (disposed ones are gone). */
export function recomputeExternalSince(sqlite: SqliteHandle): void {
  sqlite.exec('UPDATE conversations SET external_since_key = NULL');
  sqlite.exec(EXTERNAL_SINCE_UPDATE('SELECT id FROM messages'));
}
