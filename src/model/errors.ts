// The one error type for a user's mistake: it names where (file, line, column) and what.
// The CLI prints it as one line and exits non-zero, never with a stack trace.

export interface SourcePosition {
  file: string;
  line: number; // 1-based
  column: number; // 1-based
}

export class InputError extends Error {
  readonly position: SourcePosition | undefined;
  readonly detail: string;

  constructor(detail: string, position?: SourcePosition) {
    super(position ? `${position.file}:${position.line}:${position.column}: ${detail}` : detail);
    this.name = 'InputError';
    this.detail = detail;
    this.position = position;
  }
}

/** Something accepted but worth telling the user about (e.g. a tolerated mistake). */
export interface InputWarning {
  message: string;
  position: SourcePosition;
}
