import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

/**
 * The web console: `npx vite build --config web/vite.config.ts` writes web/dist/, which `wekeep serve`
 * serves. Strict CSP (script-src 'self', style-src 'self'): one external CSS file, no inline script.
 * `npx vite --config web/vite.config.ts` runs a dev server that proxies /api to WEKEEP_API (default
 * http://127.0.0.1:8080).
 */
const root = decodeURIComponent(new URL('.', import.meta.url).pathname);

export default defineConfig({
  root,
  base: '/',
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    cssCodeSplit: false,
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    sourcemap: false,
    // The dashboard chunk is ECharts (~450 kB of it is the core alone); it loads only on the dashboard.
    chunkSizeWarningLimit: 700,
  },
  server: {
    proxy: { '/api': { target: globalThis.process?.env.WEKEEP_API ?? 'http://127.0.0.1:8080', changeOrigin: false } },
  },
});
