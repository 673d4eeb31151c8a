/**
 * The project identity in `<project root>/.events/config.yaml`:
 *
 *     project: { uuid: <uuid>, slug: <kebab-case> }
 *     sync: { auto_start: true }
 *
 * Created on first use, atomically and exclusively (of two processes creating it at
 * once, both end up with the one that won). A file we cannot write, or cannot parse,
 * is never overwritten: the identity is then kept in memory and the caller warns.
 * `yaml` is loaded only when a file must be parsed or written; a cache (kept in
 * queue.db) keyed by the file's mtime, size and inode skips it on later runs.
 */
import { mkdirSync, readFileSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import type * as Yaml from "yaml";
import { createFileExclusive, writeFileAtomic } from "./atomic-write.js";
import { nodeCrypto } from "./node-id.js";
import { isSlug } from "./slug.js";

export interface ProjectIdentity {
  uuid: string;
  slug: string;
}

export interface ProjectConfig {
  project: ProjectIdentity;
  /** `sync.auto_start`, when the file says. */
  autoStart: boolean | undefined;
  /** False when the identity lives only in this process's memory. */
  persisted: boolean;
  configPath: string;
  /** Why the identity is not persisted, for a warning. */
  problem?: string;
}

/** Remembers parsed config files between runs; values are opaque strings. */
export interface ConfigCache {
  get(key: string): string | undefined;
  set(key: string, value: string): void;
}

export interface LoadProjectConfigOptions {
  root: string;
  /** The slug for a new identity (from the git remote's repository, else the directory). */
  slug: () => string;
  cache?: ConfigCache | undefined;
}

const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const HEADER = "# @events project identity: keep it in version control so every clone shares it.\n";

/** A new project uuid; node:crypto is loaded only when an identity is created. */
function randomUUID(): string {
  return nodeCrypto().randomUUID();
}

let yamlModule: typeof Yaml | undefined;
function yaml(): typeof Yaml {
  yamlModule ??= createRequire(import.meta.url)("yaml") as typeof Yaml;
  return yamlModule;
}

export function configPathOf(root: string): string {
  return join(root, ".events", "config.yaml");
}

interface Stamped {
  stamp: string;
  uuid: string;
  slug: string;
  autoStart?: boolean;
}

function stampOf(path: string): string | undefined {
  try {
    const stat = statSync(path);
    return `${stat.mtimeMs}:${stat.size}:${stat.ino}`;
  } catch {
    return undefined;
  }
}

function fromCache(cache: ConfigCache | undefined, path: string, stamp: string): Stamped | undefined {
  try {
    const value = cache?.get(path);
    if (value === undefined) return undefined;
    const parsed = JSON.parse(value) as Stamped;
    return parsed.stamp === stamp ? parsed : undefined;
  } catch {
    return undefined;
  }
}

function toCache(cache: ConfigCache | undefined, path: string, value: Stamped): void {
  try {
    cache?.set(path, JSON.stringify(value));
  } catch {
    // A cache that cannot be written only costs a parse next time.
  }
}

function readProject(value: unknown): { project: ProjectIdentity | undefined; autoStart: boolean | undefined } {
  const config = typeof value === "object" && value !== null ? (value as Record<string, unknown>) : {};
  const project = config["project"] as Record<string, unknown> | undefined;
  const sync = config["sync"] as Record<string, unknown> | undefined;
  const uuid = project?.["uuid"];
  const slug = project?.["slug"];
  const autoStart = typeof sync?.["auto_start"] === "boolean" ? (sync["auto_start"]) : undefined;
  const valid = typeof uuid === "string" && UUID.test(uuid) && isSlug(slug);
  return { project: valid ? { uuid: uuid.toLowerCase(), slug } : undefined, autoStart };
}

function memoryIdentity(options: LoadProjectConfigOptions, path: string, problem: string): ProjectConfig {
  return { project: { uuid: randomUUID(), slug: options.slug() }, autoStart: undefined, persisted: false, configPath: path, problem };
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Reads (and if needed creates or completes) the project identity. Never throws. */
export function loadProjectConfig(options: LoadProjectConfigOptions): ProjectConfig {
  const path = configPathOf(options.root);
  try {
    for (let attempt = 0; attempt < 3; attempt++) {
      const stamp = stampOf(path);
      if (stamp === undefined) {
        const fresh = { uuid: randomUUID(), slug: options.slug() };
        mkdirSync(dirname(path), { recursive: true });
        const text = HEADER + yaml().stringify({ project: fresh });
        if (createFileExclusive(path, text)) {
          const created = stampOf(path);
          if (created !== undefined) toCache(options.cache, path, { stamp: created, ...fresh });
          return { project: fresh, autoStart: undefined, persisted: true, configPath: path };
        }
        continue; // Another process created it first: read theirs.
      }
      const cached = fromCache(options.cache, path, stamp);
      if (cached !== undefined) {
        return { project: { uuid: cached.uuid, slug: cached.slug }, autoStart: cached.autoStart, persisted: true, configPath: path };
      }
      const document = yaml().parseDocument(readFileSync(path, "utf8"));
      if (document.errors.length > 0) {
        return memoryIdentity(options, path, `${path} is not valid YAML (${document.errors[0]?.message ?? "parse error"}); fix it to keep one project identity`);
      }
      const { project, autoStart } = readProject(document.toJS());
      if (project !== undefined) {
        toCache(options.cache, path, { stamp, ...project, ...(autoStart === undefined ? {} : { autoStart }) });
        return { project, autoStart, persisted: true, configPath: path };
      }
      if (document.get("project") !== undefined) {
        return memoryIdentity(options, path, `${path} has a project entry without a valid uuid and kebab-case slug; fix or remove it`);
      }
      // A config without a project yet: add one, keeping the rest of the file.
      document.set("project", { uuid: randomUUID(), slug: options.slug() });
      writeFileAtomic(path, document.toString());
    }
    return memoryIdentity(options, path, `${path} kept changing while it was read`);
  } catch (error) {
    return memoryIdentity(options, path, `cannot create or update ${path} (${describe(error)})`);
  }
}
