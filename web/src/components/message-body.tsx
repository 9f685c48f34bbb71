import { useState, type ReactNode } from 'react';
import { attachmentUrl, voiceWavUrl } from '../api';
import { useI18n } from '../i18n';
import { typeLabelKey } from '../labels';
import { isServable } from '../scan-status';
import type { AttachmentInfo, Hit } from '../types';
import { Icon } from './icons';
import { Dialog } from './ui';

/** How one archived message looks inside its bubble, by type: media players, cards, call records, files. */

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const obj = (v: unknown): Record<string, unknown> | undefined => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined);

/** 192 → "3:12", 3723 → "1:02:03". */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  const pad = (n: number): string => String(n).padStart(2, '0');
  return h > 0 ? `${h}:${pad(m)}:${pad(sec)}` : `${m}:${pad(sec)}`;
}

/** Parses "03:12" or "1:02:03" from a call record's text. */
function durationFromText(text: string): number | undefined {
  const m = /(?:(\d+):)?(\d{1,2}):(\d{2})(?!\d)/u.exec(text);
  if (!m) return undefined;
  return Number(m[1] ?? 0) * 3600 + Number(m[2]) * 60 + Number(m[3]);
}

export function callInfo(hit: Hit): { media: 'voice' | 'video'; seconds: number | undefined } {
  const call = obj(hit.fields?.call);
  const text = hit.text ?? '';
  const media = str(call?.media) === 'video' || (call === undefined && /视频|視像|視訊|video/iu.test(text)) ? 'video' : 'voice';
  const seconds = num(call?.durationSeconds) ?? durationFromText(text);
  return { media, seconds };
}

const isHttpUrl = (s: string): boolean => /^https?:\/\/\S+$/iu.test(s);

const hostOf = (url: string): string => {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
};

export function linkInfo(hit: Hit): { title: string; description: string | undefined; url: string | undefined } {
  const f = obj(hit.fields?.link) ?? obj(hit.fields?.news) ?? obj(hit.fields);
  const fTitle = str(f?.title);
  const fUrl = str(f?.url) ?? str(f?.link_url) ?? str(f?.href);
  const lines = (hit.text ?? '').split('\n').map((l) => l.trim()).filter((l) => l !== '');
  const url = fUrl ?? lines.find((l) => isHttpUrl(l));
  const rest = lines.filter((l) => l !== url);
  return { title: fTitle ?? rest[0] ?? url ?? '', description: str(f?.description) ?? (rest.length > 1 ? rest.slice(1).join(' ') : undefined), url: url !== undefined && isHttpUrl(url) ? url : undefined };
}

/** Text without a leading "[label]" such as "[位置]". */
const stripLabel = (s: string): string => s.replace(/^\[[^\]]{1,12}\]\s*/u, '');

export function locationInfo(hit: Hit): { title: string; address: string | undefined; lat: number | undefined; lng: number | undefined } {
  const f = obj(hit.fields?.location) ?? {};
  const lines = stripLabel(hit.text ?? '').split('\n').map((l) => l.trim()).filter((l) => l !== '');
  return {
    title: str(f.title) ?? lines[0] ?? '',
    address: str(f.address) ?? str(f.label) ?? lines[1],
    lat: num(f.latitude) ?? num(f.lat),
    lng: num(f.longitude) ?? num(f.lng),
  };
}

export function cardInfo(hit: Hit): { name: string; detail: string | undefined } {
  const f = obj(hit.fields?.card) ?? {};
  const parts = stripLabel(hit.text ?? '').split(/\s*·\s*/u).filter((p) => p !== '');
  return { name: str(f.name) ?? str(f.nickname) ?? parts[0] ?? '', detail: str(f.corpname) ?? (parts.length > 1 ? parts.slice(1).join(' · ') : undefined) };
}

const kindOf = (a: AttachmentInfo, type: string): 'image' | 'audio' | 'video' | 'file' => {
  const mime = (a.mime ?? '').toLowerCase();
  if (mime.startsWith('image/')) return 'image';
  if (mime.startsWith('audio/') || (mime === '' && type === 'voice')) return 'audio';
  if (mime.startsWith('video/') || (mime === '' && type === 'video')) return 'video';
  if (mime === '' && (type === 'image' || type === 'emoji')) return 'image';
  return 'file';
};

function Thumb({ messageKey, a }: { messageKey: string; a: AttachmentInfo }): ReactNode {
  const { t } = useI18n();
  const [open, setOpen] = useState(false);
  const [broken, setBroken] = useState(false);
  const src = attachmentUrl(messageKey, a.ordinal, true);
  if (broken) return <FileCard messageKey={messageKey} a={a} />;
  return (
    <>
      <button type="button" className="thumb" onClick={() => setOpen(true)} aria-label={t('msg.enlarge', { name: a.name })} data-testid="image-thumb">
        <img src={src} alt={a.name} loading="lazy" decoding="async" onError={() => setBroken(true)} />
      </button>
      <Dialog open={open} title={a.name} onClose={() => setOpen(false)} wide testId="image-dialog">
        <div className="lightbox">
          <img src={src} alt={a.name} />
          <a href={attachmentUrl(messageKey, a.ordinal, false)} download={a.name}>
            {t('msg.download')}
          </a>
        </div>
      </Dialog>
    </>
  );
}

/** Audio the server sends inline and browsers play; anything else (AMR, SILK voice notes) the server decodes to WAV. */
const BROWSER_AUDIO = /^audio\/(mpeg|mp4|ogg|wav|webm|aac)$/u;

function MediaPlayer({ messageKey, a, kind }: { messageKey: string; a: AttachmentInfo; kind: 'audio' | 'video' }): ReactNode {
  const { t, bytes } = useI18n();
  const [unsupported, setUnsupported] = useState(false);
  const src = kind === 'audio' && !BROWSER_AUDIO.test((a.mime ?? '').toLowerCase()) ? voiceWavUrl(messageKey, a.ordinal) : attachmentUrl(messageKey, a.ordinal, true);
  const format = (a.mime ?? a.name.split('.').pop() ?? '').replace(/^audio\/|^video\//u, '').toUpperCase();
  return (
    <div className={kind === 'audio' ? 'voice' : 'video'}>
      {kind === 'audio' ? (
        <audio controls preload="metadata" src={src} onError={() => setUnsupported(true)} data-testid="voice-player" aria-label={t('msg.voiceNote')} />
      ) : (
        <video controls preload="metadata" src={src} onError={() => setUnsupported(true)} data-testid="video-player" aria-label={t('msg.video')} />
      )}
      {unsupported ? (
        <p className="media-note" data-testid="media-unsupported">
          {t('msg.cannotPlay', { format })}{' '}
          <a href={attachmentUrl(messageKey, a.ordinal, false)} download={a.name}>
            {t('msg.downloadSize', { size: bytes(a.size) })}
          </a>
        </p>
      ) : null}
    </div>
  );
}

const FILE_ICONS: [RegExp, string][] = [
  [/\.pdf$/iu, 'PDF'],
  [/\.(docx?|rtf|odt)$/iu, 'DOC'],
  [/\.(xlsx?|csv|ods)$/iu, 'XLS'],
  [/\.(pptx?|odp|key)$/iu, 'PPT'],
  [/\.(zip|rar|7z|gz|tar)$/iu, 'ZIP'],
  [/\.(txt|md|log)$/iu, 'TXT'],
];

function FileCard({ messageKey, a }: { messageKey: string; a: AttachmentInfo }): ReactNode {
  const { t, bytes } = useI18n();
  const icon = FILE_ICONS.find(([re]) => re.test(a.name))?.[1] ?? 'FILE';
  return (
    <a className="card file-card" href={attachmentUrl(messageKey, a.ordinal, false)} download={a.name} data-testid="file-card">
      <span className="card-main">
        <span className="card-title">{a.name}</span>
        <span className="card-sub">
          {bytes(a.size)} · {t('msg.download')}
        </span>
      </span>
      <span className={`file-icon file-${icon.toLowerCase()}`} aria-hidden="true">
        {icon}
      </span>
    </a>
  );
}

/**
 * An attachment the server does not serve: `pending` (waits for the malware scan: 409) or `infected`
 * (quarantined: 403). Its name and size only; its URL is never requested.
 */
function HeldAttachment({ a }: { a: AttachmentInfo }): ReactNode {
  const { t, bytes } = useI18n();
  const infected = a.scan === 'infected';
  return (
    <div className={`card held-card ${infected ? 'held-infected' : 'held-pending'}`} title={t(infected ? 'msg.quarantinedExplain' : 'msg.scanPendingExplain')} data-testid={infected ? 'attachment-infected' : 'attachment-pending'}>
      <span className="card-main">
        <span className="card-title">{a.name}</span>
        <span className="card-sub">{bytes(a.size)}</span>
      </span>
      {infected ? (
        <span className="badge badge-danger" data-testid="quarantined-badge">
          <Icon name="shield" /> {t('msg.quarantined')}
        </span>
      ) : (
        <span className="scan-pending" data-testid="scan-pending">
          <Icon name="clock" /> {t('msg.scanPending')}
        </span>
      )}
    </div>
  );
}

function Attachments({ hit }: { hit: Hit }): ReactNode {
  if (hit.attachments.length === 0) return null;
  return (
    <div className="attachments">
      {hit.attachments.map((a) => {
        if (!isServable(a.scan)) return <HeldAttachment key={a.ordinal} a={a} />;
        const k = kindOf(a, hit.type);
        if (k === 'image') return <Thumb key={a.ordinal} messageKey={hit.key} a={a} />;
        if (k === 'audio' || k === 'video') return <MediaPlayer key={a.ordinal} messageKey={hit.key} a={a} kind={k} />;
        return <FileCard key={a.ordinal} messageKey={hit.key} a={a} />;
      })}
    </div>
  );
}

function Text({ text }: { text: string | null }): ReactNode {
  if (text === null || text === '') return null;
  return <div className="text">{text}</div>;
}

/** The inside of a bubble. */
export function MessageBody({ hit }: { hit: Hit }): ReactNode {
  const { t } = useI18n();
  switch (hit.type) {
    case 'image':
    case 'emoji':
    case 'video':
      return (
        <>
          <Attachments hit={hit} />
          {hit.attachments.length === 0 ? <div className="text muted">[{t(typeLabelKey(hit.type))}]</div> : null}
          {hit.type === 'video' ? null : <Text text={hit.text} />}
        </>
      );
    case 'voice':
      return (
        <>
          <Attachments hit={hit} />
          {hit.attachments.length === 0 ? <div className="text muted">[{t('type.voice')}]</div> : <Text text={hit.text} />}
        </>
      );
    case 'file':
      return hit.attachments.length > 0 ? <Attachments hit={hit} /> : <Text text={hit.text} />;
    case 'call': {
      const c = callInfo(hit);
      return (
        <div className="call-record" data-testid="call-record">
          <Icon name={c.media === 'video' ? 'video' : 'phone'} />
          <span>{c.seconds !== undefined && c.seconds > 0 ? t(c.media === 'video' ? 'msg.videoCallDuration' : 'msg.voiceCallDuration', { d: formatDuration(c.seconds) }) : (hit.text ?? t(c.media === 'video' ? 'msg.videoCall' : 'msg.voiceCall'))}</span>
        </div>
      );
    }
    case 'link':
    case 'news': {
      const l = linkInfo(hit);
      const inner = (
        <>
          <span className="card-main">
            <span className="card-title">{l.title}</span>
            {l.description ? <span className="card-sub">{l.description}</span> : null}
          </span>
          <span className="card-foot">{l.url ? hostOf(l.url) : t(typeLabelKey(hit.type))}</span>
        </>
      );
      return l.url ? (
        <a className="card link-card" href={l.url} target="_blank" rel="noopener noreferrer nofollow" data-testid="link-card">
          {inner}
        </a>
      ) : (
        <div className="card link-card" data-testid="link-card">
          {inner}
        </div>
      );
    }
    case 'location': {
      const l = locationInfo(hit);
      return (
        <div className="card location-card" data-testid="location-card">
          <span className="card-main">
            <span className="card-title">
              <Icon name="pin" /> {l.title}
            </span>
            {l.address ? <span className="card-sub">{l.address}</span> : null}
          </span>
          {l.lat !== undefined && l.lng !== undefined ? (
            <span className="card-foot">
              {l.lat.toFixed(5)}, {l.lng.toFixed(5)}
            </span>
          ) : (
            <span className="card-foot">{t('type.location')}</span>
          )}
        </div>
      );
    }
    case 'card': {
      const c = cardInfo(hit);
      return (
        <div className="card contact-card" data-testid="contact-card">
          <span className="card-main">
            <span className="card-title">
              <Icon name="person" /> {c.name}
            </span>
            {c.detail ? <span className="card-sub">{c.detail}</span> : null}
          </span>
          <span className="card-foot">{t('type.card')}</span>
        </div>
      );
    }
    case 'text':
    case 'markdown':
    case 'system':
    case 'recall':
      return (
        <>
          <Text text={hit.text} />
          <Attachments hit={hit} />
        </>
      );
    default:
      return (
        <div className="card generic-card">
          <span className="card-main">
            <span className="card-text">{hit.text ?? ''}</span>
          </span>
          <Attachments hit={hit} />
          <span className="card-foot">{t(typeLabelKey(hit.type))}</span>
        </div>
      );
  }
}
