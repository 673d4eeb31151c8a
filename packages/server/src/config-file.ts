/**
 * Reads a hub config file (YAML, the keys of `HubConfigFile`) into `HubOptions`.
 * Strict: an unknown key, a value of the wrong type or out of range, a duplicate key
 * or a YAML syntax error is refused with a `HubConfigError` whose issues name each
 * key, what it takes and what came (`hub.yaml: limits.max_frame_bytes: expected a
 * positive integer, received "x"`). Never a partial result. Relative paths in the file
 * are taken from the file's own directory, so it means the same from any cwd.
 * Precedence over the file (flags, then the environment) is `hubOptionsFrom`'s job.
 */
import { readFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import type { TSchema } from "@sinclair/typebox";
import { Value, ValueErrorType } from "@sinclair/typebox/value";
import type { Document, LineCounter } from "yaml";
import { HubConfigFile, type HubConfigKeySchema } from "./config-file-schema.js";
import { HubError } from "./errors.js";
import type { HubOptions } from "./options.js";

/** One refused key. */
export interface HubConfigIssue {
  /** The key, dotted (`limits.max_frame_bytes`); empty for the file as a whole. */
  readonly path: string;
  /** What the key takes, or what the file should be; for an unknown key, the known key it may mean. */
  readonly expected: string;
  /** What came: the value as JSON text, `an unknown key`, or the YAML parser's complaint. */
  readonly received: string;
  /** 1-based line in the file, when known. */
  readonly line?: number;
}

/** A config file the hub refuses; `message` has one line per issue. */
export class HubConfigError extends HubError {
  readonly file: string;
  readonly issues: readonly HubConfigIssue[];

  constructor(file: string, issues: readonly HubConfigIssue[], options?: { cause?: unknown }) {
    super("config", issues.map((issue) => formatIssue(file, issue)).join("\n"), options);
    this.file = file;
    this.issues = issues;
  }
}

type Camel<S extends string> = S extends `${infer Head}_${infer Tail}` ? `${Head}${Capitalize<Camel<Tail>>}` : S;

/** The file's keys under their `HubOptions` names (`log_level` is `logger`). */
export type HubOptionsFromFile = { [K in keyof HubConfigFile as K extends "log_level" ? "logger" : Camel<K & string>]?: HubConfigFile[K] };

// Every key of the file is an option of the hub, of a type the hub takes.
const _fileFitsOptions = (options: HubOptionsFromFile): HubOptions => options;
void _fileFitsOptions;

/** Reads and validates `file`; rejects with a `HubConfigError` (code `config`). */
export async function loadHubConfig(file: string): Promise<HubOptions> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (error as Error).message;
    throw new HubConfigError(file, [{ path: "", expected: "a readable YAML file", received: reason }], { cause: error });
  }
  return parseHubConfig(text, { file, baseDir: dirname(resolve(file)) });
}

/** Validates YAML text as a hub config; `file` names it in messages, `baseDir` anchors relative paths (default: the cwd). */
export async function parseHubConfig(text: string, source: { file: string; baseDir?: string }): Promise<HubOptions> {
  const { LineCounter, parseDocument } = await import("yaml");
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new HubConfigError(
      source.file,
      doc.errors.map((error) => ({ path: "", expected: "valid YAML", received: error.message, ...lineOf(lines, error.pos[0]) })),
    );
  }
  const value: unknown = doc.toJS() ?? {};
  const issues = validate(value, { doc, lines });
  if (issues.length > 0) throw new HubConfigError(source.file, issues);
  return toOptions(value as HubConfigFile, resolve(source.baseDir ?? "."));
}

function validate(value: unknown, where: { doc: Document; lines: LineCounter }): HubConfigIssue[] {
  const issues = new Map<string, HubConfigIssue>();
  for (const error of Value.Errors(HubConfigFile, value)) {
    const segments = error.path.split("/").slice(1).map(unescapePointer);
    const path = segments.join(".");
    if (issues.has(path)) continue; // the first complaint about a key says it
    const node: unknown = segments.length === 0 ? undefined : where.doc.getIn(segments, true);
    const at = lineOf(where.lines, (node as { range?: [number] } | undefined)?.range?.[0]);
    if (error.type === ValueErrorType.ObjectAdditionalProperties) {
      const parent = segments.length > 1 ? parentSchema(segments.slice(0, -1)) : HubConfigFile;
      issues.set(path, { path, expected: knownKey(segments.at(-1) ?? "", parent), received: "an unknown key", ...at });
      continue;
    }
    const schema = error.schema as Partial<HubConfigKeySchema>;
    issues.set(path, { path, expected: schema.expected ?? "a valid value", received: received(error.value), ...at });
  }
  return [...issues.values()].sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
}

function parentSchema(segments: readonly string[]): TSchema {
  let schema: TSchema = HubConfigFile;
  for (const segment of segments) schema = (schema["properties"] as Record<string, TSchema> | undefined)?.[segment] ?? schema;
  return schema;
}

/** What to say of an unknown key: the closest known one, if one is close. */
function knownKey(key: string, parent: TSchema): string {
  const keys = Object.keys((parent["properties"] as Record<string, unknown> | undefined) ?? {});
  const folded = (name: string): string => name.toLowerCase().replace(/[_-]/g, "");
  const close =
    keys.find((known) => folded(known) === folded(key)) ??
    keys.find((known) => key.length >= 4 && (known.startsWith(key) || key.startsWith(known))) ??
    keys.find((known) => distance(known, key) <= 2);
  return close === undefined ? "a known key; deploy/hub.yaml lists every one" : `did you mean ${close}?`;
}

function toOptions(file: HubConfigFile, baseDir: string): HubOptions {
  const options: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(file)) {
    const schema = (HubConfigFile.properties as Record<string, Partial<HubConfigKeySchema>>)[key];
    const option = key === "log_level" ? "logger" : key.replace(/_([a-z])/g, (_match, letter: string) => letter.toUpperCase());
    options[option] = schema?.path === true && typeof value === "string" ? resolve(baseDir, value) : value;
  }
  return options;
}

function formatIssue(file: string, issue: HubConfigIssue): string {
  const at = issue.path === "" ? "" : `${issue.path}: `;
  const line = issue.line === undefined ? "" : ` (line ${issue.line})`;
  if (issue.received === "an unknown key") return `${file}: ${at}unknown key; ${issue.expected}${line}`;
  return `${file}: ${at}expected ${issue.expected}, received ${issue.received}${line}`;
}

const RECEIVED_MAX_CHARS = 80;

function received(value: unknown): string {
  const json = value === undefined ? "nothing" : JSON.stringify(value);
  return json.length <= RECEIVED_MAX_CHARS ? json : `${json.slice(0, RECEIVED_MAX_CHARS)}…`;
}

function lineOf(lines: LineCounter, offset: number | undefined): { line?: number } {
  return offset === undefined ? {} : { line: lines.linePos(offset).line };
}

function unescapePointer(segment: string): string {
  return segment.replace(/~1/g, "/").replace(/~0/g, "~");
}

function distance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}
