// strerror-style text for Node's error codes, so log lines, CONFIG errors and start-up
// failures read like Redis's (which prints strerror(errno)).

const MESSAGES: Record<string, string> = {
  ENOENT: "No such file or directory",
  EACCES: "Permission denied",
  EPERM: "Operation not permitted",
  EISDIR: "Is a directory",
  ENOTDIR: "Not a directory",
  ENOSPC: "No space left on device",
  EEXIST: "File exists",
  ENOTEMPTY: "Directory not empty",
  EROFS: "Read-only file system",
  EIO: "Input/output error",
  EBADF: "Bad file descriptor",
  EXDEV: "Invalid cross-device link",
  EMFILE: "Too many open files",
  ENAMETOOLONG: "File name too long",
  EDQUOT: "Disk quota exceeded",
  EFBIG: "File too large",
  ELOOP: "Too many levels of symbolic links",
  ENFILE: "Too many open files in system",
  EBUSY: "Device or resource busy",
  EINVAL: "Invalid argument",
  EADDRINUSE: "Address already in use",
  EADDRNOTAVAIL: "Cannot assign requested address",
  EAFNOSUPPORT: "Address family not supported by protocol",
  ECONNRESET: "Connection reset by peer",
  EPIPE: "Broken pipe",
  ETIMEDOUT: "Connection timed out",
};

export function errorText(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code !== undefined && MESSAGES[code] !== undefined) return MESSAGES[code]!;
  return error instanceof Error ? error.message : String(error);
}
