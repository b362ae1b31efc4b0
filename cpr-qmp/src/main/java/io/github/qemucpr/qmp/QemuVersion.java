package io.github.qemucpr.qmp;

/**
 * A QEMU version number, such as 10.0.2.
 *
 * @param major the major version
 * @param minor the minor version
 * @param micro the micro version
 */
public record QemuVersion(int major, int minor, int micro) implements Comparable<QemuVersion> {

  /** Whether this version is {@code major.minor} or newer. */
  public boolean isAtLeast(int major, int minor) {
    return compareTo(new QemuVersion(major, minor, 0)) >= 0;
  }

  @Override
  public int compareTo(QemuVersion other) {
    int c = Integer.compare(major, other.major);
    if (c == 0) {
      c = Integer.compare(minor, other.minor);
    }
    return c != 0 ? c : Integer.compare(micro, other.micro);
  }

  /** The dotted form, {@code 10.0.2}. */
  @Override
  public String toString() {
    return major + "." + minor + "." + micro;
  }
}
