/** Emitters over temporary directories, closed when the test ends. */
import { mkdirSync } from "node:fs";
import { onTestFinished } from "vitest";
import { createEmitter, type Emitter, type EmitterOptions } from "../../src/index.js";
import { tempWorkspace } from "./temp-dir.js";

export function testEmitter(options: EmitterOptions = {}): Emitter & { paths: { home: string; projectRoot: string } } {
  const paths = tempWorkspace();
  const projectRoot = options.projectRoot ?? paths.projectRoot;
  mkdirSync(projectRoot, { recursive: true });
  const emitter = createEmitter({ home: paths.home, exitHook: false, ...options, projectRoot });
  onTestFinished(async () => {
    await emitter.close();
  });
  return Object.assign(emitter, { paths: { home: options.home ?? paths.home, projectRoot } });
}

/** Another emitter on the same home (another process, as far as SQLite is concerned). */
export function siblingEmitter(of: { paths: { home: string; projectRoot: string } }, options: EmitterOptions = {}): Emitter {
  const emitter = createEmitter({ home: of.paths.home, projectRoot: of.paths.projectRoot, exitHook: false, ...options });
  onTestFinished(async () => {
    await emitter.close();
  });
  return emitter;
}
