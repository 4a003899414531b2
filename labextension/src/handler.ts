import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

/** Where the server extension's REST API lives, relative to the server's base URL. */
export const API_NAMESPACE = 'binder/api';

/**
 * A failed call to the Binder REST API.
 *
 * The server answers errors as `{error, message, ...details}`; `message` is written for
 * the user and is shown as is, `details` carries whatever else the server added
 * (missing scopes, problems of a `.resources` file, git's own output...).
 */
export class BinderAPIError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code: string,
    readonly details: Record<string, any> = {}
  ) {
    super(message);
    this.name = 'BinderAPIError';
  }
}

/** The Headers of the last answer; a few endpoints carry an ETag. */
export interface IResponseWithHeaders<T> {
  data: T;
  headers: Headers;
}

/**
 * Call `binder/api/<endPoint>` and return the answer's JSON together with its headers.
 *
 * Any non-2xx answer becomes a `BinderAPIError` with the server's own message; a network
 * failure or a non-JSON answer (e.g. a proxy's HTML error page) becomes one as well, so
 * the UI has one kind of error to render.
 */
export async function requestAPIWithHeaders<T>(
  endPoint = '',
  init: RequestInit = {},
  settings: ServerConnection.ISettings = ServerConnection.makeSettings()
): Promise<IResponseWithHeaders<T>> {
  const url = URLExt.join(settings.baseUrl, API_NAMESPACE, endPoint);
  let response: Response;
  try {
    response = await ServerConnection.makeRequest(url, init, settings);
  } catch (error) {
    throw new BinderAPIError(
      `Could not reach the Jupyter server: ${(error as Error).message ?? error}`,
      0,
      'network_error'
    );
  }
  const text = await response.text();
  let data: any = null;
  if (text.length > 0) {
    try {
      data = JSON.parse(text);
    } catch (error) {
      data = null;
    }
  }
  if (!response.ok) {
    if (data && typeof data === 'object' && typeof data.message === 'string') {
      const { error, message, ...details } = data;
      throw new BinderAPIError(
        message,
        response.status,
        typeof error === 'string' ? error : 'error',
        details
      );
    }
    const reason = response.statusText || 'error';
    throw new BinderAPIError(
      `The server answered ${response.status} ${reason} for ${API_NAMESPACE}/${endPoint}.`,
      response.status,
      'http_error'
    );
  }
  if (text.length > 0 && data === null) {
    throw new BinderAPIError(
      `The server's answer for ${API_NAMESPACE}/${endPoint} is not JSON.`,
      response.status,
      'bad_answer'
    );
  }
  return { data: data as T, headers: response.headers };
}

/** Call `binder/api/<endPoint>` and return the answer's JSON. */
export async function requestAPI<T>(
  endPoint = '',
  init: RequestInit = {},
  settings?: ServerConnection.ISettings
): Promise<T> {
  const { data } = await requestAPIWithHeaders<T>(endPoint, init, settings);
  return data;
}

/** A JSON body for POST / PUT requests. */
export function jsonBody(
  method: string,
  body: unknown,
  headers: Record<string, string> = {}
): RequestInit {
  return {
    method,
    body: JSON.stringify(body ?? {}),
    headers: { 'Content-Type': 'application/json', ...headers }
  };
}
