import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Two builds of one UI. The default is the desktop app's (dist/, loaded by Tauri from disk); `--mode web` is the
// browser guests' (dist-web/, embedded in every host), which swaps the Tauri transport for Socket.IO. Relative
// paths and no inline scripts in both: the CSPs forbid inline code.
export default defineConfig(({ mode }) => ({
  base: mode === 'web' ? '/' : './',
  clearScreen: false,
  resolve: {
    alias:
      mode === 'web'
        ? [{ find: /^\.\/platform$/, replacement: fileURLToPath(new URL('./src/platform-web.ts', import.meta.url)) }]
        : [],
  },
  build: {
    outDir: mode === 'web' ? 'dist-web' : 'dist',
    emptyOutDir: true,
    target: 'es2021',
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
  },
  test: {
    environment: 'jsdom',
    include: ['src/**/*.test.ts'],
  },
}));
