package io.github.qemucpr.api.internal;

import io.github.qemucpr.api.PreflightCode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * Whether QEMU's process could execute the new binary, as the kernel decides it there: the file in
 * QEMU's root, its mode for QEMU's user, and what the kernel reads of it first. A {@code #!} script
 * needs its interpreter (resolved the same way, up to the kernel's five nested interpreters); a
 * dynamically linked ELF program needs its loader, the {@code PT_INTERP} path. A file that is
 * neither the kernel refuses ({@code ENOEXEC}), and QEMU's {@code execvp} (glibc) then runs it as a
 * {@code /bin/sh} script, which is no QEMU: that is an error too. Every read is bounded, and a
 * malformed file is a finding, never an exception.
 */
final class ExecutableCheck {
  /** The kernel runs at most this many nested interpreters ({@code exec_binprm}: depth > 5). */
  static final int MAX_INTERPRETERS = 5;

  /** What the kernel reads of a file to tell its format ({@code BINPRM_BUF_SIZE}). */
  private static final int BINPRM_BUF_SIZE = 256;

  /** The kernel's bound on the program headers ({@code elf_read_phdrs}). */
  private static final int MAX_PROGRAM_HEADERS_BYTES = 65536;

  /** The kernel's bound on the loader's path ({@code PATH_MAX}). */
  private static final int PATH_MAX = 4096;

  private static final int PT_INTERP = 3;
  private static final int ET_EXEC = 2;
  private static final int ET_DYN = 3;
  private static final int S_IXUSR = 0100;
  private static final int S_IXGRP = 010;
  private static final int S_IXOTH = 01;
  private static final int S_IRUSR = 0400;
  private static final int S_IRGRP = 040;
  private static final int S_IROTH = 04;

  private final QemuProcessView process;
  private final PreflightItems found;
  private final String binary;
  private @Nullable User user;
  private @Nullable MountTable mounts;
  private @Nullable Machine running;
  private boolean runningRead;

  /** QEMU's effective user and groups, from {@code /proc/PID/status}. */
  private record User(long uid, long gid, Set<Long> groups) {}

  /**
   * What an ELF file is built for, as its header says: {@code EI_CLASS}, {@code EI_DATA} and {@code
   * e_machine}.
   */
  record Machine(int elfClass, int data, int machine) {
    /** Whether the kernel that runs a program of {@code other}'s machine can run this one. */
    boolean sameMachine(Machine other) {
      return data == other.data && machine == other.machine;
    }

    @Override
    public String toString() {
      return "e_machine "
          + machine
          + ", "
          + (elfClass == 2 ? "64" : "32")
          + "-bit "
          + (data == 1 ? "little" : "big")
          + "-endian";
    }
  }

  /** A file of the chain and what it is to the binary, for messages. */
  private record Role(String path, String description, PreflightCode unusable) {}

  private ExecutableCheck(QemuProcessView process, String binary, PreflightItems found) {
    this.process = process;
    this.binary = binary;
    this.found = found;
  }

  /**
   * Checks {@code binary}, an absolute path as QEMU sees it, adding what it finds to {@code found}.
   */
  static void check(QemuProcessView process, String binary, PreflightItems found) {
    new ExecutableCheck(process, binary, found).checkProgram(binaryRole(binary), 0);
  }

  private static Role binaryRole(String binary) {
    return new Role(binary, binary, PreflightCode.EXEC_BINARY_UNUSABLE);
  }

  private String installFix(Role role) {
    return "Install "
        + (role.path().equals(binary) ? "the new QEMU" : "it")
        + " where QEMU sees it (its root is "
        + process.root()
        + "), or give the path it has there.";
  }

  /** Checks one file of the chain, and what it needs to run. */
  private void checkProgram(Role role, int depth) {
    Path file;
    try {
      file = usableFile(role);
    } catch (IOException | RuntimeException e) {
      found.error(
          role.unusable(),
          role.path(),
          "Whether QEMU (pid "
              + process.pid()
              + ") can execute "
              + role.description()
              + " could not be checked: "
              + e,
          "Run this as QEMU's user or as root, so that /proc/"
              + process.pid()
              + "/root can be read.");
      return;
    }
    if (file == null) {
      return; // reported
    }
    byte[] head;
    try {
      head = readAt(file, 0, BINPRM_BUF_SIZE);
    } catch (IOException e) {
      // QEMU's user may execute a file that this process may not read (mode 0711).
      found.warning(
          role.unusable(),
          role.path(),
          role.description()
              + " could not be read, so whether the kernel can run it (a #! interpreter, an ELF"
              + " loader) was not checked: "
              + e.getMessage(),
          "Run this as root to check it.");
      return;
    }
    if (head.length >= 2 && head[0] == '#' && head[1] == '!') {
      checkScript(role, file, head, depth);
    } else if (head.length >= 4
        && head[0] == 0x7f
        && head[1] == 'E'
        && head[2] == 'L'
        && head[3] == 'F') {
      checkElf(role, file);
    } else {
      found.error(
          PreflightCode.EXEC_BINARY_MALFORMED,
          role.path(),
          role.description()
              + " is neither an ELF program nor a #! script"
              + (head.length == 0 ? " (it is empty)" : "")
              + ": the kernel cannot execute it, and QEMU's execvp would then run it as a /bin/sh"
              + " script, which is no QEMU: the process would end, and the VM with it.",
          "Give the QEMU binary itself, or a script that starts with #! and its interpreter.");
    }
  }

  /**
   * The file under QEMU's root if it exists, is a regular file and QEMU's user may execute it;
   * otherwise reports why and returns {@code null}.
   */
  private @Nullable Path usableFile(Role role) throws IOException {
    Path file = process.resolve(role.path());
    if (file == null) {
      found.error(
          role.unusable(),
          role.path(),
          role.description() + " does not exist as QEMU (pid " + process.pid() + ") sees it.",
          installFix(role));
      return null;
    }
    BasicFileAttributes a =
        Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    if (!a.isRegularFile()) {
      found.error(
          role.unusable(),
          role.path(),
          role.description()
              + " is not a regular file as QEMU (pid "
              + process.pid()
              + ") sees it.",
          installFix(role));
      return null;
    }
    int mode = (Integer) Files.getAttribute(file, "unix:mode", LinkOption.NOFOLLOW_LINKS);
    int owner = (Integer) Files.getAttribute(file, "unix:uid", LinkOption.NOFOLLOW_LINKS);
    int group = (Integer) Files.getAttribute(file, "unix:gid", LinkOption.NOFOLLOW_LINKS);
    User u = user();
    if (!permitted(u, mode, owner, group, S_IXUSR, S_IXGRP, S_IXOTH, true)) {
      found.error(
          role.unusable(),
          role.path(),
          role.description()
              + " is not executable by QEMU's user (uid "
              + u.uid()
              + ", gid "
              + u.gid()
              + "; the file is "
              + owner
              + ":"
              + group
              + ", mode "
              + Integer.toOctalString(mode & 07777)
              + ").",
          "Make it executable for QEMU's user (chmod), or give another one.");
      return null;
    }
    MountTable.Mount mount = noexecMount(role.path());
    if (mount != null) {
      String canonical = process.canonicalPath(role.path());
      found.error(
          role.unusable() == PreflightCode.EXEC_BINARY_UNUSABLE
              ? PreflightCode.EXEC_BINARY_NOEXEC_MOUNT
              : role.unusable(),
          role.path(),
          role.description()
              + (canonical != null && !canonical.equals(role.path()) ? " (" + canonical + ")" : "")
              + " lies on "
              + mount.mountPoint()
              + " ("
              + mount.fsType()
              + " "
              + mount.source()
              + "), mounted noexec as QEMU (pid "
              + process.pid()
              + ") sees it: the kernel refuses to execute anything there.",
          "Install it on a file system mounted without noexec, or mount "
              + mount.mountPoint()
              + " with exec where QEMU runs.");
      return null;
    }
    return file;
  }

  /** The noexec mount that holds {@code path} in QEMU's mount namespace, or {@code null}. */
  private MountTable.@Nullable Mount noexecMount(String path) throws IOException {
    MountTable table = mounts;
    if (table == null) {
      try {
        table = process.mounts();
      } catch (IOException e) {
        table = MountTable.parse(List.of()); // no mountinfo to read: nothing to say
      }
      mounts = table;
    }
    String canonical = process.canonicalPath(path);
    MountTable.Mount mount = canonical == null ? null : table.containing(canonical);
    return mount != null && mount.noexec() ? mount : null;
  }

  private User user() throws IOException {
    User u = user;
    if (u == null) {
      List<String> status = process.status();
      u =
          new User(
              QemuProcessView.field(status, "Uid", 1),
              QemuProcessView.field(status, "Gid", 1),
              QemuProcessView.groups(status));
      user = u;
    }
    return u;
  }

  /**
   * Whether the mode grants {@code u} the access; root may read anything, and execute a file that
   * anyone may execute.
   */
  private static boolean permitted(
      User u, int mode, int owner, int group, int usr, int grp, int oth, boolean execute) {
    if (u.uid() == 0) {
      return !execute || (mode & (S_IXUSR | S_IXGRP | S_IXOTH)) != 0;
    }
    if (u.uid() == owner) {
      return (mode & usr) != 0;
    }
    if (u.gid() == group || u.groups().contains((long) group)) {
      return (mode & grp) != 0;
    }
    return (mode & oth) != 0;
  }

  // ------------------------------------------------------------------ #! scripts

  /** As the kernel's {@code load_script} reads the first line. */
  private void checkScript(Role role, Path file, byte[] head, int depth) {
    String interpreter = interpreterOf(head);
    if (interpreter == null) {
      found.error(
          PreflightCode.EXEC_BINARY_MALFORMED,
          role.path(),
          role.description()
              + " starts with #! but names no interpreter in its first "
              + BINPRM_BUF_SIZE
              + " bytes: the kernel cannot execute it, and QEMU's execvp would then run it as a"
              + " /bin/sh script.",
          "Name the interpreter on the #! line (#!/bin/sh), or give the QEMU binary itself.");
      return;
    }
    try {
      int mode = (Integer) Files.getAttribute(file, "unix:mode", LinkOption.NOFOLLOW_LINKS);
      int owner = (Integer) Files.getAttribute(file, "unix:uid", LinkOption.NOFOLLOW_LINKS);
      int group = (Integer) Files.getAttribute(file, "unix:gid", LinkOption.NOFOLLOW_LINKS);
      User u = user();
      if (!permitted(u, mode, owner, group, S_IRUSR, S_IRGRP, S_IROTH, false)) {
        found.error(
            role.unusable(),
            role.path(),
            role.description()
                + " is a script that QEMU's user (uid "
                + u.uid()
                + ") may not read (mode "
                + Integer.toOctalString(mode & 07777)
                + "): its interpreter "
                + interpreter
                + " opens it by its path to read it.",
            "Make it readable for QEMU's user (chmod), or give the QEMU binary itself.");
        return;
      }
    } catch (IOException | RuntimeException e) {
      // the read above worked; the interpreter's own read is its business
    }
    String description =
        interpreter
            + ", the interpreter of the script "
            + role.description()
            + (interpreter.startsWith("/") ? "" : " (relative to QEMU's working directory)");
    if (depth + 1 > MAX_INTERPRETERS) {
      found.error(
          PreflightCode.EXEC_SCRIPT_INTERPRETER_UNUSABLE,
          interpreter,
          description
              + " is one script interpreter too many: the kernel runs at most "
              + MAX_INTERPRETERS
              + " nested ones (ELOOP).",
          "Name a program, not another script, on the #! line.");
      return;
    }
    checkProgram(
        new Role(interpreter, description, PreflightCode.EXEC_SCRIPT_INTERPRETER_UNUSABLE),
        depth + 1);
  }

  /**
   * The interpreter the kernel's {@code load_script} reads from a {@code #!} line, or {@code null}
   * if it finds none: in the first {@value #BINPRM_BUF_SIZE} bytes (NULs past the end of a shorter
   * file), after {@code #!} and spaces or tabs, up to a space, tab or NUL, within the first line. A
   * line longer than that counts only if the name ends within it; a name cut short does not.
   */
  static @Nullable String interpreterOf(byte[] head) {
    byte[] buf = Arrays.copyOf(head, BINPRM_BUF_SIZE);
    int bufEnd = buf.length - 1;
    int end = -1;
    for (int i = 0; i < buf.length; i++) {
      if (buf[i] == '\n') {
        end = i;
        break;
      }
    }
    if (end < 0) {
      int first = nextNonSpaceTab(buf, 2, bufEnd);
      if (first < 0 || nextTerminator(buf, first, bufEnd) < 0) {
        return null;
      }
      end = bufEnd;
    }
    while (end > 2 && isSpaceTab(buf[end - 1])) {
      end--;
    }
    int name = nextNonSpaceTab(buf, 2, end);
    if (name < 0 || name == end) {
      return null;
    }
    int separator = nextTerminator(buf, name, end);
    int stop = separator < 0 || separator > end ? end : separator;
    return new String(buf, name, stop - name, StandardCharsets.UTF_8);
  }

  private static boolean isSpaceTab(byte b) {
    return b == ' ' || b == '\t';
  }

  /** The first index in {@code [from, last]} that is not a space or tab, or -1. */
  private static int nextNonSpaceTab(byte[] buf, int from, int last) {
    for (int i = from; i <= last; i++) {
      if (!isSpaceTab(buf[i])) {
        return i;
      }
    }
    return -1;
  }

  /** The first index in {@code [from, last]} that is a space, tab or NUL, or -1. */
  private static int nextTerminator(byte[] buf, int from, int last) {
    for (int i = from; i <= last; i++) {
      if (isSpaceTab(buf[i]) || buf[i] == 0) {
        return i;
      }
    }
    return -1;
  }

  // ------------------------------------------------------------------ ELF

  /** A malformed ELF file: the reason, for the message. */
  static final class Malformed extends Exception {
    private static final long serialVersionUID = 1L;

    Malformed(String reason) {
      super(reason, null, false, false);
    }
  }

  /** As the kernel's {@code load_elf_binary} reads the header and the program headers. */
  private void checkElf(Role role, Path file) {
    String loader;
    Machine machine;
    try {
      loader = loaderOf(file);
      machine = machineOf(file);
    } catch (Malformed e) {
      found.error(
          PreflightCode.EXEC_BINARY_MALFORMED,
          role.path(),
          role.description()
              + " is a malformed ELF file ("
              + e.getMessage()
              + "): the kernel would refuse it, and QEMU's execvp would then run it as a /bin/sh"
              + " script, which is no QEMU.",
          "Give an intact QEMU binary (a copy cut short?).");
      return;
    } catch (IOException e) {
      found.warning(
          role.unusable(),
          role.path(),
          role.description() + " could not be read to find its loader: " + e.getMessage(),
          "Run this as root to check it.");
      return;
    }
    int before = found.list().size();
    if (loader != null) {
      checkLoader(
          new Role(
              loader,
              loader
                  + ", the loader (PT_INTERP) of "
                  + role.description()
                  + (loader.startsWith("/") ? "" : " (relative to QEMU's working directory)"),
              PreflightCode.EXEC_ELF_LOADER_UNUSABLE),
          machine);
    }
    Machine own = runningMachine();
    if (found.list().size() == before && own != null && !machine.sameMachine(own)) {
      found.error(
          role.unusable(),
          role.path(),
          role.description()
              + " is built for another machine ("
              + machine
              + ") than the QEMU that runs ("
              + own
              + "): the kernel would refuse it (ENOEXEC), and QEMU's execvp would then run it as a"
              + " /bin/sh script, which is no QEMU.",
          "Give a QEMU built for this host's machine.");
    }
  }

  /**
   * The machine of the program QEMU's process runs now ({@code /proc/PID/exe}), which its kernel
   * runs; {@code null} if it cannot be read.
   */
  private @Nullable Machine runningMachine() {
    if (!runningRead) {
      runningRead = true;
      try {
        running = machineOf(process.executable());
      } catch (IOException | Malformed | RuntimeException e) {
        running = null; // nothing to compare with
      }
    }
    return running;
  }

  /** The loader must exist, be a regular file QEMU's user may execute, and be ELF itself. */
  private void checkLoader(Role role, Machine program) {
    try {
      Path file = usableFile(role);
      if (file == null) {
        return;
      }
      byte[] magic = readAt(file, 0, 4);
      if (magic.length < 4
          || magic[0] != 0x7f
          || magic[1] != 'E'
          || magic[2] != 'L'
          || magic[3] != 'F') {
        found.error(
            role.unusable(),
            role.path(),
            role.description() + " is not an ELF file: the kernel cannot load it.",
            installFix(role));
        return;
      }
      Machine loader;
      try {
        loader = machineOf(file);
      } catch (Malformed e) {
        found.error(
            role.unusable(),
            role.path(),
            role.description() + " is a malformed ELF file (" + e.getMessage() + ").",
            installFix(role));
        return;
      }
      if (!loader.equals(program)) {
        found.error(
            role.unusable(),
            role.path(),
            role.description()
                + " is built for another machine ("
                + loader
                + ") than the program ("
                + program
                + "): the kernel cannot load it.",
            installFix(role));
      }
    } catch (IOException | RuntimeException e) {
      found.error(
          role.unusable(),
          role.path(),
          "Whether QEMU (pid "
              + process.pid()
              + ") can load "
              + role.description()
              + " could not be checked: "
              + e,
          "Run this as QEMU's user or as root, so that /proc/" + process.pid() + " can be read.");
    }
  }

  /**
   * What an ELF file is built for.
   *
   * @throws Malformed if its class or byte order is none the kernel knows, or the file is shorter
   *     than the fields
   */
  static Machine machineOf(Path file) throws IOException, Malformed {
    byte[] h = readAt(file, 0, 20);
    if (h.length < 20) {
      throw new Malformed("only " + h.length + " bytes, shorter than an ELF header");
    }
    if (h[4] != 1 && h[4] != 2) {
      throw new Malformed("class " + h[4] + ", neither 32-bit (1) nor 64-bit (2)");
    }
    if (h[5] != 1 && h[5] != 2) {
      throw new Malformed("data encoding " + h[5] + ", neither little (1) nor big endian (2)");
    }
    ByteOrder order = h[5] == 1 ? ByteOrder.LITTLE_ENDIAN : ByteOrder.BIG_ENDIAN;
    int machine = Short.toUnsignedInt(ByteBuffer.wrap(h).order(order).getShort(18));
    return new Machine(h[4], h[5], machine);
  }

  /**
   * The {@code PT_INTERP} path of an ELF file, or {@code null} for a static program.
   *
   * @throws Malformed if the kernel would refuse the header or the program headers
   */
  static @Nullable String loaderOf(Path file) throws IOException, Malformed {
    long size = Files.size(file);
    byte[] ident = readAt(file, 0, 16);
    if (ident.length < 16) {
      throw new Malformed("only " + size + " bytes, shorter than an ELF identification");
    }
    boolean elf64;
    if (ident[4] == 1) {
      elf64 = false;
    } else if (ident[4] == 2) {
      elf64 = true;
    } else {
      throw new Malformed("class " + ident[4] + ", neither 32-bit (1) nor 64-bit (2)");
    }
    ByteOrder order;
    if (ident[5] == 1) {
      order = ByteOrder.LITTLE_ENDIAN;
    } else if (ident[5] == 2) {
      order = ByteOrder.BIG_ENDIAN;
    } else {
      throw new Malformed("data encoding " + ident[5] + ", neither little (1) nor big endian (2)");
    }
    int headerSize = elf64 ? 64 : 52;
    ByteBuffer h = ByteBuffer.wrap(readAt(file, 0, headerSize)).order(order);
    if (h.limit() < headerSize) {
      throw new Malformed(
          "only " + size + " bytes, shorter than its ELF header (" + headerSize + ")");
    }
    int type = Short.toUnsignedInt(h.getShort(16));
    if (type != ET_EXEC && type != ET_DYN) {
      throw new Malformed("type " + type + ", not an executable (2) or a shared object (3)");
    }
    long phoff = elf64 ? h.getLong(32) : Integer.toUnsignedLong(h.getInt(28));
    int phentsize = Short.toUnsignedInt(h.getShort(elf64 ? 54 : 42));
    int phnum = Short.toUnsignedInt(h.getShort(elf64 ? 56 : 44));
    int entry = elf64 ? 56 : 32;
    if (phentsize != entry) {
      throw new Malformed(
          "program headers of " + phentsize + " bytes, not the " + entry + " of their class");
    }
    long tableSize = (long) phnum * entry;
    if (phnum == 0 || tableSize > MAX_PROGRAM_HEADERS_BYTES) {
      throw new Malformed(phnum + " program headers");
    }
    if (phoff < 0 || phoff > size - tableSize) {
      throw new Malformed(
          "program headers at " + Long.toUnsignedString(phoff) + ", past its end (" + size + ")");
    }
    ByteBuffer table = ByteBuffer.wrap(readAt(file, phoff, (int) tableSize)).order(order);
    if (table.limit() < tableSize) {
      throw new Malformed("program headers cut short");
    }
    for (int i = 0; i < phnum; i++) {
      int at = i * entry;
      if (table.getInt(at) != PT_INTERP) {
        continue;
      }
      long offset = elf64 ? table.getLong(at + 8) : Integer.toUnsignedLong(table.getInt(at + 4));
      long length = elf64 ? table.getLong(at + 32) : Integer.toUnsignedLong(table.getInt(at + 16));
      if (length < 2 || length > PATH_MAX) {
        throw new Malformed("a loader path of " + Long.toUnsignedString(length) + " bytes");
      }
      if (offset < 0 || offset > size - length) {
        throw new Malformed("its loader path lies past its end");
      }
      byte[] path = readAt(file, offset, (int) length);
      if (path.length < length || path[path.length - 1] != 0) {
        throw new Malformed("its loader path does not end with a NUL");
      }
      int end = 0;
      while (path[end] != 0) {
        end++;
      }
      if (end == 0) {
        throw new Malformed("an empty loader path");
      }
      return new String(path, 0, end, StandardCharsets.UTF_8);
    }
    return null;
  }

  /** Up to {@code length} bytes at {@code offset}; fewer at the end of the file. */
  private static byte[] readAt(Path file, long offset, int length) throws IOException {
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
      ByteBuffer buffer = ByteBuffer.allocate(length);
      long position = offset;
      while (buffer.hasRemaining()) {
        int n = channel.read(buffer, position);
        if (n < 0) {
          break;
        }
        position += n;
      }
      byte[] bytes = new byte[buffer.position()];
      buffer.flip();
      buffer.get(bytes);
      return bytes;
    }
  }
}
