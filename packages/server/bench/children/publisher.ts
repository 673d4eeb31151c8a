/**
 * The bench's publisher process, apart from the servers and the subscribers: one
 * WebSocket connection per server (the hub, the raw `ws` floor, Socket.IO 4), each
 * event published alone, one per frame, at a fixed offered rate. Answers with when
 * each frame was handed to the socket (lib/ipc `now`) and, from the hub, when each
 * ack came. Driven over IPC.
 */
import WebSocket from "ws";
import { serve, text } from "../lib/ipc.js";
import { opened, paced, publisher, waitUntil } from "../lib/setup.js";

interface Connection {
  /** The frame that publishes one serialised event. */
  frame(event: string): string;
  send(frame: string): void;
  /** Resolves when the server has taken every frame sent so far (the hub acks; the others do not answer). */
  settled(): Promise<void>;
  /** When each ack came, in order (empty for servers that do not ack). */
  readonly ackedAt: readonly number[];
  close(): void;
}

const connections = new Map<string, Connection>();

async function connectTo(kind: string, port: number): Promise<Connection> {
  switch (kind) {
    case "hub": {
      const hub = await publisher(port);
      let built = 0;
      let sent = 0;
      return {
        frame: (event) => `{"type":"publish","ref":"r${built++}","events":[${event}]}`,
        send: (frame) => {
          sent++;
          hub.socket.send(frame);
        },
        settled: () => waitUntil(() => hub.acks() >= sent),
        ackedAt: hub.ackedAt,
        close: hub.close,
      };
    }
    case "floor-ws": {
      // The floor's server sends each message from /publish on to every subscriber as it came.
      const socket = new WebSocket(`ws://127.0.0.1:${port}/publish`, { perMessageDeflate: false });
      await opened(socket);
      return { frame: (event) => event, send: (frame) => socket.send(frame), settled: () => Promise.resolve(), ackedAt: [], close: () => socket.close() };
    }
    case "socketio": {
      // Engine.IO open ("0{...}"), then a Socket.IO connect ("40") to the main namespace.
      const socket = new WebSocket(`ws://127.0.0.1:${port}/socket.io/?EIO=4&transport=websocket`, { perMessageDeflate: false });
      await new Promise<void>((resolve, reject) => {
        socket.on("message", (data: Buffer) => {
          const head = data.toString("latin1", 0, 2);
          if (head === "0{") socket.send("40");
          else if (head === "40") resolve();
        });
        socket.once("error", reject);
      });
      return { frame: (event) => `42["publish",${event}]`, send: (frame) => socket.send(frame), settled: () => Promise.resolve(), ackedAt: [], close: () => socket.close() };
    }
    default:
      throw new Error(`unknown server ${kind}`);
  }
}

function connection(name: string): Connection {
  const found = connections.get(name);
  if (found === undefined) throw new Error(`no publisher connection ${name}`);
  return found;
}

serve(async (message) => {
  const name = text(message, "name");
  switch (message.cmd) {
    case "connect":
      connections.set(name, await connectTo(text(message, "kind"), Number(message["port"])));
      return {};
    case "run": {
      const target = connection(name);
      const frames = (message["events"] as string[]).map((event) => target.frame(event));
      const before = target.ackedAt.length;
      const sent = await paced(frames.length, 1000 / Number(message["rate"]), (index) => target.send(frames[index]!));
      await target.settled();
      return { sent, acked: target.ackedAt.slice(before) };
    }
    case "disconnect":
      connection(name).close();
      connections.delete(name);
      return {};
    default:
      throw new Error(`unknown command ${message.cmd}`);
  }
});
