package io.github.qemucpr.qmp.command;

import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * An fd set, from {@link QueryFdsets}.
 *
 * @param fdsetId the set's id
 * @param fds the descriptors in it
 */
public record FdsetInfo(long fdsetId, List<Fd> fds) {
  /** Copies the list; an absent list becomes empty. */
  public FdsetInfo {
    fds = fds == null ? List.of() : List.copyOf(fds);
  }

  /**
   * A descriptor in an fd set.
   *
   * @param fd the descriptor's number inside QEMU
   * @param opaque the note given to {@link AddFd}, if any
   */
  public record Fd(long fd, @Nullable String opaque) {}
}
