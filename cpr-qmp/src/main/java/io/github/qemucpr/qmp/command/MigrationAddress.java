package io.github.qemucpr.qmp.command;

import java.nio.file.Path;
import java.util.Objects;

/**
 * Where a migration channel reads or writes: the {@code addr} member of a {@link MigrationChannel}.
 */
public sealed interface MigrationAddress
    permits MigrationAddress.FileAddress, MigrationAddress.UnixSocketAddress {

  /** A file, from offset 0. */
  static FileAddress file(Path file) {
    Objects.requireNonNull(file, "file");
    return new FileAddress(file.toString(), 0);
  }

  /**
   * A file name and an offset: a path, or {@code /dev/fdset/N} for a descriptor passed with {@link
   * AddFd}.
   */
  static FileAddress file(String filename, long offset) {
    return new FileAddress(filename, offset);
  }

  /** A Unix socket. */
  static UnixSocketAddress unixSocket(Path path) {
    Objects.requireNonNull(path, "path");
    return new UnixSocketAddress(path.toString());
  }

  /**
   * A file: {@code {"transport": "file", "filename": ..., "offset": ...}}.
   *
   * @param filename the file's path, or {@code /dev/fdset/N}
   * @param offset where the stream starts in the file, in bytes
   */
  record FileAddress(String filename, long offset) implements MigrationAddress {
    /** Checks the components. */
    public FileAddress {
      Objects.requireNonNull(filename, "filename");
      if (filename.isEmpty()) {
        throw new IllegalArgumentException("filename must not be empty");
      }
      if (offset < 0) {
        throw new IllegalArgumentException("offset must not be negative: " + offset);
      }
    }
  }

  /**
   * A Unix socket: {@code {"transport": "socket", "type": "unix", "path": ...}}.
   *
   * @param path the socket's path
   */
  record UnixSocketAddress(String path) implements MigrationAddress {
    /** Checks the path. */
    public UnixSocketAddress {
      Objects.requireNonNull(path, "path");
      if (path.isEmpty()) {
        throw new IllegalArgumentException("path must not be empty");
      }
    }
  }
}
