package io.github.qemucpr.qmp.internal.wire;

import java.io.IOException;
import java.time.Duration;
import org.jspecify.annotations.Nullable;

/** A write outlived its limit, so the {@link LineChannel} was closed under it. */
public final class WriteTimeoutException extends IOException {
  private static final long serialVersionUID = 1L;

  private final Duration limit;

  /** For a write that did not end within {@code limit}; {@code cause} is how it ended, if known. */
  public WriteTimeoutException(Duration limit, @Nullable Throwable cause) {
    super("the peer took no more bytes for " + limit.toMillis() + " ms", cause);
    this.limit = limit;
  }

  /** The limit the write outlived. */
  public Duration limit() {
    return limit;
  }
}
