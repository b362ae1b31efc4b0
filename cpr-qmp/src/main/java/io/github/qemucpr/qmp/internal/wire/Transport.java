package io.github.qemucpr.qmp.internal.wire;

import java.io.Closeable;
import java.io.FileDescriptor;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;

/**
 * A connected byte stream to QEMU. Reads come from one thread (the reader); writes may come from
 * many, so {@link #write} is synchronized by the implementations.
 */
public interface Transport extends Closeable {

  /** The stream the reader thread consumes. */
  InputStream input();

  /**
   * Writes {@code bytes} in one go, sending {@code fds} with them as SCM_RIGHTS ancillary data.
   *
   * @throws UnsupportedOperationException if descriptors are given and the transport cannot pass
   *     them
   */
  void write(byte[] bytes, List<FileDescriptor> fds) throws IOException;

  /** Whether {@link #write} can pass file descriptors (Unix sockets only). */
  boolean canPassFileDescriptors();

  /**
   * The process id of the peer, from the socket's peer credentials ({@code SO_PEERCRED}), when the
   * transport has them: Unix sockets only.
   */
  default java.util.OptionalLong peerProcessId() {
    return java.util.OptionalLong.empty();
  }

  /** A short description of the peer for messages, such as the socket path. */
  String describe();

  /** Closes the stream; idempotent, and it unblocks a reader that waits in {@link #input()}. */
  @Override
  void close();
}
