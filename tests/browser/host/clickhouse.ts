// A stand-in for the frontend of the ClickHouse data source (grafana-clickhouse-datasource v4, not on npm): its
// queries go to /api/ds/query (answered by server.mjs's TEST DOUBLE of the data source's backend, which expands the
// macros), after the frontend's own pass, as the plugin does it: $__conditionalAll(condition, $var) becomes the
// condition, or 1=1 when the variable is All or empty, then Grafana's template variables, a multi-value one as its
// values quoted and joined ('a','b'), unless the reference names a format (${var:singlequote}, which the dashboards
// use: Grafana's formatter then escapes quotes). pkg/dashboards/macros.go documents the same forms for the tests in Go.
import { DataQuery, DataSourceInstanceSettings, MetricFindValue, ScopedVars } from '@grafana/data';
import { DataSourceWithBackend, getBackendSrv, getTemplateSrv } from '@grafana/runtime';
import { sceneGraph, SceneObject } from '@grafana/scenes';
import { lastValueFrom } from 'rxjs';
import { macroArgs } from './macro-args.mjs';

export interface CHQuery extends DataQuery {
  rawSql?: string;
  format?: number;
}

// The data source's format of a variable's value.
const format = (value: unknown) => (Array.isArray(value) ? `'${value.join("','")}'` : String(value));

export class ClickHouseStandIn extends DataSourceWithBackend<CHQuery> {
  constructor(settings: DataSourceInstanceSettings) {
    super(settings);
    this.annotations = {}; // standard annotation support: the annotation's target is a query like a panel's
  }

  applyTemplateVariables(query: CHQuery, scopedVars: ScopedVars): CHQuery {
    const sql = conditionalAll(
      query.rawSql ?? '',
      scopedVars.__sceneObject?.value?.valueOf() as SceneObject | undefined
    );
    return { ...query, rawSql: getTemplateSrv().replace(sql, scopedVars, format) };
  }

  // A query variable's values: the first column of its query's rows.
  async metricFindQuery(query: string, options?: { scopedVars?: ScopedVars }): Promise<MetricFindValue[]> {
    const target = this.applyTemplateVariables({ refId: 'var', rawSql: query, format: 1 }, options?.scopedVars ?? {});
    const res = await lastValueFrom(
      getBackendSrv().fetch<{ results: Record<string, { frames?: Array<{ data: { values: unknown[][] } }> }> }>({
        url: '/api/ds/query',
        method: 'POST',
        data: { queries: [{ ...target, datasource: { uid: this.uid, type: this.type } }], from: '0', to: '0' },
      })
    );
    const values = res.data.results.var?.frames?.[0]?.data.values[0] ?? [];
    return values.map((v) => ({ text: String(v), value: String(v) }));
  }
}

const MACRO = '$__conditionalAll(';

function conditionalAll(sql: string, scene: SceneObject | undefined): string {
  for (let i = sql.lastIndexOf(MACRO); i >= 0; i = sql.lastIndexOf(MACRO)) {
    const { args, end } = macroArgs(sql, i + MACRO.length - 1);
    const ref = args[1]?.match(/^\$\{?(\w+)\}?$/)?.[1];
    if (args.length !== 2 || !ref) {
      throw new Error(`$__conditionalAll at ${i}: want (condition, $variable), got (${args.join(', ')})`);
    }
    const variable = scene && sceneGraph.lookupVariable(ref, scene);
    if (!variable) {
      throw new Error(`$__conditionalAll at ${i}: unknown variable ${args[1]}`);
    }
    const value = [(variable.state as { value?: unknown }).value].flat();
    const all = value.includes('$__all') || value.join('') === '';
    sql = sql.slice(0, i) + (all ? '1=1' : args[0]) + sql.slice(end);
  }
  return sql;
}
