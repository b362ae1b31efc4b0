package io.github.qemucpr.qmp.command;

import io.github.qemucpr.qmp.QemuVersion;
import java.util.Objects;

/**
 * The reply to {@link QueryVersion}.
 *
 * @param qemu the QEMU version, such as 10.0.2
 * @param packageName the {@code package} member: the distribution's package string, such as {@code
 *     Debian 1:10.0.2+ds-2+deb13u1~bpo12+1}; empty for a QEMU built from source
 */
public record VersionInfo(QemuVersion qemu, String packageName) {
  /** Checks the components. */
  public VersionInfo {
    Objects.requireNonNull(qemu, "qemu");
    Objects.requireNonNull(packageName, "packageName");
  }
}
