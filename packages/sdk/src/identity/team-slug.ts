/**
 * The team stamped on events: what `events auth login` stored in
 * `<home>/credentials.json`, else `"local"`. Read once per emitter; an unreadable
 * or malformed file means `"local"`, never an error.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";

export const LOCAL_TEAM = "local";

export function readTeamSlug(home: string): string {
  try {
    const parsed = JSON.parse(readFileSync(join(home, "credentials.json"), "utf8")) as unknown;
    if (typeof parsed === "object" && parsed !== null) {
      const team = (parsed as { team_slug?: unknown }).team_slug;
      if (typeof team === "string" && team.length > 0 && team.length <= 128) return team;
    }
  } catch {
    // No credentials yet, or not ours to judge: the local team.
  }
  return LOCAL_TEAM;
}
