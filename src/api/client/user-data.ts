// The endpoints of a user's own data and devices, mounted together by src/app.ts.
import type { UserDataServices } from "../../auth/user-data.ts";
import type { Endpoint } from "../../http/endpoint.ts";
import { accountEndpoints } from "./account.ts";
import { accountDataEndpoints } from "./account-data.ts";
import { deviceEndpoints } from "./devices.ts";
import { filterEndpoints } from "./filters.ts";
import { profileEndpoints } from "./profile.ts";

export function userDataEndpoints(services: UserDataServices, options: { maxBodySize: number }): Endpoint[] {
  return [
    ...profileEndpoints(services.profiles),
    ...accountDataEndpoints(services.accountData),
    ...filterEndpoints(services.filters),
    ...deviceEndpoints({ devices: services.devices, maxBodySize: options.maxBodySize }),
    ...accountEndpoints(services.account),
  ];
}
