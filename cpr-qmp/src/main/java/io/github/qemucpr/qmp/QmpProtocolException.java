package io.github.qemucpr.qmp;

import org.jspecify.annotations.Nullable;

/**
 * The peer broke the protocol: malformed JSON, a message over the size limit, a greeting that is
 * not QMP, or a reply whose shape does not fit the command. When the stream itself is broken the
 * connection is closed, and pending calls see this exception as the cause of a {@link
 * QmpConnectionClosedException}.
 */
public final class QmpProtocolException extends QmpException {
  private static final long serialVersionUID = 1L;

  /** Creates the exception. */
  public QmpProtocolException(String message, @Nullable Throwable cause) {
    super(message, cause);
  }
}
