// What /sync reads from presence (./presence.ts implements it).
// https://spec.matrix.org/v1.19/client-server-api/#presence

export type PresenceState = "online" | "unavailable" | "offline";

/** An m.presence event as sync delivers it. */
export interface PresenceEvent {
  type: "m.presence";
  sender: string;
  content: { presence: PresenceState; last_active_ago?: number; currently_active?: boolean; status_msg?: string };
}

export interface PresenceSource {
  /** False when presence is off (config presence.enabled): sync sends no presence. */
  readonly enabled: boolean;
  /** The current position of the presence stream; it never goes back, also across restarts. */
  position(): number;
  /** The latest presence of each of these users that changed in (since, upTo]; since 0: everyone's current presence. */
  changes(userIds: Iterable<string>, since: number, upTo: number): Promise<PresenceEvent[]>;
  /** `set_presence` of a /sync request: marks the user online/unavailable/offline as a client polling says. */
  setFromSync(userId: string, presence: PresenceState): Promise<void>;
  onChange(listener: (userId: string, position: number) => void): void;
}
