/**
 * `events <command>` registers only that command's group with commander; the table
 * saying which group adds which commands must match what each really adds, or a
 * command would be missing when named.
 */
import { Command } from "commander";
import { describe, expect, it } from "vitest";
import { buildProgram, COMMAND_GROUPS } from "../src/main.js";

const names = (program: Command): string[] => program.commands.map((command) => command.name()).sort();

describe("the command groups", () => {
  it("each register function adds exactly the commands its group lists", () => {
    for (const group of COMMAND_GROUPS) {
      const program = new Command("events");
      group.register(program);
      expect(names(program)).toEqual([...group.names].sort());
    }
  });

  it("a named command builds its group only; no name, or an unknown one, builds every command", () => {
    const all = COMMAND_GROUPS.flatMap((group) => group.names).sort();
    expect(names(buildProgram())).toEqual(all);
    expect(names(buildProgram("emitt"))).toEqual(all);
    expect(names(buildProgram("help"))).toEqual(all);
    expect(names(buildProgram("send-event"))).toEqual(["send-event"]);
    expect(names(buildProgram("wp"))).toEqual(["dependency", "error", "feature", "history", "wp"]);
    expect(names(buildProgram("emit"))).toEqual(["emit"]);
  });
});
