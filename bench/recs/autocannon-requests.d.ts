// The part of autocannon's request-sequence API bench/recs uses (bench/api/autocannon.d.ts declares the rest).
import 'autocannon';

declare module 'autocannon' {
  export interface RequestParams {
    method?: string;
    path?: string;
    headers?: Record<string, string>;
    body?: string;
  }
  export interface Options {
    /** Requests each connection cycles through; `setupRequest` may rewrite one just before it is sent. */
    requests?: Array<RequestParams & { setupRequest?: (req: RequestParams, context: Record<string, unknown>) => RequestParams }>;
  }
}
