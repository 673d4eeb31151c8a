/**
 * Task events, as the SSE broker of kube-coder emits them on real transitions: its
 * optional fields arrive as `None` (null), and `finished_at` is `time.time()`.
 */
import { Type, type Static } from "@sinclair/typebox";
import { Instant, Label } from "../primitives/strings.js";
import { NullableString, StringEnum } from "../primitives/compact.js";

export const TaskStatus = StringEnum(
  ["pending", "running", "waiting-for-input", "completed", "failed", "canceled"],
  { title: "TaskStatus" },
);

export const TaskCreatedPayload = Type.Object(
  {
    task_id: Label,
    status: TaskStatus,
    name: Type.String({ maxLength: 1024 }),
    assistant: Type.Optional(NullableString(Label)),
    parent_task_id: Type.Optional(NullableString(Label)),
    kind: Type.Optional(NullableString(Label)),
  },
  { additionalProperties: false, title: "TaskCreatedPayload" },
);

export const TaskStatusPayload = Type.Object(
  {
    task_id: Label,
    status: TaskStatus,
    finished_at: Type.Optional(Type.Union([Instant, Type.Null()])),
  },
  { additionalProperties: false, title: "TaskStatusPayload" },
);

export type TaskStatus = Static<typeof TaskStatus>;
export type TaskCreatedPayload = Static<typeof TaskCreatedPayload>;
export type TaskStatusPayload = Static<typeof TaskStatusPayload>;
