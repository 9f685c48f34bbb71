import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { I18nProvider } from '../i18n';
import type { AttachmentInfo, Hit, ScanStatus } from '../types';
import { MessageBody } from './message-body';

/** A message with one attachment in the given scan state, rendered as the conversation shows it. */
function render(type: string, mime: string, scan: ScanStatus | undefined): string {
  const a: AttachmentInfo = { ordinal: 0, name: 'x.bin', mime, size: 2048, ...(scan ? { scan } : {}) };
  const hit: Hit = {
    key: '42',
    source: 's',
    id: 'm1',
    time: '2026-01-01T00:00:00Z',
    conversation: { id: 'c', type: 'direct', title: null, label: 'c' },
    from: { id: 'p', name: null },
    type,
    text: null,
    recalled: false,
    recalledAt: null,
    attachments: [a],
  };
  return renderToStaticMarkup(createElement(I18nProvider, null, createElement(MessageBody, { hit })));
}

const KINDS: [string, string][] = [
  ['image', 'image/png'],
  ['voice', 'audio/amr'],
  ['video', 'video/mp4'],
  ['file', 'application/pdf'],
];

describe('attachments held by the malware scan', () => {
  it('never links or loads a pending or infected attachment', () => {
    for (const [type, mime] of KINDS) {
      const pending = render(type, mime, 'pending');
      expect(pending).not.toContain('/attachments/');
      expect(pending).toContain('data-testid="attachment-pending"');
      expect(pending).toContain('等待病毒扫描');
      const infected = render(type, mime, 'infected');
      expect(infected).not.toContain('/attachments/');
      expect(infected).toContain('data-testid="quarantined-badge"');
      expect(infected).toContain('已隔离：检测到恶意软件');
    }
  });

  it('shows clean, not scanned and (older servers) unmarked attachments as before', () => {
    for (const scan of ['clean', 'not_scanned', undefined] as const) {
      for (const [type, mime] of KINDS) {
        const html = render(type, mime, scan);
        expect(html).toContain('/api/v1/messages/42/attachments/0');
        expect(html).not.toContain('attachment-pending');
        expect(html).not.toContain('quarantined-badge');
      }
    }
  });
});
