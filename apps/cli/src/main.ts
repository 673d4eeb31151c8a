/**
 * The `events` command. Each command's module is imported only when that command
 * runs, so `events emit` does not pay for the hub, and `--help` pays for nothing.
 */
import { createRequire } from "node:module";
import { Command, CommanderError } from "commander";
import { CliError } from "./errors.js";
import { EXIT } from "./exit-codes.js";
import { printError } from "./output.js";

const EXIT_CODES_HELP = `
Exit codes:
  0  ok
  1  the command failed (no server, bad token, rejected event, ...)
  2  usage: unknown command, missing or invalid argument

Environment:
  EVENTS_HOME        state directory (default ~/.events)
  EVENTS_SERVER_URL  hub URL;  EVENTS_TOKEN  API token
  EVENTS_DEBUG=1     trace what the SDK does to stderr
  NO_COLOR           never colour output`;

export function buildProgram(): Command {
  const program = new Command("events")
    .description("Typed events that are never lost and are seen live everywhere.")
    .version(VERSION, "-v, --version")
    .showSuggestionAfterError(true)
    .showHelpAfterError("(run events --help, or events <command> --help)")
    .addHelpText("after", EXIT_CODES_HELP)
    .exitOverride();

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

  for (const command of [program, ...program.commands, ...program.commands.flatMap((c) => c.commands)]) {
    command.exitOverride();
  }
  return program;
}

const VERSION = (createRequire(import.meta.url)("../package.json") as { version: string }).version;

/** Runs the CLI; resolves to the exit code instead of exiting, so tests can call it. */
export async function run(argv: readonly string[]): Promise<number> {
  const program = buildProgram();
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
