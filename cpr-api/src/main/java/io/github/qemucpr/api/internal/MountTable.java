package io.github.qemucpr.api.internal;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * A process's mounts, as its {@code /proc/PID/mountinfo} lists them: mount points named inside the
 * process's root, in the order they were mounted, so that of two mounts on one point the later is
 * the one on top. Lines that do not parse are skipped.
 */
final class MountTable {

  /**
   * One mount.
   *
   * @param mountPoint where it is mounted, inside the process's root
   * @param options its per-mount options, such as {@code noexec}
   * @param fsType its file system type, such as {@code tmpfs}
   * @param source what is mounted, such as {@code /dev/sda1}
   */
  record Mount(String mountPoint, Set<String> options, String fsType, String source) {
    boolean noexec() {
      return options.contains("noexec");
    }
  }

  private final List<Mount> mounts;

  private MountTable(List<Mount> mounts) {
    this.mounts = mounts;
  }

  /** Reads the lines of a {@code mountinfo} file (see proc(5)). */
  static MountTable parse(List<String> lines) {
    List<Mount> mounts = new ArrayList<>();
    for (String line : lines) {
      // ID PARENT MAJ:MIN ROOT MOUNT-POINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPER-OPTIONS
      String[] f = line.trim().split(" ");
      int separator = -1;
      for (int i = 6; i < f.length; i++) {
        if (f[i].equals("-")) {
          separator = i;
          break;
        }
      }
      if (separator < 0 || separator + 2 >= f.length || !f[4].startsWith("/")) {
        continue;
      }
      mounts.add(
          new Mount(
              unescape(f[4]),
              Set.of(f[5].split(",")),
              unescape(f[separator + 1]),
              unescape(f[separator + 2])));
    }
    return new MountTable(List.copyOf(mounts));
  }

  /** The mounts, in order. */
  List<Mount> mounts() {
    return mounts;
  }

  /**
   * The mount that holds {@code path}, an absolute path without links, {@code .} or {@code ..}: the
   * one with the longest mount point above it among those still visible, the last of those on the
   * same point; {@code null} if none is listed. A mount hides those listed before it on its own
   * point or below it (a noexec {@code /opt} mounted after {@code /opt/qemu} covers it), though
   * mountinfo still lists them.
   */
  @Nullable Mount containing(String path) {
    List<Mount> visible = new ArrayList<>();
    for (Mount m : mounts) {
      String point = m.mountPoint();
      visible.removeIf(v -> isAt(point, v.mountPoint()));
      visible.add(m);
    }
    Mount best = null;
    for (Mount m : visible) {
      String point = m.mountPoint();
      if (isAt(point, path) && (best == null || point.length() >= best.mountPoint().length())) {
        best = m;
      }
    }
    return best;
  }

  /** Whether {@code path} is {@code point} or below it. */
  private static boolean isAt(String point, String path) {
    return point.equals("/")
        || path.equals(point)
        || (path.startsWith(point) && path.charAt(point.length()) == '/');
  }

  /** The kernel writes a space, tab, newline and backslash in a name as {@code \ooo}. */
  static String unescape(String field) {
    if (field.indexOf('\\') < 0) {
      return field;
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] in = field.getBytes(StandardCharsets.UTF_8);
    for (int i = 0; i < in.length; i++) {
      if (in[i] == '\\'
          && i + 3 < in.length
          && isOctal(in[i + 1])
          && isOctal(in[i + 2])
          && isOctal(in[i + 3])) {
        out.write(((in[i + 1] - '0') << 6) | ((in[i + 2] - '0') << 3) | (in[i + 3] - '0'));
        i += 3;
      } else {
        out.write(in[i]);
      }
    }
    return out.toString(StandardCharsets.UTF_8);
  }

  private static boolean isOctal(byte b) {
    return b >= '0' && b <= '7';
  }
}
