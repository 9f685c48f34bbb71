import type { MessageKey } from './i18n';
import { RECORD_TYPES } from './query-tools';

/** The dictionary key of a message type's name (unknown types read as "other"). */
export const typeLabelKey = (type: string): MessageKey => ((RECORD_TYPES as readonly string[]).includes(type) ? (`type.${type}` as MessageKey) : 'type.other');
