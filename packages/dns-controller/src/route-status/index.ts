export {
  MESH_CONTROLLER_NAME,
  type ParentStatus,
  routeParentStatuses,
  type ServiceView,
} from './route-conditions.js';
export { RouteStatusWriter, type RouteStatusWriterOptions } from './route-status-writer.js';
export { nextRouteStatus } from './status-update.js';
