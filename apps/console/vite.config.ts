import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The console is served by `gantry server` at `/`; in development Vite proxies the API to a local server.
const apiTarget = 'http://127.0.0.1:7420';

export default defineConfig({
  base: '/',
  plugins: [react()],
  server: {
    proxy: {
      '/api': { target: apiTarget, changeOrigin: false },
      '/apis': { target: apiTarget, changeOrigin: false },
    },
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    chunkSizeWarningLimit: 900,
  },
});
