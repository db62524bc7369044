import type { Severity } from '../types';

export const testIds = {
  appConfig: {
    container: 'data-testid ac-container',
    clickhouseAddress: 'data-testid ac-clickhouse-address',
    clickhouseDatabase: 'data-testid ac-clickhouse-database',
    clickhouseUser: 'data-testid ac-clickhouse-user',
    clickhousePassword: 'data-testid ac-clickhouse-password',
    clickhouseTls: 'data-testid ac-clickhouse-tls',
    clickhouseTlsSkipVerify: 'data-testid ac-clickhouse-tls-skip-verify',
    receiverUrl: 'data-testid ac-receiver-url',
    receiverApiToken: 'data-testid ac-receiver-api-token',
    sla: (severity: Severity, field: 'acknowledge' | 'contain') => `data-testid ac-sla-${severity}-${field}`,
    contactName: (severity: Severity, index: number) => `data-testid ac-escalation-${severity}-${index}-name`,
    contactRole: (severity: Severity, index: number) => `data-testid ac-escalation-${severity}-${index}-role`,
    contactRemove: (severity: Severity, index: number) => `data-testid ac-escalation-${severity}-${index}-remove`,
    contactAdd: (severity: Severity) => `data-testid ac-escalation-${severity}-add`,
    prometheusUrl: 'data-testid ac-prometheus-url',
    catalog: 'data-testid ac-containment-catalog',
    containmentSecret: (secretKey: string) => `data-testid ac-${secretKey}`,
    submit: 'data-testid ac-submit-form',
    validationSummary: 'data-testid ac-validation-summary',
    saveError: 'data-testid ac-save-error',
    health: 'data-testid ac-health',
  },
  incidents: {
    container: 'data-testid incidents-container',
    backendStatus: 'data-testid incidents-backend-status',
  },
};
