/**
 * The page's colours, measured: every text colour on every background it is drawn
 * on reaches WCAG AA (4.5:1), and controls' borders and the focus ring reach the
 * 3:1 of non-text contrast, in the light theme and the dark one. The colours are
 * read from styles.css itself, so a new shade cannot slip past.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

const css = readFileSync(new URL("../src/styles.css", import.meta.url), "utf8");

function variables(block: string): Record<string, string> {
  return Object.fromEntries([...block.matchAll(/--([\w-]+):\s*(#[0-9a-f]{6})\b/gi)].map((match) => [match[1]!, match[2]!]));
}

const light = variables(css.slice(0, css.indexOf("@media")));
const dark = { ...light, ...variables(/prefers-color-scheme:\s*dark\)\s*{\s*:root\s*{([^}]*)}/.exec(css)?.[1] ?? "") };

/** WCAG 2 relative luminance of `#rrggbb`. */
function luminance(hex: string): number {
  const [r, g, b] = [1, 3, 5].map((start) => {
    const channel = parseInt(hex.slice(start, start + 2), 16) / 255;
    return channel <= 0.04045 ? channel / 12.92 : ((channel + 0.055) / 1.055) ** 2.4;
  }) as [number, number, number];
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

export function contrast(a: string, b: string): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (hi + 0.05) / (lo + 0.05);
}

const BACKGROUNDS = ["bg", "panel", "added-bg", "changed-bg", "removed-bg"];
const TEXT = ["text", "muted", "accent", "ok", "warn", "err"];
const NON_TEXT = ["control-border", "focus", "accent", "ok", "warn", "err"];

describe("colour contrast", () => {
  it("measures known pairs right", () => {
    expect(contrast("#000000", "#ffffff")).toBeCloseTo(21, 5);
    expect(contrast("#777777", "#ffffff")).toBeCloseTo(4.48, 2);
    expect(contrast("#ffffff", "#ffffff")).toBe(1);
  });

  for (const [theme, colours] of [["light", light], ["dark", dark]] as const) {
    it(`${theme}: every text colour on every background is at least 4.5:1`, () => {
      const failing: string[] = [];
      for (const text of TEXT) {
        for (const background of BACKGROUNDS) {
          const ratio = contrast(colours[text]!, colours[background]!);
          if (ratio < 4.5) failing.push(`${text} on ${background}: ${ratio.toFixed(2)}`);
        }
      }
      expect(Object.keys(colours)).toEqual(expect.arrayContaining([...TEXT, ...BACKGROUNDS, ...NON_TEXT]));
      expect(failing).toEqual([]);
    });

    it(`${theme}: control borders, the focus ring and status colours are at least 3:1 on the page and panels`, () => {
      const failing: string[] = [];
      for (const colour of NON_TEXT) {
        for (const background of ["bg", "panel"]) {
          const ratio = contrast(colours[colour]!, colours[background]!);
          if (ratio < 3) failing.push(`${colour} on ${background}: ${ratio.toFixed(2)}`);
        }
      }
      expect(failing).toEqual([]);
    });
  }
});
