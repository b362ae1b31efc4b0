package io.github.qemucpr.qga.command;

import java.util.Objects;

/**
 * The reply to {@link GuestGetHostName}.
 *
 * @param hostName the guest's host name; not necessarily fully qualified ({@code (none)} when the
 *     guest never set one)
 */
public record HostName(String hostName) {
  /** Checks the name. */
  public HostName {
    Objects.requireNonNull(hostName, "hostName");
  }
}
