package io.github.qemucpr.qmp.command;

/**
 * The reply to {@link AddFd}.
 *
 * @param fdsetId the set the descriptor went into
 * @param fd the descriptor's number inside QEMU
 */
public record AddFdInfo(long fdsetId, long fd) {
  /** The file name that opens this set, {@code /dev/fdset/N}. */
  public String path() {
    return "/dev/fdset/" + fdsetId;
  }
}
