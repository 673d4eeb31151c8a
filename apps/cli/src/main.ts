/**
 * The `events` command. Each command's module is imported only when that command
 * runs, so `events emit` does not pay for the hub, and `--help` pays for nothing.
 * Only the named command's group is even registered with commander (its options'
 * parsing is most of what building the program costs); `--help`, `help` and a
 * misspelt command register them all, so help and suggestions see every command.
 */
import { Command, CommanderError } from "commander";
import { CliError } from "./errors.js";
import { EXIT } from "./exit-codes.js";
import { printError } from "./output.js";
import { registerFriendly } from "./commands/friendly.js";
import { collect } from "./payload.js";

const EXIT_CODES_HELP = `
Exit codes:
  0  ok
  1  the command failed (no server, bad token, rejected event, ...)
  2  usage: unknown command, missing or invalid argument

Environment:
  EVENTS_HOME        state directory (default ~/.events)
  EVENTS_SERVER_URL  hub URL;  EVENTS_TOKEN  API token
  EVENTS_DEBUG=1     trace what the SDK does to stderr
  EVENTS_CODE_CACHE  where V8's code cache of the command is kept (off: nowhere)
  NO_COLOR           never colour output`;

/** The top-level commands each register function adds. test/commands.test.ts checks them against what it really adds. */
export const COMMAND_GROUPS: readonly { names: readonly string[]; register: (program: Command) => void }[] = [
  { names: ["emit"], register: registerEmit },
  { names: ["wp", "feature", "history", "error", "dependency"], register: registerFriendly },
  { names: ["init", "clock", "queue", "session"], register: registerLocal },
  { names: ["sync"], register: registerSync },
  { names: ["auth"], register: registerAuth },
  { names: ["send-event"], register: registerSendEvent },
  { names: ["serve", "hub", "token", "tail"], register: registerHub },
  { names: ["schema"], register: registerSchema },
];

/** The program with every command, or with only the group of `command` when it names one. */
export function buildProgram(command?: string): Command {
  const program = new Command("events")
    .description("Typed events that are never lost and are seen live everywhere.")
    .version(VERSION, "-v, --version")
    .showSuggestionAfterError(true)
    .showHelpAfterError("(run events --help, or events <command> --help)")
    .addHelpText("after", EXIT_CODES_HELP)
    .exitOverride();

  const only = command === undefined ? undefined : COMMAND_GROUPS.find((group) => group.names.includes(command));
  for (const group of only === undefined ? COMMAND_GROUPS : [only]) group.register(program);

  for (const each of allCommands(program)) each.exitOverride();
  return program;
}

function registerSchema(program: Command): void {
  const schema = program.command("schema").description("the message schemas, for other languages");
  schema
    .command("export")
    .description("write one JSON Schema per message, a bundle and an AsyncAPI document")
    .requiredOption("--out <dir>", "directory to write into (created when missing)")
    .option("--json", "print what was written as JSON")
    .addHelpText("after", "\nExample:\n  events schema export --out ./schema")
    .action(async (options: { out: string; json?: boolean }) => {
      const { schemaExport } = await import("./commands/schema.js");
      await schemaExport(options);
    });
}

function allCommands(command: Command): Command[] {
  return [command, ...command.commands.flatMap(allCommands)];
}

const STATE_OPTIONS = (command: Command): Command =>
  command
    .option("--home <dir>", "state directory (default $EVENTS_HOME or ~/.events)")
    .option("--project <dir>", "project root holding .events/config.yaml (default: the git root)");

function registerEmit(program: Command): void {
  STATE_OPTIONS(
    program
      .command("emit <eventType>")
      .description("emit any event type with a JSON payload")
      .option("--payload <json>", "the payload as a JSON object")
      .option("--set <key=value>", "set one payload field (repeatable; values read as JSON when they parse)", collect, [])
      .option("--json", "print the stored event as JSON")
      .option("--causation-id <ulid>", "group this event with others caused by the same action")
      .option("--correlation-id <ulid>", "the run of a mission this event belongs to")
      .addHelpText(
        "after",
        `\nExamples:\n  events emit WPAssigned --set wp_id=WP01 --set agent_id=claude --set phase=review --set retry_count=0\n  events emit HistoryAdded --payload '{"wp_id":"WP01","entry_type":"note","entry_content":"started"}'`,
      ),
  ).action(async (eventType: string, flags: Record<string, unknown>) => {
    const { emitCommand } = await import("./commands/emit.js");
    await emitCommand(eventType, flags);
  });
}

type Flags = Record<string, unknown>;

function registerSync(program: Command): void {
  const sync = program.command("sync").description("deliver the outbox to the hub");
  STATE_OPTIONS(
    sync
      .command("now")
      .description("send everything queued now (a progress bar on a terminal, a summary at the end)")
      .option("--report <file>", "write a JSON report (summary and failures) to this file")
      .option("--json", "print the summary as JSON"),
  ).action(async (flags: Flags) => (await import("./commands/sync.js")).syncNow(flags));
  STATE_OPTIONS(
    sync
      .command("status")
      .description("where the hub is, what waits, the last sync and the last error")
      .option("--check", "also check that the hub answers (exit 1 if not)")
      .option("--json", "print it as JSON"),
  ).action(async (flags: Flags) => (await import("./commands/sync.js")).syncStatus(flags));
  STATE_OPTIONS(
    sync.command("diagnose").description("validate the queued events locally and say which the hub would reject, and why").option("--json", "print it as JSON"),
  ).action(async (flags: Flags) => (await import("./commands/sync.js")).syncDiagnose(flags));
}

function registerAuth(program: Command): void {
  const auth = program.command("auth").description("the hub and token this machine syncs with");
  auth
    .command("login")
    .description("check a token against the hub, then save it (~/.events/credentials.json, mode 0600)")
    .requiredOption("--server <url>", "the hub, e.g. http://127.0.0.1:8787")
    .requiredOption("--token <token>", "a project token (events token create)")
    .option("--team <slug>", "the team stamped on events")
    .option("--home <dir>", "state directory (default $EVENTS_HOME or ~/.events)")
    .option("--json", "print the result as JSON")
    .addHelpText("after", "\nExample:\n  events auth login --server http://127.0.0.1:8787 --token evt_...")
    .action(async (flags: Flags) => (await import("./commands/sync.js")).authLogin(flags));
  auth
    .command("status")
    .description("which hub and token are used, and where they come from")
    .option("--home <dir>", "state directory")
    .option("--json", "print it as JSON")
    .action(async (flags: Flags) => (await import("./commands/sync.js")).authStatus(flags));
  auth
    .command("logout")
    .description("remove the saved credentials")
    .option("--home <dir>", "state directory")
    .option("--json", "print the result as JSON")
    .action(async (flags: Flags) => (await import("./commands/sync.js")).authLogout(flags));
}

function registerSendEvent(program: Command): void {
  STATE_OPTIONS(
    program
      .command("send-event")
      .description("send a machine event (statemachine-engine's send-event): stored first, then delivered live")
      .requiredOption("--target <target>", '"ui" for the dashboard, or the machine that should act on it')
      .requiredOption("--type <type>", "the event type, e.g. state_change, activity_log, new_job")
      .option("--source <name>", "who sends it", "cli")
      .option("--payload <json>", "the event's data as a JSON object")
      .option("--job-id <id>", "the job it belongs to")
      .option("--deliver-timeout <ms>", "how long to try live delivery", "3000")
      .option("--json", "print the stored event as JSON")
      .addHelpText("after", `\nExamples:\n  events send-event --target ui --type activity_log --payload '{"message":"deploy started","level":"info"}'\n  events send-event --target worker-1 --type new_job --job-id 42`),
  ).action(async (flags: Flags) => (await import("./commands/machine.js")).sendEvent(flags as never));
}

function registerHub(program: Command): void {
  program
    .command("serve")
    .description("run the hub (embedded SQLite by default) with its dashboard")
    .option("--config <file>", "a YAML file of hub options (deploy/hub.yaml lists them all); EVENTS_* variables and flags override it")
    .option("--host <host>", "interface to listen on (default 127.0.0.1)")
    .option("--port <port>", "port (default $PORT or 8787)")
    .option("--data-dir <dir>", "where the SQLite store lives (default ./.events-hub)")
    .option("--database-url <url>", "store in PostgreSQL instead (postgres://...; default $EVENTS_DATABASE_URL)")
    .option("--redis-url <url>", "with --database-url: run as one node of a cluster, fan-out over Redis (default $EVENTS_REDIS_URL)")
    .option("--bus-prefix <prefix>", "the cluster's Redis channel prefix (default $EVENTS_BUS_PREFIX or events)")
    .option("--node-id <id>", "this node's id in health, metrics and welcome (default $EVENTS_NODE_ID, else derived)")
    .option("--socket <path>", "the datagram ingest socket (statemachine-engine's send-event; default <data dir>/events.sock on SQLite)")
    .option("--no-socket", "take no datagrams")
    .addHelpText(
      "after",
      "\nPrecedence: flags, then EVENTS_* variables (and PORT), then --config, then the defaults." +
        "\n\nExamples:\n  events serve --port 8787 --data-dir ./.events-hub\n  events serve --config /etc/events/hub.yaml\n  events serve --port 8801 --database-url postgres://127.0.0.1/events --redis-url redis://127.0.0.1:6379   # one node of a cluster",
    )
    .action(async (flags: Flags) => (await import("./commands/hub.js")).serve(flags));

  const hub = program.command("hub").description("operate a hub: backups");
  hub
    .command("backup <file>")
    .description("copy the hub's SQLite store to FILE, safely while the hub runs (SQLite's online backup)")
    .option("--config <file>", "the hub's config file, for its data_dir")
    .option("--data-dir <dir>", "the hub's data directory, holding hub.db (default $EVENTS_DATA_DIR or ./.events-hub)")
    .option("--force", "replace FILE if it exists")
    .option("--json", "print what was copied as JSON")
    .addHelpText(
      "after",
      "\nA hub on PostgreSQL is refused: back it up with pg_dump (docs/self-hosting.md)." +
        "\n\nExamples:\n  events hub backup /var/backups/events/hub-$(date +%F).db --data-dir /var/lib/events\n  events hub backup hub-copy.db --config /etc/events/hub.yaml --json",
    )
    .action(async (file: string, flags: Flags) => (await import("./commands/hub.js")).hubBackup(file, flags));

  const token = program.command("token").description("project tokens (needs the admin token)");
  const adminOptions = (command: Command): Command =>
    command
      .option("--server <url>", "the hub (default: the one you are logged in to)")
      .option("--admin-token <token>", "the admin token (default $EVENTS_ADMIN_TOKEN)")
      .option("--home <dir>", "state directory")
      .option("--json", "print it as JSON");
  adminOptions(
    token
      .command("create")
      .description("a token for one project, with read and/or write scope")
      .requiredOption("--project <uuid>", "the project's uuid (see events init)")
      .option("--scope <scope>", "read or write (repeatable, or read,write)", collect, [])
      .addHelpText("after", "\nExample:\n  events token create --project 6f1c2a4e-... --scope read --scope write"),
  ).action(async (flags: Flags) => (await import("./commands/hub.js")).tokenCreate(flags));
  adminOptions(token.command("list").description("every project token (never the secrets)")).action(async (flags: Flags) =>
    (await import("./commands/hub.js")).tokenList(flags),
  );
  adminOptions(token.command("revoke <id>").description("refuse a token from now on")).action(async (id: string, flags: Flags) =>
    (await import("./commands/hub.js")).tokenRevoke(id, flags),
  );

  program
    .command("tail")
    .description("the live stream in the terminal, resuming after a reconnect with no gap")
    .option("--channel <channel>", "events, tasks, problems, session:<id>, machine:<name> (or prefix:*)")
    .option("--project <uuid>", "a project (admin token only; a project token sees its own)")
    .option("--since <position>", "start after this position: 0 for everything, or a position token <stream>:<seq>,... (default: only new events)")
    .option("--count <n>", "exit after this many events")
    .option("--transport <name>", "websocket, sse (Server-Sent Events), or auto: WebSocket, SSE where it cannot be opened", "auto")
    .option("--server <url>", "the hub (default: the one you are logged in to)")
    .option("--token <token>", "a read token (default: the one you are logged in with)")
    .option("--home <dir>", "state directory")
    .option("--json", "one JSON line per event, for scripts")
    .addHelpText("after", "\nExamples:\n  events tail\n  events tail --channel machine:* --since 0 --json\n  events tail --transport sse")
    .action(async (flags: Flags) => (await import("./commands/tail.js")).tail(flags));
}

function registerLocal(program: Command): void {
  STATE_OPTIONS(program.command("init").description("create (or show) this project's identity in .events/config.yaml").option("--json", "print it as JSON")).action(
    async (flags: Record<string, unknown>) => (await import("./commands/local.js")).init(flags),
  );

  const clock = program.command("clock").description("this node's Lamport clock");
  STATE_OPTIONS(clock.command("show").description("the last value issued or observed").option("--json", "print it as JSON")).action(
    async (flags: Record<string, unknown>) => (await import("./commands/local.js")).clockShow(flags),
  );
  STATE_OPTIONS(
    clock
      .command("reset")
      .description("set the clock (default 0); future events may sort before past ones")
      .option("--value <n>", "the new value", "0")
      .option("--yes", "confirm")
      .option("--json", "print it as JSON"),
  ).action(async (flags: Record<string, unknown>) => (await import("./commands/local.js")).clockReset(flags));

  const queue = program.command("queue").description("the local outbox");
  STATE_OPTIONS(queue.command("stats").description("what waits to be synced").option("--json", "print it as JSON")).action(
    async (flags: Record<string, unknown>) => (await import("./commands/local.js")).queueStats(flags),
  );
  STATE_OPTIONS(
    queue.command("dead-letters").description("events the hub kept rejecting").option("--limit <n>", "at most this many", "100").option("--json", "print them as JSON"),
  ).action(async (flags: Record<string, unknown>) => (await import("./commands/local.js")).queueDeadLetters(flags));
  STATE_OPTIONS(queue.command("list").description("the events waiting, oldest first").option("--limit <n>", "at most this many", "50").option("--json", "print them as JSON")).action(
    async (flags: Record<string, unknown>) => (await import("./commands/local.js")).queueList(flags),
  );
  STATE_OPTIONS(
    queue
      .command("purge")
      .description("delete every queued event (they will never be delivered)")
      .option("--yes", "confirm")
      .option("--dead-letters", "delete the dead letters too")
      .option("--json", "print the counts as JSON"),
  ).action(async (flags: Record<string, unknown>) => (await import("./commands/local.js")).queuePurge(flags));
  STATE_OPTIONS(queue.command("retry-dead").description("put every dead letter back in the outbox").option("--json", "print the count as JSON")).action(
    async (flags: Record<string, unknown>) => (await import("./commands/local.js")).queueRetryDead(flags),
  );

  STATE_OPTIONS(
    program
      .command("session <id> <frame> [args...]")
      .description("report a pipeline's session: phase <phase> | progress <phase> <current> <total> | warning <phase> <message> | done | failed <phase> <message>")
      .option("--at <timestamp>", "when the phase began (default now)")
      .option("--result <json>", "the result object, for done")
      .option("--code <code>", "the error code, for failed", "failed")
      .option("--json", "print the stored event as JSON")
      .addHelpText("after", "\nExamples:\n  events session build-42 phase compiling\n  events session build-42 progress compiling 3 10\n  events session build-42 failed linking \"ld: symbol not found\" --code E_LINK"),
  ).action(async (...[id, kind, args, flags]: [string, string, string[], Record<string, unknown>]) =>
    (await import("./commands/local.js")).sessionCommand({ id, kind, args }, flags),
  );
}

/** The package's version, written in by the build (scripts/build.ts); run from source it is unknown. */
declare const __EVENTS_CLI_VERSION__: string | undefined;
const VERSION = typeof __EVENTS_CLI_VERSION__ === "string" ? __EVENTS_CLI_VERSION__ : "0.0.0-source";

/** Runs the CLI; resolves to the exit code instead of exiting, so tests can call it. */
export async function run(argv: readonly string[]): Promise<number> {
  // argv[0] and [1] are node and the script; the program itself takes no option with a value.
  const program = buildProgram(argv.slice(2).find((arg) => !arg.startsWith("-")));
  try {
    await program.parseAsync([...argv]);
    return EXIT.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version are not errors; commander already printed them.
      if (error.code === "commander.helpDisplayed" || error.code === "commander.version" || error.code === "commander.help") {
        return EXIT.ok;
      }
      return EXIT.usage;
    }
    if (error instanceof CliError) {
      printError(error);
      return error.exitCode;
    }
    printError(new CliError("failed", `unexpected error: ${error instanceof Error ? error.message : String(error)}`, {
      hint: "run again with EVENTS_DEBUG=1 and report it with the output",
    }));
    return EXIT.failed;
  }
}
