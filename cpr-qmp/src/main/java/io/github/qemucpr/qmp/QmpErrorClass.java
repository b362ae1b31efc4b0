package io.github.qemucpr.qmp;

/**
 * The {@code class} member of a QMP error reply. QEMU defines a handful; anything else maps to
 * {@link #UNKNOWN}, and the exact text stays available from {@link
 * QmpCommandException#errorClassName()}.
 */
public enum QmpErrorClass {
  /** {@code GenericError}: most errors. */
  GENERIC_ERROR("GenericError"),
  /** {@code CommandNotFound}: QEMU has no such command, or it is disabled. */
  COMMAND_NOT_FOUND("CommandNotFound"),
  /** {@code DeviceNotActive}. */
  DEVICE_NOT_ACTIVE("DeviceNotActive"),
  /** {@code DeviceNotFound}. */
  DEVICE_NOT_FOUND("DeviceNotFound"),
  /** {@code KVMMissingCap}. */
  KVM_MISSING_CAP("KVMMissingCap"),
  /** A class this SDK does not know; see {@link QmpCommandException#errorClassName()}. */
  UNKNOWN("");

  private final String wireName;

  QmpErrorClass(String wireName) {
    this.wireName = wireName;
  }

  /** The name QEMU uses, or the empty string for {@link #UNKNOWN}. */
  public String wireName() {
    return wireName;
  }

  /** Maps QEMU's name to a constant, {@link #UNKNOWN} when it is not one of the known ones. */
  public static QmpErrorClass fromWireName(String name) {
    for (QmpErrorClass c : values()) {
      if (c != UNKNOWN && c.wireName.equals(name)) {
        return c;
      }
    }
    return UNKNOWN;
  }
}
