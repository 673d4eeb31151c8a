/**
 * Everything an envelope says about where it comes from: node, team, project and
 * git. Resolved once per emitter, on its first emit, from files only (no process is
 * spawned); git metadata is refreshed at most every few seconds.
 */
import { basename } from "node:path";
import type { ResolvedOptions } from "../options.js";
import { cachedGitMetadata, type GitMetadata } from "./git-metadata.js";
import { computeNodeId } from "./node-id.js";
import { loadProjectConfig, type ConfigCache, type ProjectIdentity } from "./project-config.js";
import { findGitRoot, findProjectRoot } from "./project-root.js";
import { toSlug } from "./slug.js";
import { readTeamSlug } from "./team-slug.js";

const GIT_TTL_MS = 5_000;

export interface Identity {
  nodeId: string;
  teamSlug: string;
  /** Null when it cannot be found (the working directory was deleted). */
  projectRoot: string | null;
  /** Null when the emitter was given `project: null`. */
  project: ProjectIdentity | null;
  /** Whether the project identity is stored in `.events/config.yaml` (false: in memory only). */
  projectPersisted: boolean;
  /** `sync.auto_start` of the project config, when it says. */
  autoStart: boolean | undefined;
  git: () => GitMetadata;
}

export interface ResolveIdentityOptions {
  options: ResolvedOptions;
  cache: ConfigCache | undefined;
  /** Called with a warning when the project identity cannot be found or stored. */
  onProblem: (problem: string) => void;
}

function locateProject(options: ResolvedOptions, onProblem: (problem: string) => void): string | null {
  try {
    return options.projectRoot ?? findProjectRoot();
  } catch (error) {
    // process.cwd() throws once the working directory is deleted.
    onProblem(`cannot find the project root (${error instanceof Error ? error.message : String(error)}); events carry no project`);
    return null;
  }
}

/** Resolves the identity. Never throws: what cannot be known is left out, with a warning. */
export function resolveIdentity({ options, cache, onProblem }: ResolveIdentityOptions): Identity {
  const projectRoot = locateProject(options, onProblem);
  const git = cachedGitMetadata(projectRoot === null ? undefined : findGitRoot(projectRoot), { ttlMs: GIT_TTL_MS, now: options.now });
  const base = {
    nodeId: options.nodeId ?? computeNodeId(cache),
    teamSlug: options.teamSlug ?? readTeamSlug(options.home),
    projectRoot,
    git,
  };
  if (options.project !== undefined || projectRoot === null) {
    return { ...base, project: options.project ?? null, projectPersisted: false, autoStart: undefined };
  }
  const config = loadProjectConfig({
    root: projectRoot,
    cache,
    slug: () => toSlug(git().repoName ?? basename(projectRoot)),
  });
  if (config.problem !== undefined) onProblem(`${config.problem}; using a project identity kept in memory for this process`);
  return { ...base, project: config.project, projectPersisted: config.persisted, autoStart: config.autoStart };
}
