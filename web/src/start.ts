import { QueryClient } from '@tanstack/react-query';
import { isApiError } from './api';
import { boot } from './boot';

/**
 * The query cache, and the start-up requests (boot.ts). main.tsx imports this module before React
 * DOM, so the session, page chunk and page data requests leave before React DOM is evaluated.
 */
export const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      // Do not hammer the server on answers that will not change by retrying.
      retry: (count, error) => !(isApiError(error) && error.status >= 400 && error.status < 500) && count < 2,
      refetchOnWindowFocus: false,
      staleTime: 30_000,
    },
  },
});

boot(queryClient);
