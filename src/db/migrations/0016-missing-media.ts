import type { Kysely } from 'kysely';

/**
 * WeCom media that could not be downloaded when its message was archived (issue 4): the message is
 * archived at once, naming the file in `wecom.missingAttachments`, and the file waits here. Each
 * sync tries again while Tencent still keeps it (about 5 days) and attaches it to the archived
 * message when it arrives (services/late-attachments.ts); after that it is `abandoned`.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('missing_media')
    .addColumn('source_id', 'integer', (c) => c.notNull().references('sources.id'))
    /** The archived message (its id within the source: WeCom msgid). */
    .addColumn('message_ext_id', 'text', (c) => c.notNull())
    /** The SDK file id (sdkfileid). */
    .addColumn('file_id', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('mime', 'text')
    .addColumn('md5sum', 'text')
    /** waiting | attached | gone (the message was disposed of) | abandoned (past Tencent's retention, or too many attempts) | worm (WORM mode: an archived record is not changed). */
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'integer', (c) => c.notNull())
    .addColumn('updated_at', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('missing_media_pk', ['source_id', 'message_ext_id', 'file_id'])
    .execute();
  await db.schema.createIndex('missing_media_waiting').on('missing_media').columns(['source_id', 'status', 'created_at']).execute();
}
