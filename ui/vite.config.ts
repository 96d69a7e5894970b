import { defineConfig } from 'vitest/config';

// The webview loads the built files from disk: relative paths, no inline scripts (the CSP forbids them).
export default defineConfig({
  base: './',
  clearScreen: false,
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2021',
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
  },
  test: {
    environment: 'jsdom',
    include: ['src/**/*.test.ts'],
  },
});
