/**
 * One `process.on("exit")` listener for every open emitter: at exit each flushes
 * what waits in memory and reports what could not be written. It runs synchronous
 * code only (all an exit listener may do) and keeps nothing alive.
 */

export interface ExitParticipant {
  closeAtExit(): void;
}

const participants = new Set<ExitParticipant>();
let installed = false;

function onExit(): void {
  for (const participant of [...participants]) {
    try {
      participant.closeAtExit();
    } catch {
      // One emitter's failure must not stop the others from reporting.
    }
  }
}

export function registerForExit(participant: ExitParticipant): void {
  participants.add(participant);
  if (!installed) {
    process.on("exit", onExit);
    installed = true;
  }
}

export function unregisterForExit(participant: ExitParticipant): void {
  participants.delete(participant);
}
