// The transport of this build: the desktop app's. The web build (`vite build --mode web`) swaps this module for
// platform-web.ts, so the UI above the transport is the same code in both.
export { tauriTransport as transport } from './transport';
