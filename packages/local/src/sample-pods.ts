/**
 * The sample application of local mode: the bookstore (two versions behind a TrafficSplit), the bookbuyer
 * that calls it, the bookthief that TrafficTargets keep out, and a TCP and a UDP echo service. Each pod is a
 * process bound to its own 127.20.x address; local mode registers it through the API with its status set
 * (there is no kubelet), so the EndpointSlice controller and the node-proxy see it as on a real cluster.
 * bookstore-v2 is on the second node, so bookbuyer's calls to it go through the mTLS tunnel; every other pod,
 * the callers first, is on the first node, whose node-proxy local mode's kube-proxy stand-in forwards to.
 */
export interface SamplePod {
  readonly name: string;
  readonly ip: string;
  readonly serviceAccount: string;
  /** The node it runs on. */
  readonly nodeName: string;
  readonly labels: Readonly<Record<string, string>>;
  /** The sample program under src/samples/, without extension. */
  readonly program: 'bookstore' | 'book-caller' | 'tcp-echo' | 'udp-echo';
  readonly containerPort?: { readonly port: number; readonly protocol: 'TCP' | 'UDP' };
  readonly env: Readonly<Record<string, string>>;
}

/** The names of local mode's two nodes. */
export interface SampleNodes {
  readonly first: string;
  readonly second: string;
}

export function samplePods(meshDns: string, podPrefix: string, nodes: SampleNodes): readonly SamplePod[] {
  const caller = (name: string, ip: string): SamplePod => ({
    name,
    ip,
    serviceAccount: name,
    nodeName: nodes.first,
    labels: { app: name },
    program: 'book-caller',
    env: { NAME: name, TARGET: 'bookstore.default.mesh:8080', MESH_DNS: meshDns, INTERVAL_MS: '250' },
  });
  const store = (version: string, ip: string, nodeName: string): SamplePod => ({
    name: `bookstore-${version}`,
    ip,
    serviceAccount: 'bookstore',
    nodeName,
    labels: { app: 'bookstore', version },
    program: 'bookstore',
    containerPort: { port: 8080, protocol: 'TCP' },
    env: { PORT: '8080', STORE: `bookstore-${version}` },
  });
  return [
    store('v1', `${podPrefix}.11`, nodes.first),
    store('v2', `${podPrefix}.12`, nodes.second),
    caller('bookbuyer', `${podPrefix}.21`),
    caller('bookthief', `${podPrefix}.22`),
    {
      name: 'tcp-echo',
      ip: `${podPrefix}.31`,
      serviceAccount: 'echo',
      nodeName: nodes.first,
      labels: { app: 'tcp-echo' },
      program: 'tcp-echo',
      containerPort: { port: 7000, protocol: 'TCP' },
      env: { PORT: '7000' },
    },
    {
      name: 'udp-echo',
      ip: `${podPrefix}.32`,
      serviceAccount: 'echo',
      nodeName: nodes.first,
      labels: { app: 'udp-echo' },
      program: 'udp-echo',
      containerPort: { port: 7001, protocol: 'UDP' },
      env: { PORT: '7001' },
    },
  ];
}

/** The Pod object local mode creates for a sample pod: running and ready on its node. */
export function podManifest(pod: SamplePod, now: Date): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: pod.name, namespace: 'default', labels: pod.labels },
    spec: {
      nodeName: pod.nodeName,
      serviceAccountName: pod.serviceAccount,
      containers: [
        {
          name: pod.program,
          image: `nodemesh-sample/${pod.program}`,
          ...(pod.containerPort === undefined
            ? {}
            : { ports: [{ containerPort: pod.containerPort.port, protocol: pod.containerPort.protocol }] }),
        },
      ],
    },
    status: {
      phase: 'Running',
      podIP: pod.ip,
      podIPs: [{ ip: pod.ip }],
      conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: now.toISOString() }],
    },
  };
}
