import type { ReactNode } from 'react';
import { highlightSegments } from '../query-tools';

/** `text` with every occurrence of a term wrapped in <mark>. */
export function Highlight({ text, terms }: { text: string; terms: readonly string[] }): ReactNode {
  return highlightSegments(text, terms).map((s, i) => (s.match ? <mark key={i}>{s.text}</mark> : <span key={i}>{s.text}</span>));
}
