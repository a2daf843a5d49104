import { STATUS_CODES } from 'node:http';

/** The one JSON shape of every error answer: status, its standard reason phrase, messages and the request id. */
export interface ErrorBody {
  statusCode: number;
  error: string;
  message: string[];
  request_id: string;
  [extra: string]: unknown;
}

export const reasonPhrase = (status: number): string =>
  STATUS_CODES[status] ?? (status < 500 ? 'Client Error' : 'Server Error');

export function errorBody(
  status: number,
  message: string | string[],
  requestId: string,
  extra: Record<string, unknown> = {},
): ErrorBody {
  return {
    ...extra,
    statusCode: status,
    error: reasonPhrase(status),
    message: Array.isArray(message) ? message : [message],
    request_id: requestId,
  };
}
