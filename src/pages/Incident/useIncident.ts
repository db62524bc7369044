import { useCallback, useEffect, useRef, useState } from 'react';
import { api, ApiError, toApiError } from '../../api/client';
import type { IncidentDetail } from '../../api/types';

export type IncidentLoad =
  | { state: 'loading' }
  | { state: 'done'; detail: IncidentDetail }
  | { state: 'error'; error: ApiError; detail?: IncidentDetail };

// useIncident loads one incident and reloads it on demand (after a change) and every refreshMs.
export function useIncident(id: string, refreshMs = 15000) {
  const [load, setLoad] = useState<IncidentLoad>({ state: 'loading' });
  const last = useRef<IncidentDetail>();
  const [tick, setTick] = useState(0);
  const reload = useCallback(() => setTick((n) => n + 1), []);

  useEffect(() => {
    let current = true;
    api
      .getIncident(id)
      .then((detail) => {
        if (current) {
          last.current = detail;
          setLoad({ state: 'done', detail });
        }
      })
      .catch((err) => current && setLoad({ state: 'error', error: toApiError(err), detail: last.current }));
    return () => {
      current = false;
    };
  }, [id, tick]);

  useEffect(() => {
    const t = setInterval(reload, refreshMs);
    return () => clearInterval(t);
  }, [reload, refreshMs]);

  return { load, reload };
}
