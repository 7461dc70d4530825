// The narrow read interface other modules (receipts, typing, reports, directory, sync) use to ask
// about rooms without depending on how rooms are stored.
export type MembershipState = "join" | "invite" | "leave" | "ban" | "knock";

export interface RoomReader {
  /** The room's version, or null when this server does not know the room. */
  roomVersion(roomId: string): Promise<string | null>;
  /** The user's current membership in the room, or null if they never had one. */
  membership(roomId: string, userId: string): Promise<MembershipState | null>;
  /** Whether the event exists in that room and history visibility lets the user see it. */
  canSeeEvent(userId: string, roomId: string, eventId: string): Promise<boolean>;
  /** The users whose current membership is join (local and remote). */
  joinedMembers(roomId: string): Promise<string[]>;
}
