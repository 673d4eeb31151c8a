/**
 * Activity-log levels. Producers spell them as they like (statemachine-engine's own
 * examples send `"SUCCESS"` and `"INFO"`; Python's logging says `WARN`): any case of
 * a level or an alias is accepted on input, and decode always returns, stores and
 * emits the lower-case canonical level.
 */

export const ACTIVITY_LEVELS = ["debug", "info", "success", "warning", "error"] as const;

export type ActivityLevel = (typeof ACTIVITY_LEVELS)[number];

/** Other names of a level, in lower case. */
export const ACTIVITY_LEVEL_ALIASES: Readonly<Record<string, ActivityLevel>> = Object.freeze({ warn: "warning" });

const CANONICAL: ReadonlyMap<string, ActivityLevel> = new Map<string, ActivityLevel>([
  ...ACTIVITY_LEVELS.map((level) => [level, level] as const),
  ...Object.entries(ACTIVITY_LEVEL_ALIASES),
]);

/**
 * The pattern the schema states: every level and alias, each letter in either case.
 * Spelled with character classes, not a flag, so every JSON Schema validator (and
 * every regex dialect generated code uses) reads it the same way.
 */
export const ACTIVITY_LEVEL_PATTERN = `^(?:${[...CANONICAL.keys()].map(anyCase).join("|")})$`;

/** The canonical level for any spelling of a level or alias; `undefined` for anything else. */
export function canonicalActivityLevel(value: unknown): ActivityLevel | undefined {
  if (typeof value !== "string" || value.length > 16) return undefined;
  return CANONICAL.get(value.toLowerCase());
}

function anyCase(word: string): string {
  return [...word].map((letter) => `[${letter.toUpperCase()}${letter}]`).join("");
}
