/** One codec per message of the wire: the only way bytes become typed values. */
import type { ProblemsFrame, ProblemsSnapshotPayload, Finding } from "../schemas/channels/problems-frames.js";
import type { SessionFrame } from "../schemas/channels/session-frames.js";
import type { MachineControlMessage, MachineDatagram } from "../schemas/domain/machine-events.js";
import type { Envelope } from "../schemas/envelope.js";
import type { BatchRequest, BatchResponse } from "../schemas/protocol/batch.js";
import type { ErrorResponse } from "../schemas/protocol/errors.js";
import type { ClientFrame, HubFrame } from "../schemas/protocol/frames.js";
import type { EventPage } from "../schemas/protocol/history.js";
import type { Issue } from "../schemas/protocol/issue.js";
import type { Limits } from "../schemas/protocol/limits.js";
import type { EventResult } from "../schemas/protocol/results.js";
import type { SseEndData, SseGapData, SseReadyData, SseResetData } from "../schemas/protocol/sse.js";
import { messageCodec, unionCodec, type Codec } from "./codec.js";

export { referenceUnavailable } from "./codec.js";
import { canonicalEnvelope } from "./normalise.js";

export type { Codec, DecodeResult } from "./codec.js";
export { describe } from "./issues.js";

export const envelopeCodec: Codec<Envelope> = unionCodec<Envelope>("Envelope", canonicalEnvelope);
export const sessionFrameCodec: Codec<SessionFrame> = unionCodec<SessionFrame>("SessionFrame");
export const problemsFrameCodec: Codec<ProblemsFrame> = unionCodec<ProblemsFrame>("ProblemsFrame");
export const clientFrameCodec: Codec<ClientFrame> = unionCodec<ClientFrame>("ClientFrame");
export const hubFrameCodec: Codec<HubFrame> = unionCodec<HubFrame>("HubFrame");
export const eventResultCodec: Codec<EventResult> = unionCodec<EventResult>("EventResult");
export const batchRequestCodec: Codec<BatchRequest> = messageCodec<BatchRequest>("BatchRequest");
export const batchResponseCodec: Codec<BatchResponse> = messageCodec<BatchResponse>("BatchResponse");
export const errorResponseCodec: Codec<ErrorResponse> = messageCodec<ErrorResponse>("ErrorResponse");
export const eventPageCodec: Codec<EventPage> = messageCodec<EventPage>("EventPage");
export const limitsCodec: Codec<Limits> = messageCodec<Limits>("Limits");
export const machineDatagramCodec: Codec<MachineDatagram> = messageCodec<MachineDatagram>("MachineDatagram");
export const machineControlCodec: Codec<MachineControlMessage> =
  messageCodec<MachineControlMessage>("MachineControlMessage");
export const problemsSnapshotCodec: Codec<ProblemsSnapshotPayload> =
  messageCodec<ProblemsSnapshotPayload>("ProblemsSnapshotPayload");
export const findingCodec: Codec<Finding> = messageCodec<Finding>("Finding");
export const issueCodec: Codec<Issue> = messageCodec<Issue>("Issue");
export const sseReadyDataCodec: Codec<SseReadyData> = messageCodec<SseReadyData>("SseReadyData");
export const sseResetDataCodec: Codec<SseResetData> = messageCodec<SseResetData>("SseResetData");
export const sseGapDataCodec: Codec<SseGapData> = messageCodec<SseGapData>("SseGapData");
export const sseEndDataCodec: Codec<SseEndData> = messageCodec<SseEndData>("SseEndData");

/** Every codec by message name, for tools that pick one at run time. */
export const codecs = {
  Envelope: envelopeCodec,
  SessionFrame: sessionFrameCodec,
  ProblemsFrame: problemsFrameCodec,
  ClientFrame: clientFrameCodec,
  HubFrame: hubFrameCodec,
  EventResult: eventResultCodec,
  BatchRequest: batchRequestCodec,
  BatchResponse: batchResponseCodec,
  ErrorResponse: errorResponseCodec,
  EventPage: eventPageCodec,
  Limits: limitsCodec,
  MachineDatagram: machineDatagramCodec,
  MachineControlMessage: machineControlCodec,
  ProblemsSnapshotPayload: problemsSnapshotCodec,
  Finding: findingCodec,
  Issue: issueCodec,
  SseReadyData: sseReadyDataCodec,
  SseResetData: sseResetDataCodec,
  SseGapData: sseGapDataCodec,
  SseEndData: sseEndDataCodec,
} as const;

export type MessageName = keyof typeof codecs;

/** Decodes an envelope from a parsed value: the typed event, or its issues. */
export const decodeEnvelope = envelopeCodec.decode;
export const decodeSessionFrame = sessionFrameCodec.decode;
export const decodeProblemsFrame = problemsFrameCodec.decode;
export const decodeClientFrame = clientFrameCodec.decode;
export const decodeHubFrame = hubFrameCodec.decode;
export const encode = (value: unknown): string => JSON.stringify(value);
