// GET /.well-known/matrix/support: how to reach the server's admins, from the `support` config
// section; 404 when it names neither contacts nor a support page, as the spec allows.
// https://spec.matrix.org/v1.19/client-server-api/#getwell-knownmatrixsupport
import { endpoint } from "../../http/endpoint.ts";
import { notFound } from "../../protocol/matrix-error.ts";

export interface SupportInfo {
  contacts: { role: string; matrix_id?: string; email_address?: string }[];
  support_page: string | null;
}

export const supportEndpoints = (support: SupportInfo) => [
  endpoint({
    method: "GET",
    paths: ["/.well-known/matrix/support"],
    auth: "none",
    spec: "https://spec.matrix.org/v1.19/client-server-api/#getwell-knownmatrixsupport",
    handler: () => {
      // Contacts without a way to reach them are left out (the spec needs matrix_id or email_address).
      const contacts = support.contacts.filter((contact) => contact.matrix_id !== undefined || contact.email_address !== undefined);
      if (contacts.length === 0 && support.support_page === null) throw notFound("No support information is configured");
      return { ...(contacts.length > 0 ? { contacts } : {}), ...(support.support_page !== null ? { support_page: support.support_page } : {}) };
    },
  }),
];
