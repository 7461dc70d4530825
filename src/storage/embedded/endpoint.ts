// How Myelin reaches the embedded server: a Unix socket inside the cluster folder (a 0700
// folder, so `trust` there admits only the folder's owner and root), or, when that path is
// too long for a socket, TCP on 127.0.0.1 with the superuser's password.
import { createServer } from "node:net";
import { join } from "node:path";

/** The port in the socket's name (.s.PGSQL.5432); nothing listens on it over TCP. */
const SOCKET_PORT = 5432;
/** Limit: sun_path holds 108 bytes on Linux, 104 on macOS, NUL included (PostgreSQL's own check). */
const MAX_SOCKET_PATH = process.platform === "linux" ? 107 : 103;

/** Options for postgres.js; `host` is the socket's folder, or 127.0.0.1 in the TCP fallback. */
export interface PostgresConnection {
  host: string;
  port: number;
  user: string;
  password?: string;
  database: string;
}

export type Endpoint = { socketDir: string; port: number } | { tcpPort: number; password: string };

async function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer().once("error", fail);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? done(address.port) : fail(new Error("no port"))));
    });
  });
}

/** Chosen at every start: a data folder that moved may now need (or no longer need) TCP. */
export async function chooseEndpoint(clusterDir: string, password: () => Promise<string>): Promise<Endpoint> {
  const socketPath = join(clusterDir, `.s.PGSQL.${SOCKET_PORT}`);
  if (Buffer.byteLength(socketPath) <= MAX_SOCKET_PATH) return { socketDir: clusterDir, port: SOCKET_PORT };
  return { tcpPort: await freePort(), password: await password() };
}

/** One element of a GUC list such as unix_socket_directories, quoted. */
function quoteList(value: string): string {
  return `"${value.replaceAll('"', '""')}"`;
}

/** The server's `-c name=value` arguments; `extra` (tests) comes last and wins. */
export function serverArguments(endpoint: Endpoint, extra: Record<string, string>): string[] {
  const settings: Record<string, string> =
    "socketDir" in endpoint
      ? { listen_addresses: "", unix_socket_directories: quoteList(endpoint.socketDir), port: String(endpoint.port) }
      : { listen_addresses: "127.0.0.1", unix_socket_directories: "", port: String(endpoint.tcpPort) };
  Object.assign(settings, {
    unix_socket_permissions: "0700",
    cluster_name: "myelin", // process titles read "postgres: myelin: ..."
    log_line_prefix: "[%p] ",
    ...extra,
  });
  return Object.entries(settings).flatMap(([name, value]) => ["-c", `${name}=${value}`]);
}

export function connectionFor(endpoint: Endpoint, user: string, database: string): PostgresConnection {
  return "socketDir" in endpoint
    ? { host: endpoint.socketDir, port: endpoint.port, user, database }
    : { host: "127.0.0.1", port: endpoint.tcpPort, user, password: endpoint.password, database };
}
