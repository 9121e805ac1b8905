// The console's settings for a deployment: replace this file next to the other files.
// `endpoint`: the Step Functions API URL ('' = this page's origin, as under
// `stepwise serve`); a `?endpoint=URL` parameter in the page's address wins over it.
// `headers`: extra headers sent with every API request (an Authorization token for an
// API behind an authorizer, say).
export default {
  endpoint: '',
  headers: {},
};
