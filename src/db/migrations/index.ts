import type { Migration, MigrationProvider } from 'kysely';
import * as m0001 from './0001-core.js';
import * as m0002 from './0002-audit.js';
import * as m0003 from './0003-blobs.js';
import * as m0004 from './0004-search.js';
import * as m0005 from './0005-accounts.js';
import * as m0006 from './0006-passkeys.js';
import * as m0007 from './0007-usage-rollups.js';
import * as m0008 from './0008-connectors-and-scanning.js';
import * as m0009 from './0009-directory.js';
import * as m0010 from './0010-retention.js';
import * as m0011 from './0011-disposition.js';
import * as m0012 from './0012-backups.js';
import * as m0013 from './0013-privacy.js';
import * as m0014 from './0014-retention-shapes.js';
import * as m0015 from './0015-source-gaps.js';
import * as m0016 from './0016-missing-media.js';
import * as m0017 from './0017-fts-deletemerge.js';
import * as m0018 from './0018-quarantine-versions.js';
import * as m0019 from './0019-backup-disposed-records.js';
import * as m0020 from './0020-source-last-success.js';
import * as m0021 from './0021-disposal-digests.js';
import * as m0022 from './0022-person-name-key.js';
import * as m0023 from './0023-quarantine-record.js';
import * as m0024 from './0024-person-contact.js';
import * as m0025 from './0025-conversation-external-since.js';
import * as m0026 from './0026-scope-time-zone.js';
import * as m0027 from './0027-account-approval.js';
import * as m0028 from './0028-department-history.js';
import * as m0029 from './0029-quarantine-bytes.js';
import * as m0030 from './0030-person-id-caseless.js';
import * as m0031 from './0031-fts-settings-after-restore.js';

/** Forward-only migrations, applied in name order. Never edit one that has shipped: add a new one. */
export const migrations: Record<string, Migration> = {
  '0001-core': m0001,
  '0002-audit': m0002,
  '0003-blobs': m0003,
  '0004-search': m0004,
  '0005-accounts': m0005,
  '0006-passkeys': m0006,
  '0007-usage-rollups': m0007,
  '0008-connectors-and-scanning': m0008,
  '0009-directory': m0009,
  '0010-retention': m0010,
  '0011-disposition': m0011,
  '0012-backups': m0012,
  '0013-privacy': m0013,
  '0014-retention-shapes': m0014,
  '0015-source-gaps': m0015,
  '0016-missing-media': m0016,
  '0017-fts-deletemerge': m0017,
  '0018-quarantine-versions': m0018,
  '0019-backup-disposed-records': m0019,
  '0020-source-last-success': m0020,
  '0021-disposal-digests': m0021,
  '0022-person-name-key': m0022,
  '0023-quarantine-record': m0023,
  '0024-person-contact': m0024,
  '0025-conversation-external-since': m0025,
  '0026-scope-time-zone': m0026,
  '0027-account-approval': m0027,
  '0028-department-history': m0028,
  '0029-quarantine-bytes': m0029,
  '0030-person-id-caseless': m0030,
  '0031-fts-settings-after-restore': m0031,
};

export const migrationProvider: MigrationProvider = { getMigrations: () => Promise.resolve(migrations) };
