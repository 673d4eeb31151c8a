/**
 * The user config, `<home>/config.yaml`: `server_url` and `sync: { auto_start, background }`.
 * Read once, only when sync needs it; `yaml` is loaded only if the file exists.
 */
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import type * as Yaml from "yaml";
import { warn } from "../logger.js";

export interface UserConfig {
  serverUrl: string | undefined;
  autoStart: boolean | undefined;
  /** `sync.background`: hand delivery to the background syncer. */
  background: boolean | undefined;
}

export function readUserConfig(home: string): UserConfig {
  const path = join(home, "config.yaml");
  if (!existsSync(path)) return { serverUrl: undefined, autoStart: undefined, background: undefined };
  try {
    const yaml = createRequire(import.meta.url)("yaml") as typeof Yaml;
    const value = yaml.parse(readFileSync(path, "utf8")) as { server_url?: unknown; sync?: { auto_start?: unknown; background?: unknown } } | null;
    return {
      serverUrl: typeof value?.server_url === "string" ? value.server_url : undefined,
      autoStart: typeof value?.sync?.auto_start === "boolean" ? value.sync.auto_start : undefined,
      background: typeof value?.sync?.background === "boolean" ? value.sync.background : undefined,
    };
  } catch (error) {
    warn(`${path} could not be read (${error instanceof Error ? error.message : String(error)}); using defaults`);
    return { serverUrl: undefined, autoStart: undefined, background: undefined };
  }
}
