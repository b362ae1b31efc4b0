package io.github.qemucpr.qmp;

import java.util.List;

/**
 * The greeting QEMU sends when a client connects: {@code {"QMP": {"version": ..., "capabilities":
 * [...]}}}.
 *
 * @param version the QEMU version
 * @param packageName the distribution's package string, such as {@code Debian 1:10.0.2+ds-2}; may
 *     be empty
 * @param capabilities the capabilities the server offers, such as {@code oob}
 */
public record QmpGreeting(QemuVersion version, String packageName, List<String> capabilities) {

  /** Copies the list. */
  public QmpGreeting {
    capabilities = List.copyOf(capabilities);
  }

  /** Whether the server offers out-of-band execution. */
  public boolean offersOob() {
    return capabilities.contains("oob");
  }
}
