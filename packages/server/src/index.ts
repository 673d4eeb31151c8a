/**
 * @events/server: the hub. `startHub` runs it in-process (the CLI's `events serve`
 * and `pnpm start` use it); the rest is what callers need to configure and observe it.
 */
export { startHub } from "./hub.js";
export { hubOptionsFrom, hubOptionsFromEnv, HUB_ENV } from "./env-options.js";
export type { HubFlags } from "./env-options.js";
export { HubConfigError, loadHubConfig, parseHubConfig } from "./config-file.js";
export type { HubConfigIssue } from "./config-file.js";
export { HubConfigFile } from "./config-file-schema.js";
export { backupSqliteStore } from "./store/sqlite-backup.js";
export type { BackupOptions, BackupResult } from "./store/sqlite-backup.js";
export type { Hub, HubStats } from "./hub.js";
export { DEFAULT_LIMITS, MAX_DATAGRAM_BYTES, defaultSocketPath, resolveOptions, runtimeDir } from "./options.js";
export type { HubOptions, ResolvedOptions, StoreConfig } from "./options.js";
export { HubError, HUB_ERROR_CODES, RETRYABLE_CODES } from "./errors.js";
export type { HubErrorCode } from "./errors.js";
export { createLogger } from "./logger.js";
export type { Logger, LogLevel } from "./logger.js";
export { HUB_VERSION } from "./version.js";
