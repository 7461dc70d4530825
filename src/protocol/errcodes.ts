// Error codes of the client-server and server-server APIs:
// https://spec.matrix.org/v1.19/client-server-api/#standard-error-response
export const ERRCODES = [
  "M_BAD_JSON", "M_FORBIDDEN", "M_LIMIT_EXCEEDED", "M_MISSING_TOKEN", "M_NOT_FOUND", "M_NOT_JSON",
  "M_RESOURCE_LIMIT_EXCEEDED", "M_UNKNOWN", "M_UNKNOWN_DEVICE", "M_UNKNOWN_TOKEN", "M_UNRECOGNIZED",
  "M_USER_LIMIT_EXCEEDED", "M_USER_LOCKED", "M_USER_SUSPENDED", "M_BAD_STATE",
  "M_CANNOT_LEAVE_SERVER_NOTICE_ROOM", "M_CAPTCHA_INVALID", "M_CAPTCHA_NEEDED", "M_EXCLUSIVE",
  "M_GUEST_ACCESS_FORBIDDEN", "M_INCOMPATIBLE_ROOM_VERSION", "M_INVALID_PARAM", "M_INVALID_ROOM_STATE",
  "M_INVALID_USERNAME", "M_MISSING_PARAM", "M_ROOM_IN_USE", "M_SERVER_NOT_TRUSTED",
  "M_THREEPID_AUTH_FAILED", "M_THREEPID_DENIED", "M_THREEPID_IN_USE", "M_THREEPID_MEDIUM_NOT_SUPPORTED",
  "M_THREEPID_NOT_FOUND", "M_TOO_LARGE", "M_UNAUTHORIZED", "M_UNSUPPORTED_ROOM_VERSION",
  "M_USER_DEACTIVATED", "M_USER_IN_USE", "M_WEAK_PASSWORD", "M_EXPIRED_ACCOUNT",
  // Profiles (https://spec.matrix.org/v1.19/client-server-api/#put_matrixclientv3profileuseridkeyname)
  "M_PROFILE_TOO_LARGE", "M_KEY_TOO_LARGE",
  // Rooms (aliases, upgrades, relations)
  "M_BAD_ALIAS",
  // Simplified sliding sync (MSC4186): the connection's pos is unknown or expired.
  "M_UNKNOWN_POS", "M_DUPLICATE_ANNOTATION",
  // End-to-end encryption (cross-signing, key backup)
  "M_INVALID_SIGNATURE", "M_WRONG_ROOM_KEYS_VERSION",
  // Content repository (https://spec.matrix.org/v1.19/client-server-api/#content-repository)
  "M_CANNOT_OVERWRITE_MEDIA", "M_NOT_YET_UPLOADED",
  // Application services (https://spec.matrix.org/v1.19/application-service-api/#pinging)
  "M_URL_NOT_SET", "M_BAD_STATUS", "M_CONNECTION_FAILED", "M_CONNECTION_TIMEOUT",
] as const;

export type Errcode = (typeof ERRCODES)[number];
