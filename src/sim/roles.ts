/** The four protocol roles the simulator hosts in a real scenario run. */
import { driver } from "../protocol/driver/index.js";
import { executor } from "../protocol/executor/index.js";
import { master } from "../protocol/master/index.js";
import { worker } from "../protocol/worker/index.js";
import type { AnyRole } from "./world.js";
import type { RoleSet } from "./cluster.js";

export const ROLES: RoleSet = {
  master: master as AnyRole,
  worker: worker as AnyRole,
  driver: driver as AnyRole,
  executor: executor as AnyRole,
};
