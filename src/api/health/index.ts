import { endpoint } from "../../http/endpoint.ts";

/** GET /health: "OK" while the server answers, for load balancers (same path and body as Synapse). */
export const healthEndpoints = () => [
  endpoint({
    method: "GET",
    paths: ["/health"],
    auth: "none",
    spec: "https://element-hq.github.io/synapse/latest/reverse_proxy.html#health-check-endpoint",
    handler: () => new Response("OK", { headers: { "Content-Type": "text/plain" } }),
  }),
];
