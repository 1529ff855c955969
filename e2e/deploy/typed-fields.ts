/**
 * Unknown and mistyped fields. The OpenAPI schemas allow fields they do not list, so a misspelt optional
 * field (`readOnlyRootFileSystem`) passes schema validation and the API server drops it silently. The
 * kubernetes-models type declarations are generated from the same schemas; assigning each object, as an
 * object literal, to its declared type lets the TypeScript compiler's excess-property check find them.
 */
import { join } from 'node:path';
import ts from 'typescript';
import { type KubeObject, objectKey, REPO_ROOT } from './manifests.js';

/** kind → the module and interface that declare it. */
const TYPES: Record<string, readonly [string, string]> = {
  'v1/Namespace': ['kubernetes-models/v1/Namespace', 'INamespace'],
  'v1/ConfigMap': ['kubernetes-models/v1/ConfigMap', 'IConfigMap'],
  'v1/Service': ['kubernetes-models/v1/Service', 'IService'],
  'v1/ServiceAccount': ['kubernetes-models/v1/ServiceAccount', 'IServiceAccount'],
  'apps/v1/Deployment': ['kubernetes-models/apps/v1/Deployment', 'IDeployment'],
  'apps/v1/DaemonSet': ['kubernetes-models/apps/v1/DaemonSet', 'IDaemonSet'],
  'batch/v1/Job': ['kubernetes-models/batch/v1/Job', 'IJob'],
  'networking.k8s.io/v1/NetworkPolicy': [
    'kubernetes-models/networking.k8s.io/v1/NetworkPolicy',
    'INetworkPolicy',
  ],
  'policy/v1/PodDisruptionBudget': [
    'kubernetes-models/policy/v1/PodDisruptionBudget',
    'IPodDisruptionBudget',
  ],
  'rbac.authorization.k8s.io/v1/ClusterRole': [
    'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRole',
    'IClusterRole',
  ],
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': [
    'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRoleBinding',
    'IClusterRoleBinding',
  ],
  'rbac.authorization.k8s.io/v1/Role': ['kubernetes-models/rbac.authorization.k8s.io/v1/Role', 'IRole'],
  'rbac.authorization.k8s.io/v1/RoleBinding': [
    'kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding',
    'IRoleBinding',
  ],
  'apiextensions.k8s.io/v1/CustomResourceDefinition': [
    'kubernetes-models/apiextensions.k8s.io/v1/CustomResourceDefinition',
    'ICustomResourceDefinition',
  ],
  'monitoring.coreos.com/v1/PodMonitor': [
    '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PodMonitor',
    'IPodMonitor',
  ],
};

/** Type errors of every object, each as `<object key>: <compiler message>`; empty when all fit their types. */
export function typedFieldErrors(objects: readonly KubeObject[]): string[] {
  const file = join(REPO_ROOT, 'e2e', 'deploy', '__typed-fields-check__.ts');
  const imports: string[] = [];
  const lines: string[] = [];
  const owners: string[] = [];
  const errors: string[] = [];
  objects.forEach((object, index) => {
    const type = TYPES[`${object.apiVersion}/${object.kind}`];
    if (type === undefined) {
      errors.push(`${objectKey(object)}: no type declaration for ${object.apiVersion} ${object.kind}`);
      return;
    }
    imports.push(`import type { ${type[1]} as T${index} } from '${type[0]}';`);
    lines.push(`export const o${index}: T${index} = ${JSON.stringify(object)};`);
    owners.push(objectKey(object));
  });
  const header = `${imports.join('\n')}\n`;
  const source = header + lines.join('\n');
  const options: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    types: [],
  };
  const host = ts.createCompilerHost(options);
  const readFile = host.readFile.bind(host);
  const fileExists = host.fileExists.bind(host);
  const getSourceFile = host.getSourceFile.bind(host);
  host.readFile = (name) => (name === file ? source : readFile(name));
  host.fileExists = (name) => name === file || fileExists(name);
  host.getSourceFile = (name, language, ...rest) =>
    name === file ? ts.createSourceFile(name, source, language) : getSourceFile(name, language, ...rest);
  const program = ts.createProgram([file], options, host);
  const firstLine = imports.length + 1;
  for (const diagnostic of ts.getPreEmitDiagnostics(program)) {
    const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, ' ');
    if (diagnostic.file?.fileName !== file || diagnostic.start === undefined) {
      errors.push(`compiler: ${message}`);
      continue;
    }
    const { line } = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start);
    const owner = owners[line + 1 - firstLine] ?? `line ${line + 1}`;
    const near = source.slice(diagnostic.start, diagnostic.start + 40);
    errors.push(`${owner}: ${message} (at ${near})`);
  }
  return errors;
}
