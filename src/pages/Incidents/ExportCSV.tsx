import React, { useState } from 'react';
import { Button } from '@grafana/ui';
import { api, ApiError, toApiError } from '../../api/client';
import { ApiErrorAlert } from '../../components/ApiErrorAlert/ApiErrorAlert';
import { saveFile } from '../../utils/saveFile';
import { resolveRange } from '../../utils/timeRange';

// ExportCSV downloads the incidents declared in the queue's time range (resolved when clicked: "now-7d" means the
// last seven days at that moment) as CSV, drills included when the queue shows them.
export function ExportCSV({ from, to, drills }: { from: string; to: string; drills: boolean }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError>();
  const run = async () => {
    setBusy(true);
    setError(undefined);
    try {
      const r = resolveRange(from, to);
      saveFile(await api.exportIncidentsCSV(String(r.from.valueOf()), String(r.to.valueOf()), drills));
    } catch (err) {
      setError(toApiError(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <Button variant="secondary" icon={busy ? 'spinner' : 'download-alt'} disabled={busy} onClick={run}>
        Export CSV
      </Button>
      {error && <ApiErrorAlert error={error} title="The export failed" onRemove={() => setError(undefined)} />}
    </>
  );
}
