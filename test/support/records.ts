/** Builders of NDJSON import records for tests (our own fixtures, written from docs/formats/ndjson.md). */
export interface TestRecord {
  source: string;
  id: string;
  seq?: number;
  time: string | number;
  conversation: { id: string; type: 'direct' | 'group'; title?: string };
  from: { id: string; name?: string };
  to?: { id: string; name?: string }[];
  type: string;
  text?: string;
  attachments?: ({ name: string; mime?: string; data: string } | { name: string; mime?: string; path: string })[];
  recalls?: string;
  call?: { media: 'voice' | 'video'; durationSeconds: number };
  raw?: unknown;
  [extra: string]: unknown;
}

let counter = 0;

export function textRecord(overrides: Partial<TestRecord> = {}): TestRecord {
  counter++;
  return {
    source: 'test',
    id: `m${counter}`,
    time: Date.UTC(2026, 2, 1, 1, 0, 0) + counter * 60_000,
    conversation: { id: 'room-sales', type: 'group', title: '销售部项目群' },
    from: { id: 'zhangsan', name: '张三' },
    to: [{ id: 'lisi', name: '李四' }],
    type: 'text',
    text: `第${counter}条消息`,
    ...overrides,
  };
}

export const toNdjson = (records: readonly unknown[]): string => `${records.map((r) => (typeof r === 'string' ? r : JSON.stringify(r))).join('\n')}\n`;
