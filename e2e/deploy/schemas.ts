/**
 * Validation of deploy/ objects against the upstream Kubernetes OpenAPI schemas, as packaged by the
 * kubernetes-models family (and its Prometheus Operator models for PodMonitors).
 */
import { PodMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PodMonitor';
import { CustomResourceDefinition } from 'kubernetes-models/apiextensions.k8s.io/v1/CustomResourceDefinition';
import { DaemonSet } from 'kubernetes-models/apps/v1/DaemonSet';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { ClusterRole } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRole';
import { ClusterRoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRoleBinding';
import { Role } from 'kubernetes-models/rbac.authorization.k8s.io/v1/Role';
import { RoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { Service } from 'kubernetes-models/v1/Service';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { isRecord, type KubeObject } from './manifests.js';

interface Validatable {
  validate(): void;
}

/** The kinds deploy/ may contain; a new kind needs a line here, so nothing goes unvalidated. */
const MODELS: Record<string, (data: KubeObject) => Validatable> = {
  'v1/Namespace': (data) => new Namespace(data as unknown as Namespace),
  'v1/ConfigMap': (data) => new ConfigMap(data as unknown as ConfigMap),
  'v1/Service': (data) => new Service(data as unknown as Service),
  'v1/ServiceAccount': (data) => new ServiceAccount(data as unknown as ServiceAccount),
  'apps/v1/Deployment': (data) => new Deployment(data as unknown as Deployment),
  'apps/v1/DaemonSet': (data) => new DaemonSet(data as unknown as DaemonSet),
  'batch/v1/Job': (data) => new Job(data as unknown as Job),
  'networking.k8s.io/v1/NetworkPolicy': (data) => new NetworkPolicy(data as unknown as NetworkPolicy),
  'policy/v1/PodDisruptionBudget': (data) => new PodDisruptionBudget(data as unknown as PodDisruptionBudget),
  'rbac.authorization.k8s.io/v1/ClusterRole': (data) => new ClusterRole(data as unknown as ClusterRole),
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': (data) =>
    new ClusterRoleBinding(data as unknown as ClusterRoleBinding),
  'rbac.authorization.k8s.io/v1/Role': (data) => new Role(data as unknown as Role),
  'rbac.authorization.k8s.io/v1/RoleBinding': (data) => new RoleBinding(data as unknown as RoleBinding),
  'apiextensions.k8s.io/v1/CustomResourceDefinition': (data) =>
    new CustomResourceDefinition(data as unknown as CustomResourceDefinition),
  'monitoring.coreos.com/v1/PodMonitor': (data) => new PodMonitor(data as unknown as PodMonitor),
};

/** Schema violations of one object, each as `<json path> <message>`; empty when it is valid. */
export function schemaErrors(object: KubeObject): string[] {
  const model = MODELS[`${object.apiVersion}/${object.kind}`];
  if (model === undefined) return [`no schema for ${object.apiVersion} ${object.kind}`];
  try {
    // The models copy their input; validate a clone so a test's object is never touched.
    model(structuredClone(object)).validate();
    return [];
  } catch (error) {
    const details = isRecord(error) && Array.isArray(error.errors) ? error.errors : [];
    const lines = details
      .filter(isRecord)
      .map((e) => `${String(e.instancePath) || '/'} ${String(e.message)}`);
    return lines.length > 0 ? lines : [error instanceof Error ? error.message : String(error)];
  }
}
