// The Step Functions JSON 1.0 API, as the AWS SDKs call it: POST, a target header, a
// JSON body. The page uses nothing else, so it works against any Stepwise deployment.
import config from './config.js';

/** The API URL: `?endpoint=` in the page's address, else config.js, else this origin. */
export function endpoint() {
  const param = new URLSearchParams(location.search).get('endpoint');
  return param || config.endpoint || new URL('/', location.href).href;
}

/** An error answer: `type` is the AWS error name (`ExecutionDoesNotExist`). */
export class ApiError extends Error {
  constructor(type, message) {
    super(`${type}: ${message}`);
    this.type = type;
  }
}

/** One operation (`DescribeExecution`) with its request object. */
export async function call(operation, body = {}) {
  let response;
  try {
    response = await fetch(endpoint(), {
      method: 'POST',
      headers: {
        'Content-Type': 'application/x-amz-json-1.0',
        'X-Amz-Target': `AWSStepFunctions.${operation}`,
        ...(config.headers || {}),
      },
      body: JSON.stringify(body),
    });
  } catch (error) {
    throw new ApiError('NetworkError', `${operation} could not reach ${endpoint()} (${error.message})`);
  }
  const text = await response.text();
  let json;
  try {
    json = text ? JSON.parse(text) : {};
  } catch {
    throw new ApiError(`HTTP ${response.status}`, `${operation} answered with no JSON: ${text.slice(0, 200)}`);
  }
  if (!response.ok) {
    // AWS may qualify the name (`com.amazonaws.states#ExecutionDoesNotExist`).
    const type = String(json.__type || `HTTP ${response.status}`).split('#').pop();
    throw new ApiError(type, json.message || json.Message || text);
  }
  return json;
}

/** Every page of a listing, following `nextToken`, up to `limit` items. */
export async function all(operation, body, key, limit = 10000) {
  const items = [];
  let nextToken;
  do {
    const page = await call(operation, { ...body, ...(nextToken ? { nextToken } : {}) });
    items.push(...(page[key] || []));
    nextToken = page.nextToken;
  } while (nextToken && items.length < limit);
  return items;
}
