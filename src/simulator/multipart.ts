/**
 * `multipart/form-data` bodies (`POST /v1/files`), parsed by the WHATWG `Response.formData()` that
 * Node ships (undici): the same parser fetch uses, so what the openai client's FormData encodes is
 * what is read back, boundaries, quoting and binary content included.
 */

export interface UploadedFile {
  filename: string;
  content: Buffer;
}

export type Multipart = { kind: "form"; fields: Map<string, string>; files: Map<string, UploadedFile> } | { kind: "invalid" };

export async function parseMultipart(contentType: string, body: Buffer): Promise<Multipart> {
  let form: FormData;
  try {
    form = await new Response(body, { headers: { "content-type": contentType } }).formData();
  } catch {
    // A body the parser cannot read is the client's 400, not the simulator's error.
    return { kind: "invalid" };
  }
  const fields = new Map<string, string>();
  const files = new Map<string, UploadedFile>();
  for (const [name, value] of form.entries()) {
    if (typeof value === "string") fields.set(name, value);
    else files.set(name, { filename: value.name, content: Buffer.from(await value.arrayBuffer()) });
  }
  return { kind: "form", fields, files };
}
