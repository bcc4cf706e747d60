// Builds the HQ console into dist/ for the gateway to serve under /console/ (issue 12). Offline:
// everything comes from node_modules; no CDN, no web fonts (the system's CJK fonts render zh-CN).
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

export default defineConfig({
  base: '/console/',
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: false,
    // ECharts is the bulk; split it so the login page does not wait for it.
    chunkSizeWarningLimit: 1200,
  },
});
