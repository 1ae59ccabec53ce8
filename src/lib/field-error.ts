/** One field at fault in a request: where (JSON pointer), what kind (a stable code), and why. */
export interface FieldError {
  readonly pointer: string;
  readonly code: string;
  readonly message: string;
}
