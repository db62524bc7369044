import { useCallback, useState } from 'react';
import { ApiError, toApiError } from '../api/client';

// useAction runs one change at a time: busy while it runs, the server's refusal kept as error (what the user typed
// stays where it is), then onSettled (a reload) either way.
export function useAction(onSettled?: () => void) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError>();
  const run = useCallback(
    async <T>(change: () => Promise<T>): Promise<T | undefined> => {
      setBusy(true);
      setError(undefined);
      try {
        return await change();
      } catch (err) {
        setError(toApiError(err));
        return undefined;
      } finally {
        setBusy(false);
        onSettled?.();
      }
    },
    [onSettled]
  );
  return { run, busy, error, clearError: useCallback(() => setError(undefined), []) };
}
