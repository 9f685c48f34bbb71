/** Usage rollups kept by the import (migration 0007). */

export interface UsageCounters {
  messages: number;
  text_bytes: number;
  attachments: number;
  attachment_bytes: number;
}

export interface UsageDailyTable extends UsageCounters {
  /** Local day `YYYY-MM-DD` in the store's time zone at archiving. */
  day: string;
  source_id: number;
  type: string;
}

export interface UsagePersonTable extends UsageCounters {
  person_id: number;
}

export interface UsageConversationTable extends UsageCounters {
  conversation_id: number;
}
