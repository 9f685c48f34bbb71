/** A one-line progress bar on stderr (only when stderr is a terminal). No content, only counts. */
export function createProgressBar(label: string): { update(done: number, total: number, note: string): void; finish(): void } {
  const tty = process.stderr.isTTY === true;
  const started = Date.now();
  let lastDraw = 0;
  return {
    update(done, total, note) {
      if (!tty) return;
      const now = Date.now();
      if (now - lastDraw < 100 && done < total) return;
      lastDraw = now;
      const frac = total > 0 ? Math.min(1, done / total) : 0;
      const width = 28;
      const filled = Math.round(frac * width);
      const elapsed = (now - started) / 1000;
      const eta = frac > 0 ? Math.max(0, elapsed / frac - elapsed) : 0;
      const bar = `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
      process.stderr.write(`\r${label} ${bar} ${(frac * 100).toFixed(1).padStart(5)}%  ${note}  ETA ${eta.toFixed(0)}s   `);
    },
    finish() {
      if (tty) process.stderr.write('\n');
    },
  };
}
