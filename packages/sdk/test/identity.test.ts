import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { hostname, userInfo } from "node:os";
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import { createEmitter } from "../src/index.js";
import { computeNodeId } from "../src/identity/node-id.js";
import { findProjectRoot } from "../src/identity/project-root.js";
import { readGitMetadata, repoFromUrl } from "../src/identity/git-metadata.js";
import { toSlug } from "../src/identity/slug.js";
import { captureLog } from "./helpers/capture-log.js";
import { siblingEmitter, testEmitter } from "./helpers/emitters.js";
import { PAYLOADS } from "./helpers/payloads.js";
import { tempDir, tempWorkspace } from "./helpers/temp-dir.js";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const SHA = "2c7562df8a1b3c4d5e6f708192a3b4c5d6e7f809";

/** A fake repository made of files only: git itself could not read it, so the SDK must not be spawning git. */
function fakeRepo(root: string, files: Record<string, string>): string {
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(root, path, ".."), { recursive: true });
    writeFileSync(join(root, path), content);
  }
  return root;
}

function configOf(projectRoot: string): string {
  return readFileSync(join(projectRoot, ".events", "config.yaml"), "utf8");
}

describe("project identity", () => {
  it("creates .events/config.yaml on first use, with a uuid and a kebab-case slug of the directory", () => {
    const root = join(tempDir(), "My Project_Dir");
    const emitter = testEmitter({ projectRoot: root });
    const result = emitter.emitWpStatusChanged(PAYLOADS.WPStatusChanged);
    expect(result.ok && result.event.project_slug).toBe("my-project-dir");
    expect(result.ok && result.event.project_uuid).toMatch(UUID);
    expect(configOf(root)).toContain(`uuid: ${result.ok ? result.event.project_uuid : ""}`);
    expect(emitter.identity().projectPersisted).toBe(true);
  });

  it("takes the slug from the git remote's repository name", () => {
    const root = fakeRepo(join(tempDir(), "checkout"), {
      ".git/HEAD": "ref: refs/heads/main\n",
      ".git/config": '[core]\n\tbare = false\n[remote "origin"]\n\turl = git@github.com:Priivacy-ai/Spec_Kitty.git\n',
    });
    const emitter = testEmitter({ projectRoot: root });
    const result = emitter.emitWpStatusChanged(PAYLOADS.WPStatusChanged);
    expect(result.ok && [result.event.project_slug, result.event.repo_slug]).toEqual(["spec-kitty", "priivacy-ai/spec_kitty"]);
  });

  it("reuses the stored identity in every later emitter and leaves the file as it was", () => {
    const first = testEmitter();
    const a = first.emitWpStatusChanged(PAYLOADS.WPStatusChanged);
    const before = configOf(first.paths.projectRoot);
    const b = siblingEmitter(first).emitWpStatusChanged(PAYLOADS.WPStatusChanged);
    expect(a.ok && b.ok && a.event.project_uuid === b.event.project_uuid).toBe(true);
    expect(configOf(first.paths.projectRoot)).toBe(before);
  });

  it("sees an edited config file, not a stale cached one", () => {
    const first = testEmitter();
    first.emitWpStatusChanged(PAYLOADS.WPStatusChanged);
    const uuid = "6f1c2a4e-3b5d-4c7e-9f10-2a3b4c5d6e7f";
    writeFileSync(join(first.paths.projectRoot, ".events", "config.yaml"), `project:\n  uuid: ${uuid}\n  slug: renamed-project\n`);
    const result = siblingEmitter(first).emitWpStatusChanged(PAYLOADS.WPStatusChanged);
    expect(result.ok && [result.event.project_uuid, result.event.project_slug]).toEqual([uuid, "renamed-project"]);
  });

  it("adds a project to an existing config, keeping its other keys and comments", () => {
    const root = join(tempDir(), "proj");
    mkdirSync(join(root, ".events"), { recursive: true });
    writeFileSync(join(root, ".events", "config.yaml"), "# team settings\nsync:\n  auto_start: false # no daemon here\n");
    const emitter = testEmitter({ projectRoot: root });
    const result = emitter.emitWpStatusChanged(PAYLOADS.WPStatusChanged);
    const text = configOf(root);
    expect(text).toContain("# team settings");
    expect(text).toContain("auto_start: false # no daemon here");
    expect(text).toContain(`uuid: ${result.ok ? result.event.project_uuid : "?"}`);
    expect(emitter.autoSync).toBe(false);
  });

  it("never overwrites a config it cannot parse: the identity stays in memory, with one warning", () => {
    const log = captureLog();
    const root = join(tempDir(), "proj");
    mkdirSync(join(root, ".events"), { recursive: true });
    const broken = "project: [unclosed\n";
    writeFileSync(join(root, ".events", "config.yaml"), broken);
    const emitter = testEmitter({ projectRoot: root });
    const first = emitter.emitWpStatusChanged(PAYLOADS.WPStatusChanged);
    const second = emitter.emitWpStatusChanged(PAYLOADS.WPStatusChanged);
    expect(first.ok && second.ok && first.event.project_uuid === second.event.project_uuid).toBe(true);
    expect(emitter.identity().projectPersisted).toBe(false);
    expect(configOf(root)).toBe(broken);
    expect(log.warnings()).toHaveLength(1);
    expect(log.warnings()[0]).toContain("not valid YAML");
  });

  it("uses the project given in options, or none", () => {
    const given = testEmitter({ project: { uuid: "6f1c2a4e-3b5d-4c7e-9f10-2a3b4c5d6e7f", slug: "given" } });
    const none = testEmitter({ project: null });
    const a = given.emitWpStatusChanged(PAYLOADS.WPStatusChanged);
    const b = none.emitWpStatusChanged(PAYLOADS.WPStatusChanged);
    expect(a.ok && a.event.project_slug).toBe("given");
    expect(b.ok && [b.event.project_uuid, b.event.project_slug]).toEqual([null, null]);
  });

  it("emits without a project, with one warning, when the working directory is gone", () => {
    const log = captureLog();
    const cwd = vi.spyOn(process, "cwd").mockImplementation(() => {
      throw Object.assign(new Error("ENOENT: process.cwd failed"), { code: "ENOENT" });
    });
    try {
      const { home } = tempWorkspace();
      const emitter = createEmitter({ home, exitHook: false });
      const first = emitter.emitWpStatusChanged(PAYLOADS.WPStatusChanged);
      emitter.emitWpStatusChanged(PAYLOADS.WPStatusChanged);
      expect(first).toMatchObject({ ok: true, durable: true, event: { project_uuid: null, project_slug: null } });
      expect(emitter.clock().value).toBe(2);
      expect(emitter.identity().projectRoot).toBeNull();
      expect(log.warnings()).toEqual([expect.stringContaining("cannot find the project root")]);
      void emitter.close();
    } finally {
      cwd.mockRestore();
    }
  });

  it("reads sync.auto_start for autoSync, which an option overrides; true by default", () => {
    const root = join(tempDir(), "proj");
    mkdirSync(join(root, ".events"), { recursive: true });
    writeFileSync(join(root, ".events", "config.yaml"), "project:\n  uuid: 6f1c2a4e-3b5d-4c7e-9f10-2a3b4c5d6e7f\n  slug: p\nsync:\n  auto_start: false\n");
    expect(testEmitter({ projectRoot: root }).autoSync).toBe(false);
    expect(testEmitter({ projectRoot: root, autoSync: true }).autoSync).toBe(true);
    expect(testEmitter().autoSync).toBe(true);
  });
});

describe("node and team", () => {
  it("gives one machine and user one stable 12-hex node id, unless an option says otherwise", () => {
    const a = testEmitter();
    const b = testEmitter();
    expect(a.identity().nodeId).toMatch(/^[0-9a-f]{12}$/);
    expect(a.identity().nodeId).toBe(b.identity().nodeId);
    expect(testEmitter({ nodeId: "ci-runner-7" }).identity().nodeId).toBe("ci-runner-7");
  });

  it("is sha256(host:user) cut to 12 hex digits, kept in the cache so a warm start skips the hash", () => {
    const name = `${hostname()}:${userInfo().username}`;
    const expected = createHash("sha256").update(name).digest("hex").slice(0, 12);
    const stored = new Map<string, string>();
    const cache = { get: (key: string) => stored.get(key), set: (key: string, value: string) => void stored.set(key, value) };
    expect(computeNodeId(cache)).toBe(expected);
    expect(stored.get(`node-id:${name}`)).toBe(expected);
    // A warm start returns what the cache holds; a damaged entry is computed again.
    stored.set(`node-id:${name}`, "0123456789ab");
    expect(computeNodeId(cache)).toBe("0123456789ab");
    stored.set(`node-id:${name}`, "not an id");
    expect(computeNodeId(cache)).toBe(expected);
    expect(computeNodeId()).toBe(expected);
  });

  it("takes team_slug from credentials.json, else local", () => {
    const withTeam = testEmitter();
    mkdirSync(withTeam.paths.home, { recursive: true });
    writeFileSync(join(withTeam.paths.home, "credentials.json"), JSON.stringify({ team_slug: "platform", access: "x" }));
    const malformed = testEmitter();
    mkdirSync(malformed.paths.home, { recursive: true });
    writeFileSync(join(malformed.paths.home, "credentials.json"), "{ not json");
    const a = withTeam.emitWpStatusChanged(PAYLOADS.WPStatusChanged);
    const b = malformed.emitWpStatusChanged(PAYLOADS.WPStatusChanged);
    expect(a.ok && a.event.team_slug).toBe("platform");
    expect(b.ok && b.event.team_slug).toBe("local");
  });
});

describe("git metadata, from files", () => {
  it("reads the branch and commit of HEAD from loose refs and packed-refs", () => {
    const loose = fakeRepo(tempDir(), { ".git/HEAD": "ref: refs/heads/feature/x\n", ".git/refs/heads/feature/x": `${SHA}\n` });
    expect(readGitMetadata(loose)).toMatchObject({ branch: "feature/x", commit: SHA });
    const packed = fakeRepo(tempDir(), { ".git/HEAD": "ref: refs/heads/main\n", ".git/packed-refs": `# pack-refs with: peeled\n${SHA} refs/heads/main\n` });
    expect(readGitMetadata(packed)).toMatchObject({ branch: "main", commit: SHA });
  });

  it("reads a detached HEAD and a worktree's .git file", () => {
    const detached = fakeRepo(tempDir(), { ".git/HEAD": `${SHA}\n` });
    expect(readGitMetadata(detached)).toMatchObject({ branch: null, commit: SHA });
    const dir = tempDir();
    fakeRepo(dir, {
      "main/.git/HEAD": "ref: refs/heads/main\n",
      "main/.git/worktrees/wt/HEAD": "ref: refs/heads/topic\n",
      "main/.git/worktrees/wt/commondir": "../..\n",
      "main/.git/refs/heads/topic": `${SHA}\n`,
      "main/.git/config": '[remote "upstream"]\n\turl = https://example.com/acme/widgets\n',
      "wt/.git": `gitdir: ${join(dir, "main/.git/worktrees/wt")}\n`,
    });
    expect(readGitMetadata(join(dir, "wt"))).toEqual({ branch: "topic", commit: SHA, repoSlug: "acme/widgets", repoName: "widgets" });
  });

  it("stamps branch and commit on events and notices a branch switch after a few seconds", () => {
    let now = Date.parse("2026-11-20T10:00:00Z");
    const root = fakeRepo(join(tempDir(), "repo"), { ".git/HEAD": "ref: refs/heads/main\n", ".git/refs/heads/main": `${SHA}\n` });
    const emitter = testEmitter({ projectRoot: root, now: () => now });
    const before = emitter.emitWpStatusChanged(PAYLOADS.WPStatusChanged);
    writeFileSync(join(root, ".git/HEAD"), "ref: refs/heads/next\n");
    const cached = emitter.emitWpStatusChanged(PAYLOADS.WPStatusChanged);
    now += 5_000;
    const after = emitter.emitWpStatusChanged(PAYLOADS.WPStatusChanged);
    expect(before.ok && [before.event.git_branch, before.event.head_commit_sha]).toEqual(["main", SHA]);
    expect(cached.ok && cached.event.git_branch).toBe("main");
    expect(after.ok && [after.event.git_branch, after.event.head_commit_sha]).toEqual(["next", undefined]);
  });

  it("parses remote URLs of every usual form", () => {
    expect(repoFromUrl("https://github.com/Owner/Name.git")).toEqual({ slug: "owner/name", name: "Name" });
    expect(repoFromUrl("git@github.com:owner/name.git")).toEqual({ slug: "owner/name", name: "name" });
    expect(repoFromUrl("ssh://git@host:22/group/sub/name")).toEqual({ slug: "sub/name", name: "name" });
    expect(repoFromUrl("/srv/repos/name.git/")).toEqual({ slug: "repos/name", name: "name" });
  });

  it("finds the project root at the nearest git root, else the directory itself", () => {
    const root = fakeRepo(tempDir(), { ".git/HEAD": "ref: refs/heads/main\n" });
    mkdirSync(join(root, "a", "b"), { recursive: true });
    expect(findProjectRoot(join(root, "a", "b"))).toBe(root);
    const plain = tempDir();
    expect(findProjectRoot(plain)).toBe(plain);
  });
});

describe("slugs", () => {
  it("kebab-cases names into valid project slugs", () => {
    expect(toSlug("Spec_Kitty")).toBe("spec-kitty");
    expect(toSlug("myProject.v2")).toBe("my-project-v2");
    expect(toSlug("Café  Déjà")).toBe("cafe-deja");
    expect(toSlug("---")).toBe("project");
    expect(toSlug("x".repeat(300))).toHaveLength(128);
  });
});
