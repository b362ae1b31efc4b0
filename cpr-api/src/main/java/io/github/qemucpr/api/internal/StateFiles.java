package io.github.qemucpr.api.internal;

import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import org.jspecify.annotations.Nullable;

/**
 * The file handling that keeps a checkpoint from ever being half-written: new files are created
 * exclusively with mode 0600, data is fsync'ed before a rename puts it in place, and the directory
 * is fsync'ed after, so that a crash leaves either the old file or the new one.
 */
public final class StateFiles {
  private static final Set<PosixFilePermission> OWNER_READ_WRITE =
      PosixFilePermissions.fromString("rw-------");

  private StateFiles() {}

  /** {@code <name>.partial} beside the target: the file a save writes before it is complete. */
  public static Path partialPath(Path target) {
    return target.resolveSibling(fileName(target) + ".partial");
  }

  /** The file name of a path, which must have one. */
  public static String fileName(Path path) {
    Path name = path.getFileName();
    if (name == null) {
      throw new IllegalArgumentException("the path has no file name: " + path);
    }
    return name.toString();
  }

  /** The mode 0600 as a creation attribute. */
  static FileAttribute<Set<PosixFilePermission>> ownerOnly() {
    return PosixFilePermissions.asFileAttribute(OWNER_READ_WRITE);
  }

  /**
   * Creates {@code path} as a new, empty file with mode 0600 and opens it write-only ({@code
   * O_WRONLY}, which is what QEMU's outgoing file migration asks of a descriptor in an fdset).
   *
   * @throws java.nio.file.FileAlreadyExistsException if anything is at the path, even a dangling
   *     symlink
   * @throws IOException if the file was replaced between its creation and its opening
   */
  public static PartialFile createPartial(Path path) throws IOException {
    // O_CREAT|O_EXCL refuses any existing entry, symlinks included. FileOutputStream, whose
    // descriptor is the one that can be passed to QEMU, can neither create exclusively nor refuse
    // a symlink, so the file is created and locked first and then opened again: in append mode, so
    // that a file swapped in between (which needs write access to the directory) is never
    // truncated, and then proven to be the very file created. The JVM's lock table knows files by
    // the device and inode of their descriptors (fstat): a second lock on the same file in this
    // JVM throws OverlappingFileLockException. Append mode changes nothing for QEMU, which
    // writes the new, empty file from its start.
    FileOutputStream out;
    Object key;
    try (FileChannel created =
        FileChannel.open(
            path,
            EnumSet.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
            ownerOnly())) {
      key = regularFileKey(path);
      if (created.tryLock() == null) {
        deleteIfSame(path, key);
        throw new IOException(path + " was locked by another process as soon as it was created");
      }
      try {
        out = new FileOutputStream(path.toFile(), true);
      } catch (IOException e) {
        deleteIfSame(path, key);
        throw e;
      }
      try {
        if (!isLockedInThisJvm(out) || !Objects.equals(key, regularFileKey(path))) {
          throw new IOException(path + " was replaced while it was being opened");
        }
      } catch (IOException e) {
        out.close();
        throw e;
      }
    }
    return new PartialFile(path, out, key);
  }

  private static boolean isLockedInThisJvm(FileOutputStream out) throws IOException {
    try {
      FileLock other = out.getChannel().tryLock();
      if (other != null) {
        other.release();
      }
      return false;
    } catch (OverlappingFileLockException e) {
      return true;
    }
  }

  private static Object regularFileKey(Path path) throws IOException {
    BasicFileAttributes a =
        Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    if (!a.isRegularFile()) {
      throw new IOException(path + " is not a regular file");
    }
    return Objects.requireNonNull(a.fileKey(), "file key");
  }

  private static void deleteIfSame(Path path, Object key) throws IOException {
    try {
      if (Objects.equals(key, regularFileKey(path))) {
        Files.delete(path);
      }
    } catch (NoSuchFileException e) {
      // already gone
    }
  }

  /**
   * Renames {@code partial} onto {@code target} atomically, replacing what was there, then fsyncs
   * the directory so that the rename itself survives a crash.
   */
  public static void commit(Path partial, Path target) throws IOException {
    try {
      Files.move(partial, target, StandardCopyOption.ATOMIC_MOVE);
    } catch (AtomicMoveNotSupportedException e) {
      throw new IOException("cannot rename " + partial + " onto " + target + " atomically", e);
    }
    fsyncDirectory(directoryOf(target));
  }

  /** The directory a file is in. */
  public static Path directoryOf(Path file) {
    Path dir = file.toAbsolutePath().getParent();
    if (dir == null) {
      throw new IllegalArgumentException("the path has no directory: " + file);
    }
    return dir;
  }

  /** fsync of a directory, which makes the creations and renames in it durable. */
  public static void fsyncDirectory(Path dir) throws IOException {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    }
  }

  /**
   * Writes {@code content} to {@code target} atomically with mode 0600: a new temp file beside it,
   * fsync, rename, fsync of the directory. Readers see the old content or the new, never part.
   */
  public static void writeAtomically(Path target, byte[] content) throws IOException {
    Path tmp = writeTemp(target, content);
    try {
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException | RuntimeException e) {
      try {
        Files.deleteIfExists(tmp);
      } catch (IOException suppressed) {
        e.addSuppressed(suppressed);
      }
      throw e;
    }
    fsyncDirectory(directoryOf(target));
  }

  /**
   * Writes {@code content} to a new temp file beside {@code target} with mode 0600 and fsyncs it;
   * the caller renames it into place.
   */
  public static Path writeTemp(Path target, byte[] content) throws IOException {
    Path tmp =
        target.resolveSibling(
            "."
                + fileName(target)
                + "."
                + Long.toHexString(ThreadLocalRandom.current().nextLong())
                + ".tmp");
    try (FileChannel ch =
        FileChannel.open(
            tmp,
            EnumSet.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
            ownerOnly())) {
      ByteBuffer buf = ByteBuffer.wrap(content);
      while (buf.hasRemaining()) {
        ch.write(buf);
      }
      ch.force(true);
    } catch (IOException | RuntimeException e) {
      try {
        Files.deleteIfExists(tmp);
      } catch (IOException suppressed) {
        e.addSuppressed(suppressed);
      }
      throw e;
    }
    return tmp;
  }

  /** The SHA-256 of a whole file, in lower-case hex. */
  public static String sha256(Path file) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      return sha256(ch);
    }
  }

  /**
   * The SHA-256 of an open file, read with positional reads so that the file offset, which QEMU
   * shares through a passed descriptor, does not move.
   */
  public static String sha256(FileChannel ch) throws IOException {
    MessageDigest digest;
    try {
      digest = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
    ByteBuffer buf = ByteBuffer.allocate(1 << 20);
    long position = 0;
    while (true) {
      buf.clear();
      int n = ch.read(buf, position);
      if (n < 0) {
        break;
      }
      position += n;
      buf.flip();
      digest.update(buf);
    }
    return HexFormat.of().formatHex(digest.digest());
  }

  /** A state file opened read-only for a restore: hashed, then passed to QEMU. */
  public static FileInputStream openForRestore(Path file) throws IOException {
    return new FileInputStream(file.toFile());
  }

  /** {@code <name>.lock} beside a state file: the file a restore locks to claim the checkpoint. */
  public static Path lockPath(Path stateFile) {
    return stateFile.resolveSibling(fileName(stateFile) + ".lock");
  }

  /**
   * Claims a checkpoint for one restore: an exclusive POSIX record lock ({@code fcntl}) on {@link
   * #lockPath}, created with mode 0600 if need be and never deleted, so that every restore locks
   * the same file. The kernel drops the lock when its process dies, so a crash leaves no stale
   * claim. Such locks belong to a process, not to a thread, and closing any descriptor of the file
   * drops them: so within this JVM a claim is also recorded in a set, and a second claim is refused
   * from that set without the file ever being opened again.
   *
   * @return the claim, or {@code null} when another restore (in this JVM or another process) holds
   *     it
   * @throws NotARegularFileException if something other than a regular file is at the lock path (a
   *     FIFO, a device, a symlink, a directory), which is never opened
   * @throws IOException if the lock file cannot be created or opened
   */
  public static @Nullable CheckpointClaim claim(Path stateFile) throws IOException {
    // The file's own real path, links resolved: two restores through different links to one
    // checkpoint must meet on one lock file.
    Path real = Files.exists(stateFile) ? stateFile.toRealPath() : stateFile;
    Path lock = lockPath(directoryOf(real).toRealPath().resolve(fileName(real)));
    synchronized (CheckpointClaim.HELD) {
      if (CheckpointClaim.HELD.contains(lock)) {
        return null;
      }
      FileChannel channel = openLockFile(lock);
      FileLock held;
      try {
        held = channel.tryLock();
      } catch (IOException | RuntimeException e) {
        channel.close();
        throw e;
      }
      if (held == null) {
        channel.close(); // no claim of this JVM is on the file: closing drops none
        return null;
      }
      CheckpointClaim.HELD.add(lock);
      return new CheckpointClaim(lock, channel);
    }
  }

  /**
   * Opens the lock file read-write, creating it if need be, without ever following a symlink or
   * blocking. Anything but a regular file is refused: opening a FIFO for writing alone blocks until
   * a reader comes, a device may do anything. So the file is created with {@code O_EXCL}, or, when
   * it exists, checked first ({@code lstat}: a regular file), opened with {@code O_RDWR}, which
   * Linux never blocks even on a FIFO swapped in meanwhile (fifo(7)), and checked again: the same
   * regular file. Whoever can swap files in the directory can also delete the lock file under a
   * holder, which defeats any lock file; what is refused here is a node left there, not a race.
   *
   * @throws NotARegularFileException if something other than a regular file is there
   * @throws IOException if it cannot be created or opened
   */
  static FileChannel openLockFile(Path lock) throws IOException {
    for (int attempt = 0; ; attempt++) {
      try {
        return FileChannel.open(
            lock,
            Set.of(
                StandardOpenOption.CREATE_NEW,
                StandardOpenOption.READ,
                StandardOpenOption.WRITE,
                LinkOption.NOFOLLOW_LINKS),
            ownerOnly());
      } catch (FileAlreadyExistsException e) {
        // there already: a lock file of an earlier restore, or something else
      }
      BasicFileAttributes before;
      try {
        before = Files.readAttributes(lock, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
      } catch (NoSuchFileException e) {
        if (attempt < 3) {
          continue; // deleted in between: create it
        }
        throw e;
      }
      requireRegularFile(lock, before);
      FileChannel channel =
          FileChannel.open(
              lock,
              Set.of(StandardOpenOption.READ, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS));
      try {
        BasicFileAttributes after =
            Files.readAttributes(lock, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        requireRegularFile(lock, after);
        if (!Objects.equals(before.fileKey(), after.fileKey())) {
          throw new IOException(lock + " was replaced while it was being opened");
        }
      } catch (IOException | RuntimeException e) {
        channel.close();
        throw e;
      }
      return channel;
    }
  }

  private static void requireRegularFile(Path path, BasicFileAttributes a)
      throws NotARegularFileException {
    if (!a.isRegularFile()) {
      String kind =
          a.isSymbolicLink()
              ? "a symbolic link"
              : a.isDirectory()
                  ? "a directory"
                  : a.isOther() ? "a FIFO, socket or device" : "not a regular file";
      throw new NotARegularFileException(path, kind);
    }
  }

  /** Something other than a regular file is where a file of the SDK belongs. */
  public static final class NotARegularFileException extends IOException {
    private static final long serialVersionUID = 1L;

    private final Path path;

    NotARegularFileException(Path path, String kind) {
      super(path + " is " + kind + ", not a regular file");
      this.path = path;
    }

    /** Where it is. */
    public Path path() {
      return path;
    }
  }

  /** A restore's claim on a checkpoint, from {@link #claim}; {@link #close()} gives it up. */
  public static final class CheckpointClaim implements AutoCloseable {
    /** The lock files claimed in this JVM; guarded by itself. */
    static final Set<Path> HELD = new HashSet<>();

    private final Path lockFile;
    private @Nullable FileChannel channel;

    CheckpointClaim(Path lockFile, FileChannel channel) {
      this.lockFile = lockFile;
      this.channel = channel;
    }

    /** The lock file. */
    public Path lockFile() {
      return lockFile;
    }

    /** Gives the claim up (closing the descriptor drops the lock). Idempotent. */
    @Override
    public void close() {
      synchronized (HELD) {
        FileChannel ch = channel;
        channel = null;
        if (ch == null) {
          return;
        }
        try {
          ch.close();
        } catch (IOException e) {
          // the descriptor is released all the same, and the lock with it
        } finally {
          HELD.remove(lockFile);
        }
      }
    }
  }

  /** A new file that a save is writing, opened write-only. Not thread-safe. */
  public static final class PartialFile implements AutoCloseable {
    private final Path path;
    private final FileOutputStream out;
    private final Object fileKey;
    private boolean closed;

    PartialFile(Path path, FileOutputStream out, Object fileKey) {
      this.path = path;
      this.out = out;
      this.fileKey = fileKey;
    }

    /** Where it is. */
    public Path path() {
      return path;
    }

    /** The open descriptor, to pass to QEMU. */
    public FileDescriptor descriptor() throws IOException {
      return out.getFD();
    }

    /** Its size now. */
    public long size() throws IOException {
      return out.getChannel().size();
    }

    /** fsync: what QEMU wrote through the shared open file reaches the disk. */
    public void fsync() throws IOException {
      out.getFD().sync();
    }

    /** Closes the descriptor; the file stays. Idempotent. */
    @Override
    public void close() throws IOException {
      if (!closed) {
        closed = true;
        out.close();
      }
    }

    /**
     * Closes and deletes the file, unless something else has taken its place since it was created.
     * Idempotent.
     */
    public void delete() throws IOException {
      close();
      deleteIfSame(path, fileKey);
    }

    /** Whether the file at {@link #path()} is still the one created (not renamed or replaced). */
    public boolean isStillAtPath() {
      try {
        return Objects.equals(fileKey, regularFileKey(path));
      } catch (IOException e) {
        return false;
      }
    }
  }
}
