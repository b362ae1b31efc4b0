package io.github.qemucpr.api.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * A QEMU process as {@code /proc/PID} shows it: its root (a chroot or container sees other files at
 * the same paths), its user and groups, its seccomp mode and command line. Paths are resolved in
 * that root by hand, since an absolute symbolic link under {@code /proc/PID/root} would otherwise
 * be followed in this process's root.
 */
final class QemuProcessView {
  private static final int MAX_LINKS = 40;

  private final long pid;
  private final Path proc;

  QemuProcessView(long pid) {
    this(pid, Path.of("/proc", Long.toString(pid)));
  }

  /** The process as {@code proc} shows it: {@code /proc/PID}, or a directory laid out like it. */
  QemuProcessView(long pid, Path proc) {
    this.pid = pid;
    this.proc = proc;
  }

  long pid() {
    return pid;
  }

  /** Whether the process exists (a zombie counts as gone). */
  static boolean isAlive(long pid) {
    return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false) && !isZombie(pid);
  }

  private static boolean isZombie(long pid) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
        if (line.startsWith("State:")) {
          return line.contains("Z");
        }
      }
    } catch (IOException e) {
      return false;
    }
    return false;
  }

  /** The process's root directory, as this process reaches it. */
  Path root() {
    return proc.resolve("root");
  }

  /** The program the process runs ({@code /proc/PID/exe}), to read it. */
  Path executable() {
    return proc.resolve("exe");
  }

  /** The lines of {@code /proc/PID/status}. */
  List<String> status() throws IOException {
    return Files.readAllLines(proc.resolve("status"), StandardCharsets.UTF_8);
  }

  /** A numeric field of {@code status}, such as the effective uid (field 1 of "Uid:"). */
  static long field(List<String> status, String name, int index) throws IOException {
    for (String line : status) {
      if (line.startsWith(name + ":")) {
        String[] parts = line.substring(name.length() + 1).trim().split("\\s+");
        if (parts.length > index && !parts[index].isEmpty()) {
          return Long.parseLong(parts[index]);
        }
      }
    }
    throw new IOException("no " + name + " in /proc status");
  }

  /** The supplementary groups. */
  static Set<Long> groups(List<String> status) {
    Set<Long> groups = new HashSet<>();
    for (String line : status) {
      if (line.startsWith("Groups:")) {
        for (String g : line.substring(7).trim().split("\\s+")) {
          if (!g.isEmpty()) {
            groups.add(Long.parseLong(g));
          }
        }
      }
    }
    return groups;
  }

  /** The command line, split at its NULs. */
  List<String> commandLine() throws IOException {
    byte[] raw = Files.readAllBytes(proc.resolve("cmdline"));
    List<String> args = new ArrayList<>();
    int start = 0;
    for (int i = 0; i < raw.length; i++) {
      if (raw[i] == 0) {
        args.add(new String(raw, start, i - start, StandardCharsets.UTF_8));
        start = i + 1;
      }
    }
    if (start < raw.length) {
      args.add(new String(raw, start, raw.length - start, StandardCharsets.UTF_8));
    }
    return args;
  }

  /**
   * The process's working directory as the process names it, inside its root. {@code /proc/PID/cwd}
   * and {@code /proc/PID/root} name their directories as this process sees them; the root's name
   * taken off the front of the working directory's leaves the process's own name.
   *
   * @throws IOException if either cannot be read (another user's process, or it exited), or the
   *     working directory is not under the root (the process left it)
   */
  String workingDirectory() throws IOException {
    String root = Files.readSymbolicLink(proc.resolve("root")).toString();
    String cwd = Files.readSymbolicLink(proc.resolve("cwd")).toString();
    if (root.equals("/")) {
      return cwd;
    }
    if (cwd.equals(root)) {
      return "/";
    }
    if (cwd.startsWith(root + "/")) {
      return cwd.substring(root.length());
    }
    throw new IOException(
        "the working directory of process " + pid + ", " + cwd + ", is not under its root " + root);
  }

  /**
   * Resolves a path as the process would: an absolute one from its root, a relative one from its
   * working directory, following every symbolic link on the way, absolute ones from its root.
   *
   * @return the path under {@link #root()}, or {@code null} if a component is missing
   * @throws IOException if the root or the working directory cannot be read, or links loop
   */
  @Nullable Path resolve(String path) throws IOException {
    return resolveInRoot(path.startsWith("/") ? path : workingDirectory() + "/" + path);
  }

  /**
   * Resolves an absolute path as the process would, inside its root: every symbolic link on the way
   * is followed, absolute ones from the process's root.
   *
   * @return the path under {@link #root()}, or {@code null} if a component is missing
   * @throws IOException if the root cannot be read (another user's process) or links loop
   */
  @Nullable Path resolveInRoot(String absolute) throws IOException {
    List<String> parts = resolvedParts(absolute);
    return parts == null ? null : under(root(), parts);
  }

  /**
   * The path as the process names it once every link is followed: absolute, inside its root, with
   * no link, {@code .} or {@code ..} left; as {@link #resolve}, {@code null} if a component is
   * missing.
   */
  @Nullable String canonicalPath(String path) throws IOException {
    List<String> parts =
        resolvedParts(path.startsWith("/") ? path : workingDirectory() + "/" + path);
    return parts == null ? null : "/" + String.join("/", parts);
  }

  /** The mounts the process sees, named inside its root ({@code /proc/PID/mountinfo}). */
  MountTable mounts() throws IOException {
    // Not readAllLines: the kernel writes names as they are, and one that is not UTF-8 (anyone's
    // FUSE mount on a directory named in Latin-1) would fail the whole table.
    return MountTable.parse(
        new String(Files.readAllBytes(proc.resolve("mountinfo")), StandardCharsets.UTF_8)
            .lines()
            .toList());
  }

  private @Nullable List<String> resolvedParts(String absolute) throws IOException {
    Path root = root();
    if (!Files.isDirectory(root)) {
      throw new NoSuchFileException(
          root.toString(),
          null,
          "cannot read the process's root (it exited, or belongs to another user)");
    }
    List<String> pending = new ArrayList<>(List.of(absolute.split("/")));
    List<String> done = new ArrayList<>();
    int links = 0;
    while (!pending.isEmpty()) {
      String part = pending.remove(0);
      if (part.isEmpty() || part.equals(".")) {
        continue;
      }
      if (part.equals("..")) {
        if (!done.isEmpty()) {
          done.remove(done.size() - 1);
        }
        continue;
      }
      done.add(part);
      Path here = under(root, done);
      if (!Files.exists(here, LinkOption.NOFOLLOW_LINKS)) {
        return null;
      }
      if (Files.isSymbolicLink(here)) {
        if (++links > MAX_LINKS) {
          throw new IOException("too many symbolic links in " + absolute);
        }
        String target = Files.readSymbolicLink(here).toString();
        done.remove(done.size() - 1);
        if (target.startsWith("/")) {
          done.clear();
        }
        List<String> next = new ArrayList<>(List.of(target.split("/")));
        next.addAll(pending);
        pending = next;
      }
    }
    return done;
  }

  private static Path under(Path root, List<String> parts) {
    Path p = root;
    for (String s : parts) {
      p = p.resolve(s);
    }
    return p;
  }
}
