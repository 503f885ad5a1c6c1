/**
 * Logger port. Lower layers report warnings (Go's logrus messages, same texts) through it;
 * only src/cli implements it (stderr, levels from -v / -D).
 */
export interface Logger {
  error(msg: string): void;
  warn(msg: string): void;
  info(msg: string): void;
  debug(msg: string): void;
}

export const silentLogger: Logger = {
  error() {},
  warn() {},
  info() {},
  debug() {},
};
