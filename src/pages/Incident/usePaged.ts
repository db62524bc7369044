import { useCallback, useEffect, useRef, useState } from 'react';
import { ApiError, toApiError } from '../../api/client';

export interface Page<T> {
  items: T[];
  next: string; // "" when there is no more
}

// usePaged holds a list read a page at a time with the API's cursors: the first page (given, or fetched when first is
// undefined), then more on loadMore. A new resetKey (another filter, the incident changed) starts it over.
export function usePaged<T>(
  resetKey: string,
  first: Page<T> | undefined,
  fetchPage: (cursor: string) => Promise<Page<T>>
) {
  const [state, setState] = useState<{ key: string; items: T[]; next: string; loading: boolean; error?: ApiError }>(
    () => ({
      key: resetKey,
      items: first?.items ?? [],
      next: first?.next ?? '',
      loading: !first,
    })
  );
  const fetchRef = useRef(fetchPage);
  useEffect(() => {
    fetchRef.current = fetchPage;
  });
  if (state.key !== resetKey) {
    setState({ key: resetKey, items: first?.items ?? [], next: first?.next ?? '', loading: !first });
  }

  const load = useCallback((cursor: string, key: string) => {
    fetchRef
      .current(cursor)
      .then((p) =>
        setState((s) =>
          s.key === key ? { key, items: cursor ? [...s.items, ...p.items] : p.items, next: p.next, loading: false } : s
        )
      )
      .catch((err) => setState((s) => (s.key === key ? { ...s, loading: false, error: toApiError(err) } : s)));
  }, []);

  const needsFirst = state.key === resetKey && state.loading && state.items.length === 0 && !state.error;
  useEffect(() => {
    if (needsFirst) {
      load('', resetKey);
    }
  }, [needsFirst, resetKey, load]);

  // The fetch starts here, not in a state updater (React may run those twice).
  const current = useRef(state);
  useEffect(() => {
    current.current = state;
  });
  const loadMore = useCallback(() => {
    const s = current.current;
    if (s.loading || !s.next) {
      return;
    }
    current.current = { ...s, loading: true };
    setState((prev) => (prev.key === s.key ? { ...prev, loading: true } : prev));
    load(s.next, s.key);
  }, [load]);

  return { items: state.items, hasMore: state.next !== '', loading: state.loading, error: state.error, loadMore };
}
