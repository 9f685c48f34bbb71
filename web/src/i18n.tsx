import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { messages, type Lang, type MessageKey } from './messages';

export type { Lang, MessageKey } from './messages';
export const LANGS: readonly Lang[] = ['zh-CN', 'en'];

const STORAGE_KEY = 'wekeep.lang';
const TZ_KEY = 'wekeep.timeZone';
export const DEFAULT_TIME_ZONE = 'Asia/Shanghai';

export type Params = Record<string, string | number>;

// Intl formatters are costly to create: one per language, made on first use.
const numberFormats = new Map<Lang, Intl.NumberFormat>();
function numberFormat(lang: Lang): Intl.NumberFormat {
  let nf = numberFormats.get(lang);
  if (!nf) numberFormats.set(lang, (nf = new Intl.NumberFormat(lang)));
  return nf;
}

/** Replaces `{name}` placeholders. Numbers are formatted for the language. */
export function translate(lang: Lang, key: MessageKey, params?: Params): string {
  const template = messages[lang][key] ?? messages['zh-CN'][key] ?? key;
  if (!params) return template;
  const nf = numberFormat(lang);
  return template.replace(/\{(\w+)\}/g, (m, name: string) => {
    const v = params[name];
    if (v === undefined) return m;
    return typeof v === 'number' ? nf.format(v) : v;
  });
}

function readStored(key: string): string | null {
  try {
    return window.localStorage.getItem(key);
  } catch {
    return null;
  }
}

function writeStored(key: string, value: string): void {
  try {
    window.localStorage.setItem(key, value);
  } catch {
    // Storage may be disabled; the choice then lasts for this page only.
  }
}

export function initialLang(): Lang {
  const stored = readStored(STORAGE_KEY);
  return stored === 'en' || stored === 'zh-CN' ? stored : 'zh-CN';
}

function validZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

export interface I18n {
  lang: Lang;
  setLang(lang: Lang): void;
  timeZone: string;
  setTimeZone(zone: string): void;
  t(key: MessageKey, params?: Params): string;
  /** 12,345 */
  num(n: number): string;
  /** 1.2 MiB */
  bytes(n: number): string;
  /** 2026-03-01 09:30 in the viewer's zone. */
  dateTime(iso: string | number): string;
  /** 09:30 */
  time(iso: string | number): string;
  /** 2026年3月1日 星期日 */
  day(iso: string | number): string;
  /** YYYY-MM-DD in the viewer's zone (grouping key). */
  dayKey(iso: string | number): string;
}

const I18nContext = createContext<I18n | null>(null);

export function I18nProvider({ children }: { children: ReactNode }): ReactNode {
  const [lang, setLangState] = useState<Lang>(initialLang);
  const [timeZone, setZoneState] = useState<string>(() => {
    const z = readStored(TZ_KEY);
    return z !== null && validZone(z) ? z : DEFAULT_TIME_ZONE;
  });

  useEffect(() => {
    document.documentElement.lang = lang;
    document.title = translate(lang, 'app.title');
  }, [lang]);

  const setLang = useCallback((l: Lang) => {
    writeStored(STORAGE_KEY, l);
    setLangState(l);
  }, []);
  const setTimeZone = useCallback((z: string) => {
    if (!validZone(z)) return;
    writeStored(TZ_KEY, z);
    setZoneState(z);
  }, []);

  const value = useMemo<I18n>(() => {
    // Made when first used: a page that shows no dates makes no date formatter.
    const once = <T,>(make: () => T): (() => T) => {
      let v: T | undefined;
      return () => (v ??= make());
    };
    const nf = (): Intl.NumberFormat => numberFormat(lang);
    const nf1 = once(() => new Intl.NumberFormat(lang, { maximumFractionDigits: 1 }));
    const dtf = once(() => new Intl.DateTimeFormat(lang === 'en' ? 'en-GB' : 'zh-CN', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hour12: false }));
    const tf = once(() => new Intl.DateTimeFormat(lang === 'en' ? 'en-GB' : 'zh-CN', { timeZone, hour: '2-digit', minute: '2-digit', hour12: false }));
    const df = once(() => new Intl.DateTimeFormat(lang, { timeZone, year: 'numeric', month: 'long', day: 'numeric', weekday: 'long' }));
    const kf = once(() => new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }));
    const toDate = (v: string | number): Date => new Date(v);
    const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
    return {
      lang,
      setLang,
      timeZone,
      setTimeZone,
      t: (key, params) => translate(lang, key, params),
      num: (n) => nf().format(n),
      bytes: (n) => {
        let v = n;
        let i = 0;
        while (Math.abs(v) >= 1024 && i < units.length - 1) {
          v /= 1024;
          i++;
        }
        return `${i === 0 ? nf().format(v) : nf1().format(v)} ${units[i]}`;
      },
      dateTime: (v) => dtf().format(toDate(v)),
      time: (v) => tf().format(toDate(v)),
      day: (v) => df().format(toDate(v)),
      dayKey: (v) => kf().format(toDate(v)),
    };
  }, [lang, setLang, timeZone, setTimeZone]);

  return <I18nContext.Provider value={value}>{children}</I18nContext.Provider>;
}

export function useI18n(): I18n {
  const v = useContext(I18nContext);
  if (!v) throw new Error('useI18n outside I18nProvider');
  return v;
}
