/**
 * Friendly commands for the eight work-package and feature events: flags instead of
 * JSON. Registering them loads nothing; each action imports the emitter when it runs.
 */
import type { Command } from "commander";
import type { EventType, PayloadOf } from "@events/schema";
import { collect, integer } from "../payload.js";
import type { EmitFlags } from "./emit.js";

type Options = EmitFlags & Record<string, unknown>;

async function send<T extends EventType>(eventType: T, payload: PayloadOf<T>, how: { flags: Options; summary: string }): Promise<void> {
  const { emitTyped } = await import("./emit.js");
  await emitTyped(eventType, payload, how);
}

/** `T` with every key that may be undefined made optional instead. */
type Defined<T> = { [K in keyof T as undefined extends T[K] ? never : K]: T[K] } & {
  [K in keyof T as undefined extends T[K] ? K : never]?: Exclude<T[K], undefined>;
};

/** Only the keys whose value is set: optional payload fields are absent, never undefined. */
function defined<T extends Record<string, unknown>>(value: T): Defined<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Defined<T>;
}

function common(command: Command): Command {
  return command
    .option("--json", "print the stored event as JSON")
    .option("--causation-id <ulid>", "group this event with others caused by the same action")
    .option("--correlation-id <ulid>", "the run of a mission this event belongs to")
    .option("--home <dir>", "state directory (default $EVENTS_HOME or ~/.events)")
    .option("--project <dir>", "project root holding .events/config.yaml (default: the git root)");
}

export function registerFriendly(program: Command): void {
  const wp = program.command("wp").description("work-package events");
  common(
    wp
      .command("status <wp>")
      .description("a work package moved lane (WPStatusChanged)")
      .requiredOption("--to <lane>", "the new lane: planned, claimed, in_progress (or doing), for_review, done, blocked, canceled")
      .option("--from <lane>", "the lane it left (omit for its first lane)")
      .option("--feature <slug>", "the feature, e.g. 028-cli-event-emission")
      .option("--actor <name>", "who moved it", "user")
      .option("--force", "bypass the transition matrix (needs --reason)")
      .option("--reason <text>", "why (needed for --force and in_progress -> planned)")
      .option("--review-ref <ref>", "the review that sent it back (for_review -> in_progress)")
      .addHelpText("after", "\nExample:\n  events wp status WP01 --from planned --to doing --feature 028-cli-event-emission"),
  ).action((wpId: string, flags: Options) =>
    send(
      "WPStatusChanged",
      defined({
        wp_id: wpId,
        from_lane: (flags["from"] as PayloadOf<"WPStatusChanged">["to_lane"] | undefined) ?? null,
        to_lane: flags["to"] as PayloadOf<"WPStatusChanged">["to_lane"],
        actor: flags["actor"] as string | undefined,
        feature_slug: flags["feature"] as string | undefined,
        force: flags["force"] as boolean | undefined,
        reason: flags["reason"] as string | undefined,
        review_ref: flags["reviewRef"] as string | undefined,
      }),
      { flags, summary: `WPStatusChanged ${wpId} ${(flags["from"] as string | undefined) ?? "(none)"} -> ${String(flags["to"])}` },
    ),
  );
  common(
    wp
      .command("create <wp>")
      .description("a work package was created (WPCreated)")
      .requiredOption("--title <title>", "its title")
      .requiredOption("--feature <slug>", "the feature it belongs to")
      .option("--depends-on <wp>", "a work package it depends on (repeatable)", collect, [])
      .addHelpText("after", '\nExample:\n  events wp create WP02 --title "Event factory" --feature 028-cli-event-emission --depends-on WP01'),
  ).action((wpId: string, flags: Options) =>
    send(
      "WPCreated",
      { wp_id: wpId, title: flags["title"] as string, feature_slug: flags["feature"] as string, dependencies: flags["dependsOn"] as string[] },
      { flags, summary: `WPCreated ${wpId}` },
    ),
  );
  common(
    wp
      .command("assign <wp>")
      .description("an agent was assigned a work package (WPAssigned)")
      .requiredOption("--agent <id>", "the agent")
      .option("--phase <phase>", "implementation or review", "implementation")
      .option("--retry <n>", "how many times it was retried", "0")
      .addHelpText("after", "\nExample:\n  events wp assign WP01 --agent claude --phase review"),
  ).action((wpId: string, flags: Options) =>
    send(
      "WPAssigned",
      {
        wp_id: wpId,
        agent_id: flags["agent"] as string,
        phase: flags["phase"] as PayloadOf<"WPAssigned">["phase"],
        retry_count: integer(flags["retry"] as string, "--retry"),
      },
      { flags, summary: `WPAssigned ${wpId} to ${String(flags["agent"])}` },
    ),
  );

  const feature = program.command("feature").description("feature events");
  common(
    feature
      .command("create <slug>")
      .description("a feature was created (FeatureCreated)")
      .requiredOption("--number <nnn>", "its three-digit number")
      .requiredOption("--target-branch <branch>", "the branch it merges into")
      .requiredOption("--wp-count <n>", "how many work packages it has")
      .addHelpText("after", "\nExample:\n  events feature create 028-cli-event-emission --number 028 --target-branch main --wp-count 7"),
  ).action((slug: string, flags: Options) =>
    send(
      "FeatureCreated",
      {
        feature_slug: slug,
        feature_number: flags["number"] as string,
        target_branch: flags["targetBranch"] as string,
        wp_count: integer(flags["wpCount"] as string, "--wp-count"),
      },
      { flags, summary: `FeatureCreated ${slug}` },
    ),
  );
  common(
    feature
      .command("complete <slug>")
      .description("a feature was completed (FeatureCompleted)")
      .requiredOption("--total-wps <n>", "how many work packages it had")
      .option("--duration <text>", "how long it took, e.g. 3d 4h")
      .addHelpText("after", "\nExample:\n  events feature complete 028-cli-event-emission --total-wps 7"),
  ).action((slug: string, flags: Options) =>
    send(
      "FeatureCompleted",
      defined({
        feature_slug: slug,
        total_wps: integer(flags["totalWps"] as string, "--total-wps"),
        total_duration: flags["duration"] as string | undefined,
      }),
      { flags, summary: `FeatureCompleted ${slug}` },
    ),
  );

  const history = program.command("history").description("work-package history");
  common(
    history
      .command("add <wp>")
      .description("an entry in a work package's history (HistoryAdded)")
      .requiredOption("--content <text>", "the entry")
      .option("--type <type>", "note, review, error or comment", "note")
      .option("--author <name>", "who wrote it")
      .addHelpText("after", '\nExample:\n  events history add WP01 --type note --content "Implementation started"'),
  ).action((wpId: string, flags: Options) =>
    send(
      "HistoryAdded",
      defined({
        wp_id: wpId,
        entry_type: flags["type"] as PayloadOf<"HistoryAdded">["entry_type"],
        entry_content: flags["content"] as string,
        author: flags["author"] as string | undefined,
      }),
      { flags, summary: `HistoryAdded ${wpId}` },
    ),
  );

  const error = program.command("error").description("errors worth keeping");
  common(
    error
      .command("log")
      .description("an error happened (ErrorLogged)")
      .requiredOption("--message <text>", "what went wrong")
      .option("--type <type>", "validation, runtime, network, auth or unknown", "runtime")
      .option("--wp <wp>", "the work package it happened in")
      .option("--agent <id>", "the agent that hit it")
      .option("--stack <text>", "a stack trace")
      .addHelpText("after", '\nExample:\n  events error log --type runtime --message "Test failed" --wp WP01'),
  ).action((flags: Options) =>
    send(
      "ErrorLogged",
      defined({
        error_type: flags["type"] as PayloadOf<"ErrorLogged">["error_type"],
        error_message: flags["message"] as string,
        wp_id: flags["wp"] as string | undefined,
        agent_id: flags["agent"] as string | undefined,
        stack_trace: flags["stack"] as string | undefined,
      }),
      { flags, summary: `ErrorLogged ${String(flags["type"])}` },
    ),
  );

  const dependency = program.command("dependency").description("dependencies between work packages");
  common(
    dependency
      .command("resolve <wp>")
      .description("a dependency of a work package was resolved (DependencyResolved)")
      .requiredOption("--on <wp>", "the work package it depended on")
      .option("--resolution <type>", "completed, skipped or merged", "completed")
      .addHelpText("after", "\nExample:\n  events dependency resolve WP02 --on WP01 --resolution completed"),
  ).action((wpId: string, flags: Options) =>
    send(
      "DependencyResolved",
      {
        wp_id: wpId,
        dependency_wp_id: flags["on"] as string,
        resolution_type: flags["resolution"] as PayloadOf<"DependencyResolved">["resolution_type"],
      },
      { flags, summary: `DependencyResolved ${wpId} on ${String(flags["on"])}` },
    ),
  );
}
