/** Reading deploy/grafana and deploy/prometheus: the dashboards, the alert rules and their PromQL. */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { DEPLOY_DIR, isRecord } from './manifests.js';
import { substituteGrafanaMacros } from './promql.js';

export const GRAFANA_DIR = join(DEPLOY_DIR, 'grafana');
export const PROMETHEUS_DIR = join(DEPLOY_DIR, 'prometheus');

export interface Dashboard {
  readonly file: string;
  readonly json: Record<string, unknown>;
}

export interface PromqlSource {
  /** Where the expression is, for a person: `mesh-overview.json: panel "Success rate" A`. */
  readonly where: string;
  /** The expression with Grafana's macros replaced, ready to parse. */
  readonly expr: string;
}

export function readDashboards(): Dashboard[] {
  return readdirSync(GRAFANA_DIR)
    .filter((file) => file.endsWith('.json'))
    .sort()
    .map((file) => {
      const json: unknown = JSON.parse(readFileSync(join(GRAFANA_DIR, file), 'utf8'));
      if (!isRecord(json)) throw new Error(`${file}: not a JSON object`);
      return { file, json };
    });
}

export const records = (value: unknown): Record<string, unknown>[] =>
  Array.isArray(value) ? value.filter(isRecord) : [];

/** Panels, including those nested in collapsed rows. */
export function dashboardPanels(dashboard: Dashboard): Record<string, unknown>[] {
  return records(dashboard.json.panels).flatMap((panel) => [panel, ...records(panel.panels)]);
}

export function templateVariables(dashboard: Dashboard): Record<string, unknown>[] {
  const templating = dashboard.json.templating;
  return isRecord(templating) ? records(templating.list) : [];
}

/** Every PromQL expression of a dashboard: panel targets, and the series selectors of variable queries. */
export function dashboardPromql(dashboard: Dashboard): PromqlSource[] {
  const sources: PromqlSource[] = [];
  for (const panel of dashboardPanels(dashboard)) {
    for (const target of records(panel.targets)) {
      if (typeof target.expr !== 'string') continue;
      sources.push({
        where: `${dashboard.file}: panel "${String(panel.title)}" ${String(target.refId)}`,
        expr: substituteGrafanaMacros(target.expr),
      });
    }
  }
  for (const variable of templateVariables(dashboard)) {
    if (variable.type !== 'query') continue;
    const query = isRecord(variable.query) ? variable.query.query : variable.query;
    if (typeof query !== 'string') continue;
    const where = `${dashboard.file}: variable ${String(variable.name)}`;
    const labelValues = /^label_values\((.*),\s*[a-zA-Z_][a-zA-Z0-9_]*\)$/.exec(query.trim());
    const queryResult = /^query_result\((.*)\)$/.exec(query.trim());
    const expr = labelValues?.[1] ?? queryResult?.[1];
    if (expr === undefined) throw new Error(`${where}: unsupported variable query ${query}`);
    sources.push({ where, expr: substituteGrafanaMacros(expr) });
  }
  return sources;
}

export interface AlertRule {
  readonly group: string;
  readonly alert: string;
  readonly expr: string;
  readonly for?: string;
  readonly labels: Record<string, unknown>;
  readonly annotations: Record<string, unknown>;
}

export function readAlertRules(): AlertRule[] {
  const parsed: unknown = parse(readFileSync(join(PROMETHEUS_DIR, 'alerts.yaml'), 'utf8'));
  if (!isRecord(parsed)) throw new Error('alerts.yaml: not a mapping');
  return records(parsed.groups).flatMap((group) =>
    records(group.rules).map((rule) => {
      if (typeof rule.alert !== 'string' || typeof rule.expr !== 'string') {
        throw new Error(`alerts.yaml: group ${String(group.name)}: a rule without alert or expr`);
      }
      return {
        group: String(group.name),
        alert: rule.alert,
        expr: rule.expr,
        ...(typeof rule.for === 'string' ? { for: rule.for } : {}),
        labels: isRecord(rule.labels) ? rule.labels : {},
        annotations: isRecord(rule.annotations) ? rule.annotations : {},
      };
    }),
  );
}

export const alertPromql = (rules: readonly AlertRule[]): PromqlSource[] =>
  rules.map((rule) => ({ where: `alerts.yaml: ${rule.alert}`, expr: rule.expr }));
