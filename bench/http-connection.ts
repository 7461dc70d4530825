// A lean keep-alive HTTP/1.1 client on one TCP connection, for sequential replays: fetch()
// costs this machine about 0.48 ms per request, a plain socket about 0.35 ms, against a no-op
// server; the replay measures the server, so its client should cost as little as it can.
import { connect } from "node:net";

export interface HttpAnswer {
  status: number;
  body: string;
}

export type HttpCall = (method: string, path: string, body?: unknown, token?: string) => Promise<HttpAnswer>;

export function httpConnection(url: string): { call: HttpCall; close(): void } {
  const { hostname, port } = new URL(url);
  const socket = connect(Number(port), hostname);
  socket.setNoDelay(true);
  const ready = new Promise<void>((resolve, reject) => {
    socket.once("connect", () => resolve());
    socket.once("error", reject);
  });
  let buffer: Buffer = Buffer.alloc(0);
  let waiting: { resolve(answer: HttpAnswer): void; reject(error: Error): void } | null = null;
  socket.on("error", (error) => waiting?.reject(error));
  socket.on("data", (chunk: Buffer) => {
    buffer = buffer.length === 0 ? chunk : Buffer.concat([buffer, chunk]);
    const end = buffer.indexOf("\r\n\r\n");
    if (end < 0) return;
    const head = buffer.subarray(0, end).toString("latin1");
    const length = Number(/content-length: *(\d+)/i.exec(head)?.[1] ?? 0);
    if (buffer.length < end + 4 + length) return;
    const answer = { status: Number(head.split(" ")[1]), body: buffer.subarray(end + 4, end + 4 + length).toString() };
    buffer = buffer.subarray(end + 4 + length);
    const current = waiting;
    waiting = null;
    current?.resolve(answer);
  });
  const call: HttpCall = async (method, path, body, token) => {
    await ready;
    const payload = body === undefined ? "" : JSON.stringify(body);
    const headers = [`${method} ${path} HTTP/1.1`, `Host: ${hostname}`, "Content-Type: application/json", `Content-Length: ${Buffer.byteLength(payload)}`];
    if (token) headers.push(`Authorization: Bearer ${token}`);
    return new Promise<HttpAnswer>((resolve, reject) => {
      waiting = { resolve, reject };
      socket.write(`${headers.join("\r\n")}\r\n\r\n${payload}`);
    });
  };
  return { call, close: () => socket.destroy() };
}

/** The JSON answer of a request that must succeed (200); anything else throws with the answer. */
export async function callJson(connection: { call: HttpCall }, method: string, path: string, body?: unknown, token?: string): Promise<any> {
  const answer = await connection.call(method, path, body, token);
  if (answer.status !== 200) throw new Error(`${method} ${path}: ${answer.status} ${answer.body}`);
  return JSON.parse(answer.body);
}
