/**
 * Until @events/client's source type-checks against Node's lib alone: the typecheck
 * and tests here read its source (the @events/source condition), and two of its lines
 * assume the DOM lib (fetch's `cache` option, TextDecoder over any ArrayBufferView).
 * Types only; delete this file once the client no longer needs it.
 */
declare global {
  interface RequestInit {
    cache?: "default" | "force-cache" | "no-cache" | "no-store" | "only-if-cached" | "reload";
  }
}

declare module "util" {
  interface TextDecoder {
    decode(input?: ArrayBufferView | ArrayBuffer | null, options?: { stream?: boolean }): string;
  }
}

export {};
