package io.github.qemucpr.qmp;

import org.jspecify.annotations.Nullable;

/**
 * The root of every exception the QMP client throws. Unchecked, like the JDK's {@code
 * UncheckedIOException}: callers catch the subtype they can act on.
 *
 * <ul>
 *   <li>{@link QmpCommandException}: QEMU answered the command with an error;
 *   <li>{@link QmpTimeoutException}: no answer in time (the command may still take effect);
 *   <li>{@link QmpConnectionClosedException}: the connection is gone, or QEMU died;
 *   <li>{@link QmpProtocolException}: QEMU sent something that is not valid QMP;
 *   <li>{@link QmpInterruptedException}: the calling thread was interrupted while waiting;
 *   <li>{@link QmpConnectException}: the socket could not be opened;
 *   <li>{@link QmpEventsLostException}: an {@link EventQueue} was too far behind to hold more.
 * </ul>
 */
public class QmpException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** Creates an exception with a message and an optional cause. */
  public QmpException(String message, @Nullable Throwable cause) {
    super(message, cause);
  }

  /** Creates an exception with a message. */
  public QmpException(String message) {
    super(message);
  }
}
