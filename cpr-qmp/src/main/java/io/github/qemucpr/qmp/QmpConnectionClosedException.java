package io.github.qemucpr.qmp;

import org.jspecify.annotations.Nullable;

/**
 * The connection is closed: the client was closed, the socket broke, or QEMU exited. Every call
 * pending at that moment fails with this exception at once, and so does every later call.
 */
public final class QmpConnectionClosedException extends QmpException {
  private static final long serialVersionUID = 1L;

  private final boolean closedByQemu;

  /** Creates the exception with the reason the connection closed, on the client's side. */
  public QmpConnectionClosedException(String message, @Nullable Throwable cause) {
    this(message, cause, false);
  }

  /**
   * Creates the exception with the reason the connection closed.
   *
   * @param closedByQemu whether QEMU ended the connection (see {@link #closedByQemu()})
   */
  public QmpConnectionClosedException(
      String message, @Nullable Throwable cause, boolean closedByQemu) {
    super(message, cause);
    this.closedByQemu = closedByQemu;
  }

  /**
   * Whether QEMU ended the connection (the stream ended, or a request met QEMU's end closed, as
   * when QEMU exits or closes its monitor), rather than the client: closed by its caller, or by
   * itself after a protocol error, a message over the limit or a request QEMU did not read in time.
   * When the client closed, QEMU may still be running and still migrating. When a request met
   * QEMU's end closed before the reader met the end of the stream, events QEMU sent in its last
   * moment may not have been read.
   */
  public boolean closedByQemu() {
    return closedByQemu;
  }
}
