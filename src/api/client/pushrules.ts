// Push rules: GET /pushrules/, GET /pushrules/global/, GET/PUT/DELETE
// /pushrules/global/{kind}/{ruleId}, GET/PUT .../enabled and .../actions.
// https://spec.matrix.org/v1.19/client-server-api/#push-rules-api
import { Type as T } from "@sinclair/typebox";
import { endpoint } from "../../http/endpoint.ts";
import { checkKind } from "../../push/rule-checks.ts";
import type { PushRules, RuleAttribute } from "../../push/rules.ts";
import { requesterUser } from "./requester-user.ts";

const versions = (path: string) => [`/_matrix/client/v3${path}`, `/_matrix/client/r0${path}`];
const RULE = "/pushrules/global/:kind/:ruleId";
const SPEC = "https://spec.matrix.org/v1.19/client-server-api/#";

const attributeEndpoints = (rules: PushRules, attribute: RuleAttribute) => [
  endpoint({
    method: "GET",
    paths: versions(`${RULE}/${attribute}`),
    auth: "accessToken",
    spec: `${SPEC}get_matrixclientv3pushrulesglobalkindruleid${attribute}`,
    handler: ({ requester, params }) => rules.attribute(requesterUser(requester).userId, params.kind!, params.ruleId!, attribute),
  }),
  endpoint({
    method: "PUT",
    paths: versions(`${RULE}/${attribute}`),
    auth: "accessToken",
    body: T.Object({ [attribute]: T.Unknown() }),
    spec: `${SPEC}put_matrixclientv3pushrulesglobalkindruleid${attribute}`,
    handler: async ({ requester, params, body }) => {
      await rules.setAttribute(requesterUser(requester).userId, params.kind!, params.ruleId!, attribute, (body as Record<string, unknown>)[attribute]);
      return {};
    },
  }),
];

export const pushRuleEndpoints = (rules: PushRules) => [
  endpoint({
    method: "GET",
    // With and without the trailing slash: clients use both.
    paths: [...versions("/pushrules/"), ...versions("/pushrules")],
    auth: "accessToken",
    spec: `${SPEC}get_matrixclientv3pushrules`,
    handler: async ({ requester }) => ({ global: await rules.ruleset(requesterUser(requester).userId) }),
  }),
  endpoint({
    method: "GET",
    paths: [...versions("/pushrules/global/"), ...versions("/pushrules/global")],
    auth: "accessToken",
    spec: `${SPEC}get_matrixclientv3pushrulesglobal`,
    handler: ({ requester }) => rules.ruleset(requesterUser(requester).userId),
  }),
  endpoint({
    method: "GET",
    // Not in the spec, answered as Synapse does: the rules of one kind.
    paths: versions("/pushrules/global/:kind/"),
    auth: "accessToken",
    spec: `${SPEC}get_matrixclientv3pushrulesglobal`,
    handler: async ({ requester, params }) => (await rules.ruleset(requesterUser(requester).userId))[checkKind(params.kind!)],
  }),
  endpoint({
    method: "GET",
    paths: versions(RULE),
    auth: "accessToken",
    spec: `${SPEC}get_matrixclientv3pushrulesglobalkindruleid`,
    handler: ({ requester, params }) => rules.rule(requesterUser(requester).userId, params.kind!, params.ruleId!),
  }),
  endpoint({
    method: "PUT",
    paths: versions(RULE),
    auth: "accessToken",
    body: T.Record(T.String(), T.Unknown()),
    query: T.Object({ before: T.Optional(T.String()), after: T.Optional(T.String()) }),
    spec: `${SPEC}put_matrixclientv3pushrulesglobalkindruleid`,
    handler: async ({ requester, params, body, query }) => {
      await rules.put(requesterUser(requester).userId, params.kind!, params.ruleId!, body, query);
      return {};
    },
  }),
  endpoint({
    method: "DELETE",
    paths: versions(RULE),
    auth: "accessToken",
    spec: `${SPEC}delete_matrixclientv3pushrulesglobalkindruleid`,
    handler: async ({ requester, params }) => {
      await rules.delete(requesterUser(requester).userId, params.kind!, params.ruleId!);
      return {};
    },
  }),
  ...attributeEndpoints(rules, "enabled"),
  ...attributeEndpoints(rules, "actions"),
];
