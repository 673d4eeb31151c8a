/** `events sync now|status|diagnose` and `events auth login|status|logout`. */
import { writeFileSync } from "node:fs";
import { failure } from "../errors.js";
import { closeEmitter, openEmitter, type EmitterFlags } from "../emitter.js";
import { colour, print, printJson, warn } from "../output.js";

export interface SyncFlags extends EmitterFlags {
  json?: boolean;
  report?: string;
  check?: boolean;
  timeout?: string;
}

/** `events sync now`: drains the outbox, with a progress bar on a terminal. */
export async function syncNow(flags: SyncFlags): Promise<void> {
  const emitter = await openEmitter(flags);
  try {
    const total = emitter.outbox.size();
    const tty = process.stderr.isTTY && flags.json !== true;
    const bar = (done: number): void => {
      if (!tty || total === 0) return;
      const width = 30;
      const filled = Math.min(width, Math.round((done / total) * width));
      process.stderr.write(`\r${colour.cyan("█".repeat(filled))}${"░".repeat(width - filled)} ${done}/${total}`);
    };
    const result = await emitter.syncNow({ onProgress: (progress) => bar(total - progress.remaining) });
    if (tty && total > 0) process.stderr.write("\n");
    const failures = emitter.outbox.deadLetters({ limit: 1000 });
    if (flags.report !== undefined) {
      const report = {
        generated_at: new Date().toISOString(),
        summary: { total_events: total, ...result },
        failures: failures.map((dead) => ({ event_id: dead.id, event_type: dead.event.event_type, error: dead.lastError })),
      };
      writeFileSync(flags.report, `${JSON.stringify(report, null, 2)}\n`);
    }
    if (flags.json === true) printJson(result);
    else {
      print(
        `synced ${colour.green(String(result.synced))}, duplicates ${result.duplicates}, rejected ${result.rejected}` +
          `, dead-lettered ${result.deadLettered}, remaining ${result.remaining}`,
      );
      if (result.deadLettered > 0) warn("some events were dead-lettered; see `events queue dead-letters`");
    }
    if (result.error !== undefined) throw failure(`sync stopped: ${result.error.message}`, result.error.hint);
  } finally {
    await closeEmitter(emitter);
  }
}

/** `events sync status`: where the hub is, what waits, and (with --check) whether the hub answers. */
export async function syncStatus(flags: SyncFlags): Promise<void> {
  const emitter = await openEmitter(flags);
  try {
    const status = emitter.status();
    const stats = emitter.outbox.stats();
    let check: { ok: boolean; message: string } | undefined;
    if (flags.check === true) {
      const sdk = await import("@events/sdk");
      const server = sdk.resolveServer({ home: emitter.home });
      if (server.serverUrl === undefined || server.token === undefined) {
        check = { ok: false, message: "no hub is configured. log in with `events auth login --server <url> --token <token>`" };
      } else {
        try {
          await sdk.checkHub({ serverUrl: server.serverUrl, token: server.token, timeoutMs: 5_000 });
          check = { ok: true, message: "the hub answered and takes the token" };
        } catch (error) {
          check = { ok: false, message: error instanceof sdk.SyncError ? `${error.message}. ${error.hint}` : String(error) };
        }
      }
    }
    const after = emitter.status();
    const { syncerRunning } = await import("@events/sdk");
    const syncer = await syncerRunning(emitter.home);
    const view = {
      server_url: status.serverUrl || null,
      configured: status.configured,
      source: status.source,
      state: after.state,
      syncer: syncer ? "running" : "not running",
      queued: emitter.outbox.size(),
      dead_letters: stats.deadLetters,
      oldest_age_ms: stats.oldestAgeMs,
      last_sync_at: after.lastSyncAt === null ? null : new Date(after.lastSyncAt).toISOString(),
      last_error: after.lastError,
      ...(check === undefined ? {} : { check }),
    };
    if (flags.json === true) printJson(view);
    else {
      print(`hub       ${view.server_url ?? colour.yellow("not configured")}${view.configured ? ` (from ${status.source.serverUrl})` : ""}`);
      print(`state     ${view.state}`);
      print(`syncer    ${view.syncer}${syncer ? "" : " (the next emit starts one)"}`);
      print(`queued    ${view.queued} event(s)${view.oldest_age_ms === null ? "" : `, oldest ${Math.round(view.oldest_age_ms / 1000)} s`}; dead letters ${view.dead_letters}`);
      if (view.last_sync_at !== null) print(`last sync ${view.last_sync_at}`);
      if (view.last_error !== null) print(`${colour.red("last error")} ${view.last_error.errorClass}: ${view.last_error.message}\n  ${colour.dim(view.last_error.hint)}`);
      if (check !== undefined) print(check.ok ? colour.green(`check: ${check.message}`) : colour.red(`check failed: ${check.message}`));
      if (!view.configured) print(colour.dim("log in with `events auth login --server <url> --token <token>`"));
    }
    if (check !== undefined && !check.ok) throw failure("the hub did not answer the check", "see the state and last error above");
  } finally {
    await closeEmitter(emitter);
  }
}

/** `events sync diagnose`: validates what waits, locally, and says what the hub would reject and why. */
export async function syncDiagnose(flags: SyncFlags): Promise<void> {
  const { envelopeCodec } = await import("@events/schema");
  const emitter = await openEmitter(flags);
  try {
    const claimed = emitter.outbox.claim(100_000, { leaseMs: 1 });
    emitter.outbox.release(claimed.map((row) => row.id));
    const dead = emitter.outbox.deadLetters({ limit: 100_000 });
    const problems = [...claimed.map((row) => ({ id: row.id, event: row.event, lastError: row.lastError, dead: false })), ...dead.map((row) => ({ id: row.id, event: row.event, lastError: row.lastError, dead: true }))]
      .map((row) => {
        const decoded = envelopeCodec.decode(row.event);
        return { ...row, issues: decoded.ok ? [] : decoded.issues.map((issue) => issue.message) };
      })
      .filter((row) => row.issues.length > 0 || row.lastError !== null);
    const identity = emitter.identity();
    if (flags.json === true) {
      printJson({ checked: claimed.length + dead.length, problems: problems.map(({ id, event, issues, lastError, dead: isDead }) => ({ event_id: id, event_type: event.event_type, project_uuid: event.project_uuid, dead_letter: isDead, issues, last_error: lastError })) });
    } else {
      print(`checked ${claimed.length} queued and ${dead.length} dead-lettered event(s) against schema ${colour.bold("1.x")}`);
      for (const row of problems) {
        print(`${row.id}  ${row.event.event_type}${row.dead ? colour.red(" (dead letter)") : ""}`);
        for (const issue of row.issues) print(`  ${colour.red("invalid")} ${issue}`);
        if (row.lastError !== null) print(`  ${colour.yellow("hub said")} ${row.lastError}`);
        if (identity.project !== null && row.event.project_uuid !== identity.project.uuid) print(`  ${colour.dim(`belongs to project ${row.event.project_uuid ?? "(none)"}, not ${identity.project.uuid}: a project token for one project cannot write another`)}`);
      }
      if (problems.length === 0) print(colour.green("every queued event is valid, and none was rejected"));
    }
    if (problems.some((row) => row.issues.length > 0)) throw failure("some queued events are invalid", "they will be rejected; see the issues above");
  } finally {
    await closeEmitter(emitter);
  }
}

export interface AuthFlags extends EmitterFlags {
  server?: string;
  token?: string;
  team?: string;
  json?: boolean;
}

export async function authLogin(flags: AuthFlags): Promise<void> {
  const sdk = await import("@events/sdk");
  const home = sdk.resolveHome(flags.home);
  if (flags.server === undefined || flags.token === undefined) throw failure("login needs --server and --token", "e.g. events auth login --server http://127.0.0.1:8787 --token <token>");
  try {
    const saved = await sdk.login({ home, serverUrl: flags.server, token: flags.token, ...(flags.team === undefined ? {} : { teamSlug: flags.team }) });
    if (flags.json === true) printJson({ server_url: saved.serverUrl, credentials: saved.path });
    else print(`logged in to ${saved.serverUrl}; credentials saved to ${saved.path} (mode 0600)`);
  } catch (error) {
    if (error instanceof sdk.SyncError) throw failure(`login failed: ${error.message}`, error.hint);
    throw error;
  }
}

export async function authStatus(flags: AuthFlags): Promise<void> {
  const sdk = await import("@events/sdk");
  const home = sdk.resolveHome(flags.home);
  const server = sdk.resolveServer({ home });
  const saved = sdk.readCredentials(home);
  const view = { server_url: server.serverUrl ?? null, token: server.token === undefined ? null : `${server.token.slice(0, 4)}…`, source: server.source, team_slug: saved?.team_slug ?? null, credentials: sdk.credentialsPath(home) };
  if (flags.json === true) return printJson(view);
  if (server.serverUrl === undefined || server.token === undefined) {
    print("not logged in");
    throw failure("no hub or token is configured", "log in with `events auth login --server <url> --token <token>`, or set EVENTS_SERVER_URL and EVENTS_TOKEN");
  }
  print(`hub   ${view.server_url} (from ${server.source.serverUrl})`);
  print(`token ${view.token} (from ${server.source.token})`);
  if (view.team_slug !== null) print(`team  ${view.team_slug}`);
}

export async function authLogout(flags: AuthFlags): Promise<void> {
  const sdk = await import("@events/sdk");
  const removed = sdk.logout(sdk.resolveHome(flags.home));
  if (flags.json === true) printJson({ removed });
  else print(removed ? "logged out; credentials removed" : "was not logged in");
}
