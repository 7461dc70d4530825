// What /sync reads from modules it may not import (push sits beside sync, see
// test/architecture.test.ts): declared here, filled by src/main.ts with the push module.
// Presence lives in ./presence.ts (same area).

/** Notification counts of a room for one user (https://spec.matrix.org/v1.19/client-server-api/#receiving-notifications). */
export interface RoomUnreadCounts {
  notification_count: number;
  highlight_count: number;
  /** The main timeline's counts alone (without threads), for clients that asked for unread_thread_notifications. */
  main?: { notification_count: number; highlight_count: number };
  /** Per thread root id (threaded receipts), when the client asked for unread_thread_notifications. */
  threads: Map<string, { notification_count: number; highlight_count: number }>;
}

export interface UnreadCountsSource {
  /** Counts for each of the rooms (rooms without notifications may be left out). */
  unreadCounts(userId: string, roomIds: readonly string[]): Promise<Map<string, RoomUnreadCounts>>;
  /** Called with the user whose counts changed (new notifying event, receipt), for the notifier. */
  onChange(listener: (userId: string) => void): void;
}

/** The user's push rules as the m.push_rules global account data event sync delivers. */
export interface PushRulesSource {
  /** {global: {...}} with the server-default rules merged in; position for the account data stream. */
  pushRules(userId: string): Promise<Record<string, unknown>>;
  /** The position of the user's last push rule change (0 if never), comparable with `since` tokens' push rules part. */
  lastChange(userId: string): Promise<number>;
  /** The highest position handed out. */
  position(): number;
  onChange(listener: (userId: string, position: number) => void): void;
}
