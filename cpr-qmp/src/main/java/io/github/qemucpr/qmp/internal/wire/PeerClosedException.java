package io.github.qemucpr.qmp.internal.wire;

import java.io.IOException;
import java.net.SocketException;
import org.jspecify.annotations.Nullable;
import org.newsclub.net.unix.ConnectionResetSocketException;

/**
 * A write failed because the peer closed its end of the connection (EPIPE or ECONNRESET): the peer
 * ended the connection, not this side.
 */
public final class PeerClosedException extends IOException {
  private static final long serialVersionUID = 1L;

  /** Wraps the transport's own report of the closed peer. */
  public PeerClosedException(String message, IOException cause) {
    super(message, cause);
  }

  /**
   * Whether a read failed because the peer closed its end while a request it had not read was still
   * queued for it: the kernel then ends the stream with ECONNRESET instead of an end of stream,
   * after everything the peer had sent (a Unix socket delivers what is queued before the error).
   */
  public static boolean isReset(@Nullable Throwable failure) {
    if (failure instanceof ConnectionResetSocketException) {
      return true;
    }
    return failure instanceof SocketException e
        && !(failure instanceof PeerClosedException)
        && String.valueOf(e.getMessage()).startsWith("Connection reset");
  }
}
