export { describeValue } from './describe.js';
export { fieldPath } from './path.js';
export { type FieldError, fail, formatFieldError, formatFieldErrors, ok, type Result } from './result.js';
