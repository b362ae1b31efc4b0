package io.github.qemucpr.qmp.internal.wire;

import java.io.IOException;

/** A message grew past the configured limit before its newline arrived. */
public final class FrameTooLargeException extends IOException {
  private static final long serialVersionUID = 1L;

  /** Creates the exception for a limit of {@code limit} bytes. */
  public FrameTooLargeException(long limit) {
    super("a message exceeded the limit of " + limit + " bytes without ending");
  }
}
