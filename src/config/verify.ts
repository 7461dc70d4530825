// Checks the schema cannot express, and derived values (absolute paths, bytes, milliseconds).
import { join } from "node:path";
import { isServerName, type ServerName } from "../protocol/identifiers.ts";
import type { RawConfig } from "./schema.ts";
import { parseDuration, parseSize } from "./units.ts";

export interface DatabaseConfig {
  name: "embedded" | "postgres";
  args: { url?: string; host?: string; port?: number; user?: string; password?: string; dbname?: string; cp_max: number };
}

export type Config = Omit<
  RawConfig,
  "server_name" | "public_baseurl" | "signing_key_path" | "key_refresh_interval" | "max_upload_size" | "max_request_body_size" | "database"
> & {
  server_name: ServerName;
  /** Always ends with "/". */
  public_baseurl: string;
  /** Whether public_baseurl was set rather than derived; Synapse serves the client well-known only then. */
  public_baseurl_explicit: boolean;
  signing_key_path: string;
  /** Milliseconds. */
  key_refresh_interval: number;
  /** Bytes. */
  max_upload_size: number;
  /** Bytes. */
  max_request_body_size: number;
  database: DatabaseConfig;
};

export function verifyConfig(raw: RawConfig, absolute: (path: string) => string): Config {
  if (!isServerName(raw.server_name)) {
    throw new Error(`server_name: "${raw.server_name}" is not a valid server name (hostname[:port])`);
  }
  const publicBaseurl = raw.public_baseurl ?? `https://${raw.server_name}/`;
  let url: URL;
  try {
    url = new URL(publicBaseurl);
  } catch {
    throw new Error(`public_baseurl: "${publicBaseurl}" is not a URL`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") throw new Error(`public_baseurl: must be an http or https URL`);

  const seen = new Set<string>();
  raw.listeners.forEach((listener, i) => {
    if (listener.tls && (!raw.tls_certificate_path || !raw.tls_private_key_path)) {
      throw new Error(`listeners[${i}].tls: needs tls_certificate_path and tls_private_key_path`);
    }
    for (const address of listener.bind_addresses) {
      const key = `${address}:${listener.port}`;
      if (listener.port !== 0 && seen.has(key)) throw new Error(`listeners[${i}]: ${key} is bound twice`);
      seen.add(key);
    }
  });

  const database = raw.database;
  const name = database.name === "psycopg2" ? "postgres" : database.name;
  if (name === "postgres" && !database.args.url && !database.args.host) {
    throw new Error("database.args: name postgres needs url or host");
  }

  const dataDirectory = absolute(raw.data_directory);
  return {
    ...raw,
    server_name: raw.server_name,
    public_baseurl: url.href.endsWith("/") ? url.href : `${url.href}/`,
    public_baseurl_explicit: raw.public_baseurl !== null,
    data_directory: dataDirectory,
    signing_key_path: raw.signing_key_path ? absolute(raw.signing_key_path) : join(dataDirectory, `${raw.server_name}.signing.key`),
    tls_certificate_path: raw.tls_certificate_path && absolute(raw.tls_certificate_path),
    tls_private_key_path: raw.tls_private_key_path && absolute(raw.tls_private_key_path),
    app_service_config_files: raw.app_service_config_files.map(absolute),
    key_refresh_interval: parseDuration(raw.key_refresh_interval)!,
    max_upload_size: parseSize(raw.max_upload_size)!,
    max_request_body_size: parseSize(raw.max_request_body_size)!,
    database: { name, args: database.args },
  };
}
