// The configuration file's schema: every option, its type, default and description.
// Key names follow Synapse's (shared/reference/synapse-config-documentation.md) wherever the
// concept is the same, so an operator moving over recognises them. The descriptions double as
// the comments of `myelin generate-config`.
import { Type as T, type Static } from "@sinclair/typebox";

// `hint` is what a type error says instead of TypeBox's "expected union value".
const Size = (options: { default: string; description: string }) =>
  T.Union([T.Integer({ minimum: 0 }), T.String({ pattern: "^\\d+[KMGT]?$" })], { ...options, hint: "a size such as 4096, 10K, 50M or 1G" });
const Duration = (options: { default: string; description: string }) =>
  T.Union([T.Integer({ minimum: 0 }), T.String({ pattern: "^\\d+(ms|[smhdwy])?$" })], { ...options, hint: "a duration such as 30s, 5m, 1h or 1d (a bare number is milliseconds)" });
const strict = { additionalProperties: false } as const;
// The shape only; src/protocol/ip-ranges.ts checks the numbers (and names the entry) at start.
const IpRange = T.String({ pattern: "^[0-9A-Fa-f:.]+(/[0-9]{1,3})?$", hint: "an IP address or CIDR range such as 10.0.0.0/8 or fe80::/10" });

/** Resource names a listener can serve; what each one mounts is in src/app.ts. */
export const RESOURCE_NAMES = ["client", "federation", "keys", "health"] as const;

const Resource = T.Object(
  {
    names: T.Array(T.Union(RESOURCE_NAMES.map((name) => T.Literal(name))), { minItems: 1 }),
    compress: T.Boolean({ default: false, description: "Accepted for Synapse compatibility; Myelin does not compress (put a proxy in front)." }),
  },
  strict,
);

const Listener = T.Object(
  {
    port: T.Integer({ minimum: 0, maximum: 65535 }),
    bind_addresses: T.Array(T.String({ minLength: 1 }), { minItems: 1, default: ["127.0.0.1"] }),
    type: T.Literal("http", { default: "http" }),
    tls: T.Boolean({ default: false }),
    x_forwarded: T.Boolean({ default: false }),
    resources: T.Array(Resource, { minItems: 1 }),
  },
  strict,
);

const RateLimit = T.Object(
  {
    per_second: T.Number({ exclusiveMinimum: 0 }),
    burst_count: T.Integer({ minimum: 1 }),
  },
  strict,
);

export const ConfigSchema = T.Object(
  {
    server_name: T.String({
      default: "localhost",
      description: "The domain of this homeserver: the part after ':' in user ids (@alice:example.org). Cannot change once users exist.",
    }),
    public_baseurl: T.Union([T.String(), T.Null()], {
      default: null,
      description: "The URL clients use to reach this server (no /_matrix). null means https://<server_name>/.",
    }),
    data_directory: T.String({
      default: "./data",
      description: "Where Myelin keeps its files: the embedded PostgreSQL cluster, the signing key (unless signing_key_path is set) and the lock that stops two servers sharing one folder.",
    }),
    listeners: T.Array(Listener, {
      minItems: 1,
      default: [{ port: 8008, bind_addresses: ["127.0.0.1"], type: "http", tls: false, x_forwarded: false, resources: [{ names: ["client", "federation"], compress: false }] }],
      description: "Ports to listen on. Resources: client (/_matrix/client, /.well-known/matrix/*), federation (/_matrix/federation and /_matrix/key), keys (/_matrix/key only), health (/health). tls: true serves HTTPS with tls_certificate_path and tls_private_key_path.",
    }),
    tls_certificate_path: T.Union([T.String(), T.Null()], { default: null, description: "PEM certificate chain for listeners with tls: true." }),
    tls_private_key_path: T.Union([T.String(), T.Null()], { default: null, description: "PEM private key for listeners with tls: true." }),
    database: T.Object(
      {
        name: T.Union([T.Literal("embedded"), T.Literal("postgres"), T.Literal("psycopg2")], {
          default: "embedded",
          description: "embedded: Myelin runs its own PostgreSQL server in data_directory. postgres (or Synapse's psycopg2): connect to the server in args.",
        }),
        args: T.Object(
          {
            url: T.Optional(T.String({ description: "postgres://user:password@host:port/dbname; takes precedence over the fields below." })),
            host: T.Optional(T.String()),
            port: T.Optional(T.Integer({ minimum: 1, maximum: 65535 })),
            user: T.Optional(T.String()),
            password: T.Optional(T.String()),
            dbname: T.Optional(T.String()),
            cp_max: T.Integer({ minimum: 1, maximum: 1000, default: 10, description: "Most connections in the pool." }),
          },
          { ...strict, default: {} },
        ),
      },
      { ...strict, default: {}, description: "Where data lives. The default needs no setup; production usually points at its own PostgreSQL 15 or newer." },
    ),
    signing_key_path: T.Union([T.String(), T.Null()], {
      default: null,
      description: "The server's Ed25519 signing key (Synapse's key file format). Created on first start. null means <data_directory>/<server_name>.signing.key.",
    }),
    old_signing_keys: T.Record(
      T.String({ pattern: "^ed25519:[A-Za-z0-9_]+$" }),
      T.Object({ key: T.String(), expired_ts: T.Integer({ minimum: 0 }) }, strict),
      { default: {}, description: "Keys this server signed with in the past, published so old events still verify: {\"ed25519:id\": {key: <base64 public key>, expired_ts: <ms>}}." },
    ),
    key_refresh_interval: Duration({ default: "1d", description: "How long other servers may cache our key response (valid_until_ts)." }),
    trusted_key_servers: T.Array(
      T.Object(
        {
          server_name: T.String({ minLength: 1 }),
          verify_keys: T.Optional(
            T.Record(T.String({ pattern: "^ed25519:[A-Za-z0-9_]+$" }), T.String({ pattern: "^[A-Za-z0-9+/]{43}$", hint: "an unpadded base64 Ed25519 public key (43 characters)" })),
          ),
        },
        strict,
      ),
      {
        // Synapse's default: matrix.org with its key.
        default: [{ server_name: "matrix.org", verify_keys: { "ed25519:auto": "Noi6WqcDj0QmPxCNQqgezwTlBKrfqehY1u2FyWP9uYw" } }],
        description:
          "Notary servers asked for another server's keys (POST /_matrix/key/v2/query) when that server cannot give them itself. With verify_keys, their answers must be signed by one of those keys; without, TLS is the only check. [] asks only the servers themselves.",
      },
    ),
    suppress_key_server_warning: T.Boolean({ default: false, description: "Do not warn at start that trusted_key_servers includes matrix.org." }),
    enable_registration: T.Boolean({ default: false, description: "Let anyone register an account. Off by default, as in Synapse." }),
    registration_shared_secret: T.Union([T.String({ minLength: 1 }), T.Null()], {
      default: null,
      description: "Secret for the shared-secret registration API (/_synapse/admin/v1/register). null disables it.",
    }),
    federation_verify_certificates: T.Boolean({ default: true, description: "Check TLS certificates of other homeservers." }),
    federation: T.Object(
      {
        client_timeout: Duration({ default: "60s", description: "How long an outbound federation request may take, server discovery included." }),
        destination_min_retry_interval: Duration({ default: "10m", description: "How long a destination is left alone after a request to it failed." }),
        destination_retry_multiplier: T.Integer({ minimum: 1, default: 2, description: "How much that interval grows with each further failure." }),
        destination_max_retry_interval: Duration({ default: "1w", description: "The longest a failing destination is left alone (in memory: a restart forgets it)." }),
      },
      { ...strict, default: {}, description: "Outbound federation requests: timeout and per-destination backoff (Synapse's names)." },
    ),
    max_upload_size: Size({ default: "50M", description: "Largest media upload." }),
    max_request_body_size: Size({ default: "4M", description: "Largest body of any other request (events are at most 64K; key and to-device batches are larger)." }),
    media_store_path: T.Union([T.String({ minLength: 1 }), T.Null()], {
      default: null,
      description: "Folder of uploaded media and their thumbnails (local_content/, local_thumbnails/). null means <data_directory>/media_store; a relative path is taken inside data_directory.",
    }),
    enable_authenticated_media: T.Boolean({
      default: true,
      description: "Media uploaded while this is on is served only by the authenticated /_matrix/client/v1/media endpoints; the legacy /_matrix/media/*/download and thumbnail answer 404 for it. Media uploaded while it was off stays reachable there.",
    }),
    max_pending_media_uploads: T.Integer({ minimum: 1, default: 5, description: "How many ids from POST /_matrix/media/v1/create a user may hold unused and unexpired at once; more is 429 M_LIMIT_EXCEEDED." }),
    unused_expiration_time: Duration({ default: "24h", description: "How long an id from POST /_matrix/media/v1/create waits for its content." }),
    max_image_pixels: Size({ default: "32M", description: "Largest image (width times height) Myelin decodes to thumbnail; larger ones get 413 M_TOO_LARGE from the thumbnail endpoints." }),
    dynamic_thumbnails: T.Boolean({
      default: false,
      description: "true: thumbnails of exactly the requested size. false: the smallest thumbnail_sizes entry that is at least the requested size (Synapse's choice).",
    }),
    thumbnail_sizes: T.Array(
      T.Object({ width: T.Integer({ minimum: 1 }), height: T.Integer({ minimum: 1 }), method: T.Union([T.Literal("crop"), T.Literal("scale")]) }, strict),
      {
        minItems: 1,
        default: [
          { width: 32, height: 32, method: "crop" }, { width: 96, height: 96, method: "crop" }, { width: 320, height: 240, method: "scale" },
          { width: 640, height: 480, method: "scale" }, { width: 800, height: 600, method: "scale" },
        ],
        description: "Thumbnail sizes served when dynamic_thumbnails is off; each is made on first request and kept. JPEG and PNG images are thumbnailed.",
      },
    ),
    serve_server_wellknown: T.Boolean({ default: false, description: "Serve /.well-known/matrix/server pointing federation at public_baseurl's host and port." }),
    extra_well_known_client_content: T.Record(T.String(), T.Unknown(), { default: {}, description: "Extra keys for /.well-known/matrix/client." }),
    support: T.Object(
      {
        contacts: T.Array(
          T.Object({ role: T.String({ minLength: 1 }), matrix_id: T.Optional(T.String({ pattern: "^@" })), email_address: T.Optional(T.String({ minLength: 1 })) }, strict),
          { default: [] },
        ),
        support_page: T.Union([T.String({ minLength: 1 }), T.Null()], { default: null }),
      },
      {
        ...strict,
        default: {},
        description:
          "Served as /.well-known/matrix/support (the spec's fields): contacts [{role: m.role.admin or m.role.security, matrix_id and/or email_address}] and support_page (a URL). Neither set: that file answers 404.",
      },
    ),
    turn_uris: T.Array(T.String({ pattern: "^turns?:" }), { default: [], description: "TURN server URIs given to clients by GET /voip/turnServer; [] answers {} (no TURN)." }),
    turn_shared_secret: T.Union([T.String({ minLength: 1 }), T.Null()], {
      default: null,
      description: "Secret shared with the TURN server (coturn's static-auth-secret): time-limited credentials, username <expiry>:<user_id>, password base64 HMAC-SHA1 of it.",
    }),
    turn_username: T.Union([T.String(), T.Null()], { default: null, description: "Fixed TURN username, when turn_shared_secret is not set." }),
    turn_password: T.Union([T.String(), T.Null()], { default: null, description: "Fixed TURN password, with turn_username." }),
    turn_user_lifetime: Duration({ default: "1h", description: "How long generated TURN credentials last (the ttl given to clients)." }),
    turn_allow_guests: T.Boolean({ default: true, description: "Whether guest accounts get TURN credentials." }),
    rc_message: T.Union([RateLimit], { default: { per_second: 0.2, burst_count: 10 }, description: "Rate limit of messages a user sends." }),
    rc_login: T.Object(
      { address: RateLimit, account: RateLimit, failed_attempts: RateLimit },
      {
        ...strict,
        default: { address: { per_second: 0.003, burst_count: 5 }, account: { per_second: 0.003, burst_count: 5 }, failed_attempts: { per_second: 0.17, burst_count: 3 } },
        description: "Rate limits of logins per client address, per account and of failed attempts.",
      },
    ),
    default_room_version: T.String({
      default: "11",
      minLength: 1,
      description: "Room version of new rooms, announced in /capabilities. Must be one Myelin supports (checked at start).",
    }),
    registration_requires_token: T.Boolean({ default: false, description: "Registration needs a token (m.login.registration_token) made with `myelin registration-token create`. enable_registration must be on too." }),
    allow_guest_access: T.Boolean({ default: false, description: "Let clients register guest accounts (kind=guest), which may use only the endpoints the spec opens to guests." }),
    rc_registration: T.Union([RateLimit], { default: { per_second: 0.17, burst_count: 3 }, description: "Rate limit of registration requests per client address." }),
    rc_registration_token_validity: T.Union([RateLimit], { default: { per_second: 0.1, burst_count: 5 }, description: "Rate limit of registration token validity checks per client address." }),
    rc_exempt_loopback: T.Boolean({ default: false, description: "Myelin only: requests from 127.0.0.1/::1 skip the rc_* rate limits (for local tooling and tests)." }),
    refreshable_access_token_lifetime: Duration({ default: "5m", description: "How long an access token lives when the client uses refresh tokens." }),
    refresh_token_lifetime: T.Union([Duration({ default: "0", description: "" }), T.Null()], { default: null, description: "How long a refresh token lives unless exchanged first; null: no limit." }),
    nonrefreshable_access_token_lifetime: T.Union([Duration({ default: "0", description: "" }), T.Null()], { default: null, description: "How long an access token lives when the client does not use refresh tokens; null: no limit." }),
    login_via_existing_session: T.Object(
      {
        enabled: T.Boolean({ default: false }),
        require_ui_auth: T.Boolean({ default: true }),
        token_timeout: Duration({ default: "5m", description: "How long a login token from /login/get_token is valid." }),
      },
      { ...strict, default: {}, description: "Let a logged-in client mint a login token (POST /v1/login/get_token) for another client (m.login.token)." },
    ),
    user_directory: T.Object(
      {
        enabled: T.Boolean({
          default: true,
          description: "Answer user directory searches. false returns no results to every search (below the spec's minimum, as in Synapse).",
        }),
        search_all_users: T.Boolean({
          default: false,
          description: "Search every local user. false: only users who share a room with the searcher or are joined to a public or world-readable room.",
        }),
      },
      { ...strict, default: {}, description: "The user directory (POST /user_directory/search)." },
    ),
    presence: T.Object(
      {
        enabled: T.Union([T.Boolean(), T.Literal("untracked")], {
          default: true,
          hint: "true, false or untracked",
          description: "false: no presence in sync, GET /presence answers offline and PUT is accepted and ignored. untracked: presence is served but clients' updates are ignored.",
        }),
        include_offline_users_on_sync: T.Boolean({ default: false, description: "Include offline users in the presence of initial and full_state syncs." }),
        last_active_granularity: Duration({ default: "1m", description: "How long after a user's last activity they are still shown as currently_active." }),
        sync_online_timeout: Duration({ default: "30s", description: "How long after a client's last sync request (or activity) its user turns offline." }),
        idle_timeout: Duration({ default: "5m", description: "How long after a user's last activity an online user turns unavailable. Must be greater than last_active_granularity." }),
      },
      { ...strict, default: {}, description: "Presence (online, unavailable, offline) shared with users in the same rooms." },
    ),
    ip_range_blacklist: T.Array(IpRange, {
      default: [
        "127.0.0.0/8", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "192.0.0.0/24", "169.254.0.0/16",
        "192.88.99.0/24", "198.18.0.0/15", "192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/4",
        "::1/128", "fe80::/10", "fc00::/7", "2001:db8::/32", "ff00::/8", "fec0::/10",
      ],
      description: "CIDR ranges outbound requests (push gateways, federation) may not go to; the default is Synapse's list of private, loopback and link-local ranges. 0.0.0.0 and :: are always refused.",
    }),
    ip_range_whitelist: T.Array(IpRange, { default: [], description: "CIDR ranges allowed even when ip_range_blacklist covers them, e.g. a push gateway or homeserver on your own network." }),
    push: T.Object(
      {
        enabled: T.Boolean({ default: true, description: "Evaluate push rules. false: no notification counts and no pushes (for servers of bots)." }),
        include_content: T.Boolean({ default: true, description: "Send the event's content to push gateways (pushers without format event_id_only). false: sender and room only." }),
        group_unread_count_by_room: T.Boolean({ default: true, description: "The unread count sent to push gateways: rooms with unread notifications (true) or all unread notifications (false)." }),
        jitter_delay: Duration({ default: "0s", description: "Delay each push by a random time up to this, counted from when the notification was decided (against timing attacks)." }),
      },
      { ...strict, default: {}, description: "Push notifications sent to push gateways (HTTP pushers) and the counts behind them." },
    ),
    app_service_config_files: T.Array(T.String({ minLength: 1 }), {
      default: [],
      description: "Registration files (YAML) of application services (bridges, bots), relative to this file's folder. Checked at start: a bad file stops the server with a line naming it and the key.",
    }),
    log_level: T.Union([T.Literal("debug"), T.Literal("info"), T.Literal("warn"), T.Literal("error")], {
      default: "info",
      description: "Least severe log level written (one JSON object per line on stderr).",
    }),
  },
  strict,
);

export type RawConfig = Static<typeof ConfigSchema>;
export type ListenerConfig = Static<typeof Listener>;
export type RateLimitConfig = Static<typeof RateLimit>;
export type ResourceName = (typeof RESOURCE_NAMES)[number];
