import type { ReactNode } from 'react';
import { highlightSegments } from '../query-tools';

/** `text` with every occurrence of a term wrapped in <mark> (the rest stays plain text: no element for it). */
export function Highlight({ text, terms }: { text: string; terms: readonly string[] }): ReactNode {
  const segments = highlightSegments(text, terms);
  if (segments.length === 1 && !segments[0]?.match) return text;
  return segments.map((s, i) => (s.match ? <mark key={i}>{s.text}</mark> : s.text));
}
