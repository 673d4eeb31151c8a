/**
 * Reads a request body under the batch limits: a declared `Content-Length` over
 * the limit is refused before reading, gzip/deflate are inflated as a stream and
 * cut off the moment the inflated size passes `max_batch_bytes` (a zip bomb costs
 * the hub at most the limit), and a body that never ends is bounded by the server's
 * request timeout.
 */
import type { IncomingHttpHeaders } from "node:http";
import { pipeline, type Readable, type Transform } from "node:stream";
import { createGunzip, createInflate } from "node:zlib";
import { HubError } from "../errors.js";

export async function readBody(stream: Readable, headers: IncomingHttpHeaders, maxBytes: number): Promise<Buffer> {
  const declared = Number(headers["content-length"] ?? Number.NaN);
  if (Number.isFinite(declared) && declared > maxBytes) {
    stream.resume();
    throw tooLarge(`a body of ${declared} bytes > max_batch_bytes ${maxBytes}`);
  }
  const encoding = (headers["content-encoding"] ?? "identity").trim().toLowerCase();
  let source: Readable;
  switch (encoding) {
    case "identity":
    case "":
      source = stream;
      break;
    case "gzip":
    case "x-gzip":
      source = inflate(stream, createGunzip());
      break;
    case "deflate":
      source = inflate(stream, createInflate());
      break;
    default:
      stream.resume();
      throw new HubError("bad_request", `unsupported Content-Encoding ${JSON.stringify(encoding)}: send identity, gzip or deflate`);
  }
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    for await (const chunk of source) {
      const buffer = chunk as Buffer;
      total += buffer.length;
      if (total > maxBytes) {
        source.destroy();
        if (source !== stream) stream.resume();
        throw tooLarge(`a body of more than ${maxBytes} bytes${source === stream ? "" : " once inflated"} (max_batch_bytes)`);
      }
      chunks.push(buffer);
    }
  } catch (error) {
    if (error instanceof HubError) throw error;
    throw new HubError("bad_request", `could not read the body: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  return Buffer.concat(chunks, total);
}

/** Pipes into the inflater so that an aborted request also ends (with an error) what reads it. */
function inflate(stream: Readable, inflater: Transform): Readable {
  pipeline(stream, inflater, () => undefined);
  return inflater;
}

function tooLarge(what: string): HubError {
  return new HubError("batch_too_large", `${what}; split the batch (see GET /api/v1/limits)`);
}
