/**
 * A TCP proxy on 127.0.0.1 that can cut every connection through it at once: the
 * network failing under a client, as a laptop's Wi-Fi or a load balancer does it,
 * with the hub none the wiser.
 */
import { connect, createServer, type Socket } from "node:net";

export interface CutProxy {
  /** `http://127.0.0.1:<port>`: point the client here. */
  readonly url: string;
  /** Destroys every open connection in both directions. */
  cut(): number;
  /** Connections cut so far. */
  readonly cuts: number;
  close(): Promise<void>;
}

export async function cutProxy(targetPort: number): Promise<CutProxy> {
  const pairs = new Set<[Socket, Socket]>();
  let cuts = 0;
  const server = createServer((inbound) => {
    const outbound = connect(targetPort, "127.0.0.1");
    const pair: [Socket, Socket] = [inbound, outbound];
    pairs.add(pair);
    const drop = (): void => {
      pairs.delete(pair);
      inbound.destroy();
      outbound.destroy();
    };
    inbound.on("error", drop).on("close", drop);
    outbound.on("error", drop).on("close", drop);
    inbound.pipe(outbound);
    outbound.pipe(inbound);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    cut() {
      const count = pairs.size;
      for (const [inbound, outbound] of [...pairs]) {
        inbound.destroy();
        outbound.destroy();
      }
      pairs.clear();
      cuts += count;
      return count;
    },
    get cuts() {
      return cuts;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const [inbound, outbound] of pairs) {
          inbound.destroy();
          outbound.destroy();
        }
        server.close(() => resolve());
      }),
  };
}
