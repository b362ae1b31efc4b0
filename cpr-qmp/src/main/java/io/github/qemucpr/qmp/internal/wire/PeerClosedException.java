package io.github.qemucpr.qmp.internal.wire;

import java.io.IOException;

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
}
