/// <reference types="vitest/config" />
import { defineConfig } from 'vite';

// The window's UI. Plain Preact with TSX (no plugin needed: the JSX runtime
// is preact's, set in tsconfig.json). `vite build` writes dist/, which
// gatepass.dev/frontend embeds (embed.go).
export default defineConfig({
  base: './',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    chunkSizeWarningLimit: 200,
  },
  server: { port: 5173, strictPort: true },
  test: {
    environment: 'happy-dom',
    include: ['src/**/*.test.{ts,tsx}'],
    restoreMocks: true,
  },
});
