// Reads for Synapse's room admin API (src/rooms/admin-rooms.ts) and event reports
// (src/rooms/admin-reports.ts): rooms with their summary columns, counted and ordered as
// operators ask. No Matrix rules here.
import type { Db } from "../db.ts";
import { containsPattern } from "./admin-users.ts";

export interface AdminRoomRow {
  roomId: string;
  name: string | null;
  topic: string | null;
  avatar: string | null;
  canonicalAlias: string | null;
  joinedMembers: number;
  joinedLocalMembers: number;
  version: string;
  creator: string;
  encryption: string | null;
  federatable: boolean;
  public: boolean;
  joinRules: string | null;
  guestAccess: string | null;
  historyVisibility: string | null;
  stateEvents: number;
  roomType: string | null;
}

/**
 * Synapse's order_by values: the column and whether it sorts ascending before `dir` applies
 * ("largest to smallest" for counts and versions, as Synapse does).
 */
export const ROOM_ORDER = {
  name: ["name", true], alphabetical: ["name", true], canonical_alias: [`"canonicalAlias"`, true],
  joined_members: [`"joinedMembers"`, false], size: [`"joinedMembers"`, false], joined_local_members: [`"joinedLocalMembers"`, false],
  version: ["version", false], creator: ["creator", true], encryption: ["encryption", true], federatable: ["federatable", true],
  public: ["public", true], join_rules: [`"joinRules"`, true], guest_access: [`"guestAccess"`, true],
  history_visibility: [`"historyVisibility"`, true], state_events: [`"stateEvents"`, false],
} as const satisfies Record<string, readonly [string, boolean]>;

export interface RoomListQuery {
  from: number;
  limit: number;
  orderBy: keyof typeof ROOM_ORDER;
  reverse: boolean;
  searchTerm?: string;
  publicRooms?: boolean;
  emptyRooms?: boolean;
}

/** `$1` is this server's name (for local members). */
const ROOM_COLUMNS = `r.room_id as "roomId", s.name, s.topic, s.avatar_url as avatar, s.canonical_alias as "canonicalAlias",
  coalesce(s.joined_members, 0) as "joinedMembers",
  (select count(*)::int from current_state m where m.room_id = r.room_id and m.type = 'm.room.member' and m.membership = 'join'
     and m.state_key like '%:' || $1) as "joinedLocalMembers",
  r.room_version as version, r.creator, s.encryption,
  coalesce((select (ev.json::jsonb->'content'->>'m.federate')::boolean from current_state c join events ev on ev.event_id = c.event_id
     where c.room_id = r.room_id and c.type = 'm.room.create' and c.state_key = ''), true) as federatable,
  r.is_public as public, s.join_rule as "joinRules", s.guest_access as "guestAccess", s.history_visibility as "historyVisibility",
  (select count(*)::int from current_state c where c.room_id = r.room_id) as "stateEvents", s.room_type as "roomType"`;
const ROOM_FROM = `rooms r left join room_stats s on s.room_id = r.room_id`;

export interface EventReportRow {
  id: number;
  receivedTs: number;
  roomId: string;
  name: string | null;
  eventId: string;
  userId: string;
  reason: string | null;
  score: number | null;
  sender: string | null;
  canonicalAlias: string | null;
  eventJson: string | null;
}

export interface EventReportQuery {
  from: number;
  limit: number;
  descending: boolean;
  reporter?: string;
  roomId?: string;
  eventSender?: string;
}

const REPORT_COLUMNS = `r.id::float8 as id, r.received_ts::float8 as "receivedTs", r.room_id as "roomId", s.name, r.event_id as "eventId",
  r.reporter as "userId", r.reason, r.score, e.sender, s.canonical_alias as "canonicalAlias"`;
const REPORT_FROM = `content_reports r left join events e on e.event_id = r.event_id left join room_stats s on s.room_id = r.room_id`;

export function createAdminRoomsRepo(db: Db, serverName: string) {
  const sql = db.$client;
  return {
    async room(roomId: string): Promise<AdminRoomRow | undefined> {
      const [row] = await sql.unsafe<AdminRoomRow[]>(`select ${ROOM_COLUMNS} from ${ROOM_FROM} where r.room_id = $2`, [serverName, roomId]);
      return row;
    },

    async list(query: RoomListQuery): Promise<{ rooms: AdminRoomRow[]; total: number }> {
      const params: unknown[] = [serverName];
      const param = (value: unknown) => `$${params.push(value)}`;
      const where: string[] = [];
      if (query.searchTerm !== undefined) {
        // Synapse: name and canonical alias case-insensitively, the room id as given.
        const lower = param(containsPattern(query.searchTerm.toLowerCase()));
        where.push(`(lower(s.name) like ${lower} or lower(s.canonical_alias) like ${lower} or r.room_id like ${param(containsPattern(query.searchTerm))})`);
      }
      if (query.publicRooms !== undefined) where.push(`r.is_public = ${param(query.publicRooms)}`);
      if (query.emptyRooms !== undefined) where.push(`(coalesce(s.joined_members, 0) = 0) = ${param(query.emptyRooms)}`);
      const filter = where.length > 0 ? `where ${where.join(" and ")}` : "";
      // $1 (the server name) is only used by the columns; Postgres wants every parameter typed.
      const counted = [`$1::text is not null`, ...where].join(" and ");
      const [count] = await sql.unsafe<{ n: number }[]>(`select count(*)::int as n from ${ROOM_FROM} where ${counted}`, params as never[]);
      const [column, ascending] = ROOM_ORDER[query.orderBy];
      const direction = ascending !== query.reverse ? "asc" : "desc";
      const rooms = await sql.unsafe<AdminRoomRow[]>(
        `select * from (select ${ROOM_COLUMNS} from ${ROOM_FROM} ${filter}) listed
         order by ${column} ${direction}, "roomId" ${direction} offset ${param(query.from)} limit ${param(query.limit)}`,
        params as never[],
      );
      return { rooms, total: count!.n };
    },

    /** Devices of the room's joined local members (joined_local_devices). */
    async joinedLocalDevices(roomId: string): Promise<number> {
      const [row] = await sql<{ n: number }[]>`select count(*)::int as n from devices d join current_state m
        on m.state_key = d.user_id and m.room_id = ${roomId} and m.type = 'm.room.member' and m.membership = 'join'`;
      return row!.n;
    },

    /** Whether local users were in the room and every one of them has forgotten it. */
    async forgottenByAllLocalUsers(roomId: string): Promise<boolean> {
      const [row] = await sql<{ members: number; remembering: number }[]>`select count(distinct user_id)::int as members,
        count(distinct user_id) filter (where not exists (select 1 from forgotten_rooms f where f.user_id = m.user_id and f.room_id = m.room_id))::int as remembering
        from room_memberships m where m.room_id = ${roomId} and m.user_id like ${"%:" + serverName}`;
      return row!.members > 0 && row!.remembering === 0;
    },

    async eventReports(query: EventReportQuery): Promise<{ reports: EventReportRow[]; total: number }> {
      const params: unknown[] = [];
      const param = (value: unknown) => `$${params.push(value)}`;
      const where = ["r.kind = 'event'"];
      if (query.reporter !== undefined) where.push(`r.reporter like ${param(containsPattern(query.reporter))}`);
      if (query.roomId !== undefined) where.push(`r.room_id like ${param(containsPattern(query.roomId))}`);
      if (query.eventSender !== undefined) where.push(`e.sender = ${param(query.eventSender)}`);
      const filter = `where ${where.join(" and ")}`;
      const [count] = await sql.unsafe<{ n: number }[]>(`select count(*)::int as n from ${REPORT_FROM} ${filter}`, params as never[]);
      const direction = query.descending ? "desc" : "asc";
      const reports = await sql.unsafe<EventReportRow[]>(
        `select ${REPORT_COLUMNS} from ${REPORT_FROM} ${filter} order by r.received_ts ${direction}, r.id ${direction}
         offset ${param(query.from)} limit ${param(query.limit)}`,
        params as never[],
      );
      return { reports, total: count!.n };
    },

    async eventReport(id: number): Promise<EventReportRow | undefined> {
      const [row] = await sql.unsafe<EventReportRow[]>(
        `select ${REPORT_COLUMNS}, e.json as "eventJson" from ${REPORT_FROM} where r.kind = 'event' and r.id = $1`, [id]);
      return row;
    },

    /** False when there was no such event report. */
    async deleteEventReport(id: number): Promise<boolean> {
      const deleted = await sql`delete from content_reports where kind = 'event' and id = ${id} returning id`;
      return deleted.length === 1;
    },
  };
}

export type AdminRoomsRepo = ReturnType<typeof createAdminRoomsRepo>;
