/**
 * Git branch, commit and repository, read from the files under `.git` (HEAD, refs,
 * packed-refs, config), never by spawning git: an emit must not cost a process.
 * Worktrees (`.git` as a file pointing elsewhere) are followed. Anything that
 * cannot be read is `null`.
 */
import { readFileSync, statSync } from "node:fs";
import { isAbsolute, join, resolve } from "node:path";

export interface GitMetadata {
  /** The checked-out branch, or null when detached or unknown. */
  branch: string | null;
  /** The commit HEAD points at, or null. */
  commit: string | null;
  /** `owner/name` of the `origin` remote (else the first remote), or null. */
  repoSlug: string | null;
  /** The repository's name: the last part of the remote's path, without `.git`. */
  repoName: string | null;
}

const NONE: GitMetadata = { branch: null, commit: null, repoSlug: null, repoName: null };
const COMMIT = /^[0-9a-f]{7,64}$/;

function read(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
}

interface GitDirs {
  /** Per-worktree: HEAD. */
  gitDir: string;
  /** Shared: refs, packed-refs, config. */
  commonDir: string;
}

function locate(root: string): GitDirs | undefined {
  const dotGit = join(root, ".git");
  let stat;
  try {
    stat = statSync(dotGit);
  } catch {
    return undefined;
  }
  let gitDir = dotGit;
  if (stat.isFile()) {
    const pointer = /^gitdir:\s*(.+)$/m.exec(read(dotGit) ?? "")?.[1]?.trim();
    if (pointer === undefined) return undefined;
    gitDir = isAbsolute(pointer) ? pointer : resolve(root, pointer);
  }
  const common = read(join(gitDir, "commondir"))?.trim();
  const commonDir = common === undefined || common === "" ? gitDir : resolve(gitDir, common);
  return { gitDir, commonDir };
}

function resolveRef(dirs: GitDirs, ref: string): string | null {
  for (const dir of new Set([dirs.gitDir, dirs.commonDir])) {
    const value = read(join(dir, ref))?.trim();
    if (value !== undefined && COMMIT.test(value)) return value;
  }
  for (const line of (read(join(dirs.commonDir, "packed-refs")) ?? "").split("\n")) {
    const [sha, name] = line.trim().split(" ");
    if (name === ref && sha !== undefined && COMMIT.test(sha)) return sha;
  }
  return null;
}

/** The URL of `origin`, else of the first remote in `.git/config`. */
function remoteUrl(config: string): string | undefined {
  const urls = new Map<string, string>();
  let remote: string | undefined;
  for (const line of config.split("\n")) {
    const section = /^\s*\[\s*remote\s+"([^"]+)"\s*\]/.exec(line);
    if (section !== null) {
      remote = section[1];
      continue;
    }
    if (/^\s*\[/.test(line)) remote = undefined;
    const url = /^\s*url\s*=\s*(.+?)\s*$/.exec(line)?.[1];
    if (remote !== undefined && url !== undefined && !urls.has(remote)) urls.set(remote, url);
  }
  return urls.get("origin") ?? urls.values().next().value;
}

/** `git@github.com:Owner/name.git` and `https://host/owner/name` both give `owner/name` (lower-cased). */
export function repoFromUrl(url: string): { slug: string; name: string } | undefined {
  const path = url
    .trim()
    .replace(/^[a-z+]+:\/\/[^/]+\//i, "")
    .replace(/^[^@/]+@[^:]+:/, "")
    .replace(/\.git\/?$/, "")
    .replace(/\/+$/, "");
  const parts = path.split(/[/\\]/).filter((part) => part !== "");
  const name = parts.at(-1);
  if (name === undefined) return undefined;
  const slug = parts.slice(-2).join("/").toLowerCase();
  return slug.length <= 256 ? { slug, name } : { slug: name.slice(0, 256), name };
}

export function readGitMetadata(root: string | undefined): GitMetadata {
  if (root === undefined) return NONE;
  const dirs = locate(root);
  if (dirs === undefined) return NONE;
  const head = read(join(dirs.gitDir, "HEAD"))?.trim() ?? "";
  let branch: string | null = null;
  let commit: string | null = null;
  if (head.startsWith("ref:")) {
    const ref = head.slice(4).trim();
    branch = ref.startsWith("refs/heads/") ? ref.slice("refs/heads/".length) : ref;
    if (branch.length > 512) branch = null;
    commit = resolveRef(dirs, ref);
  } else if (COMMIT.test(head)) {
    commit = head;
  }
  const url = remoteUrl(read(join(dirs.commonDir, "config")) ?? "");
  const repo = url === undefined ? undefined : repoFromUrl(url);
  return { branch, commit, repoSlug: repo?.slug ?? null, repoName: repo?.name ?? null };
}

/** Git metadata re-read at most once per `ttlMs`: a long-lived host sees a branch switch, an emit pays nothing. */
export function cachedGitMetadata(root: string | undefined, options: { ttlMs: number; now: () => number }): () => GitMetadata {
  let value: GitMetadata | undefined;
  let readAt = 0;
  return () => {
    const now = options.now();
    if (value === undefined || now - readAt >= options.ttlMs) {
      value = readGitMetadata(root);
      readAt = now;
    }
    return value;
  };
}
