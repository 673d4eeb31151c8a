// The types of reference.js (generated): Ajv's standalone validators, by message name.
export interface ReferenceError {
  instancePath: string;
  schemaPath: string;
  keyword: string;
  params: Record<string, unknown>;
}
export type ReferenceValidate = ((data: unknown) => boolean) & { errors?: ReferenceError[] | null };
export declare function reference(
  formats: Readonly<Record<string, (value: string) => boolean>>,
  ucs2length: (value: string) => number,
): Record<string, ReferenceValidate>;
