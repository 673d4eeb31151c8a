/** The golden fixtures, read from disk, for every test that needs examples. */
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

export const FIXTURES_DIR = fileURLToPath(new URL("../fixtures", import.meta.url));

export interface Fixture {
  readonly message: string;
  readonly name: string;
  readonly file: string;
  readonly value: unknown;
}

export function fixtures(kind: "valid" | "invalid"): Fixture[] {
  const out: Fixture[] = [];
  for (const message of readdirSync(`${FIXTURES_DIR}/${kind}`).sort()) {
    for (const name of readdirSync(`${FIXTURES_DIR}/${kind}/${message}`).sort()) {
      const file = `${FIXTURES_DIR}/${kind}/${message}/${name}`;
      out.push({ message, name, file, value: JSON.parse(readFileSync(file, "utf8")) as unknown });
    }
  }
  return out;
}
