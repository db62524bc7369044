export const testIds = {
  appConfig: {
    container: 'data-testid ac-container',
    clickhouseAddress: 'data-testid ac-clickhouse-address',
    clickhouseDatabase: 'data-testid ac-clickhouse-database',
    clickhouseUser: 'data-testid ac-clickhouse-user',
    clickhousePassword: 'data-testid ac-clickhouse-password',
    submit: 'data-testid ac-submit-form',
  },
  incidents: {
    container: 'data-testid incidents-container',
    backendStatus: 'data-testid incidents-backend-status',
  },
};
