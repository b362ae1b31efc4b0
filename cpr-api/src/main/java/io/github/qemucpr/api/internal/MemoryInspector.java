package io.github.qemucpr.api.internal;

import io.github.qemucpr.api.CprManifest;
import io.github.qemucpr.qmp.QmpClient;
import io.github.qemucpr.qmp.QmpException;
import io.github.qemucpr.qmp.command.MemoryBackend;
import io.github.qemucpr.qmp.command.QomGet;
import io.github.qemucpr.qmp.command.QueryMemdev;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * Finds the guest RAM backends ({@code query-memdev}) and reads through QOM what {@code
 * query-memdev} does not say: the backend's type, its {@code mem-path} and {@code discard-data}.
 */
final class MemoryInspector {
  static final String FILE_BACKEND = "memory-backend-file";

  private MemoryInspector() {}

  /**
   * A RAM backend as QEMU reports it.
   *
   * @param id the id, or {@code null} when QEMU gave none (then nothing else could be read)
   * @param type the QOM type, or {@code null} if it could not be read
   * @param size the size in bytes
   * @param memPath the {@code mem-path} of a file backend
   * @param share whether it is mapped shared
   * @param discardData {@code discard-data} of a file backend, or {@code null}
   * @param qomError why QOM could not be read, or {@code null}
   */
  record Backend(
      @Nullable String id,
      @Nullable String type,
      long size,
      @Nullable String memPath,
      boolean share,
      @Nullable Boolean discardData,
      @Nullable String qomError) {

    /** Whether {@code x-ignore-shared} leaves it in place: a shared, named file. */
    boolean savedInPlace() {
      return FILE_BACKEND.equals(type) && share && memPath != null;
    }

    String subject() {
      return id != null ? id : "(backend without id)";
    }

    /**
     * The backend as the manifest records it. For RAM kept in place, it reads its file's identity
     * now (a {@code stat}, while the VM is down, in microseconds): the save calls it once the
     * state is written, when QEMU no longer changes the file.
     */
    CprManifest.RamBackend toManifest() {
      String path = memPath;
      CprManifest.RamFile file =
          savedInPlace() && path != null && Path.of(path).isAbsolute() ? identify(Path.of(path))
              : null;
      return new CprManifest.RamBackend(
          subject(), type != null ? type : "unknown", size, memPath, share, savedInPlace(), file);
    }
  }

  // ------------------------------------------------------------------ RAM file identity

  /** File systems held in memory: a host reboot empties them. */
  private static final Set<String> VOLATILE_FILE_SYSTEMS = Set.of("tmpfs", "ramfs", "hugetlbfs");

  private static final Path BOOT_ID = Path.of("/proc/sys/kernel/random/boot_id");

  /** Whether files on {@code fileSystem} are lost when the host reboots. */
  static boolean isVolatile(String fileSystem) {
    return VOLATILE_FILE_SYSTEMS.contains(fileSystem);
  }

  /** The type of the file system {@code path} is on, or {@code null} if it cannot be read. */
  static @Nullable String fileSystemOf(Path path) {
    try {
      return Files.getFileStore(path).type();
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  /** This boot of the host, or {@code null} where there is no such file. */
  static @Nullable String hostBootId() {
    try {
      return Files.readString(BOOT_ID).strip();
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  /**
   * The identity of the file at {@code path} (symlinks followed, as QEMU opens it), or {@code
   * null} if it cannot be read.
   */
  static CprManifest.@Nullable RamFile identify(Path path) {
    try {
      Map<String, Object> a =
          Files.readAttributes(path, "unix:dev,ino,size,rdev,mode,lastModifiedTime");
      boolean characterDevice = (((Integer) a.get("mode")) & 0170000) == 0020000;
      String fileSystem = fileSystemOf(path);
      return new CprManifest.RamFile(
          fileSystem != null ? fileSystem : "unknown",
          (Long) a.get("dev"), (Long) a.get("ino"), (Long) a.get("size"),
          characterDevice ? (Long) a.get("rdev") : null,
          ((FileTime) a.get("lastModifiedTime")).toInstant(), hostBootId());
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  /**
   * Why the file at {@code memPath} is not the one recorded as {@code saved}, or {@code null} when
   * it is. Within the boot of the save, device and inode must match (with size, modification time
   * and file system);
   * after a reboot, a file system held in memory has lost the RAM, a disk's device number may have
   * changed and is not compared, and a DAX device is known only by its kind.
   */
  static @Nullable String differences(
      CprManifest.RamFile saved, String memPath, @Nullable String bootIdNow) {
    Path path = Path.of(memPath);
    boolean sameBoot = saved.hostBootId() != null && saved.hostBootId().equals(bootIdNow);
    boolean rebooted =
        saved.hostBootId() != null && bootIdNow != null && !saved.hostBootId().equals(bootIdNow);
    if (rebooted && saved.characterDevice() == null && isVolatile(saved.fileSystem())) {
      return memPath + " was on " + saved.fileSystem() + ", and the host has rebooted since the"
          + " save (boot id " + saved.hostBootId() + ", now " + bootIdNow + "): a reboot empties "
          + saved.fileSystem() + ", so the guest's RAM is gone";
    }
    CprManifest.RamFile now = identify(path);
    if (now == null) {
      return memPath + " is gone or cannot be read";
    }
    if (saved.characterDevice() != null) {
      if (now.characterDevice() == null) {
        return memPath + " was a character device (a DAX device) at the save, and is not now";
      }
      if (sameBoot && !saved.characterDevice().equals(now.characterDevice())) {
        return memPath + " is another device (" + deviceNumber(now.characterDevice()) + ", not "
            + deviceNumber(saved.characterDevice()) + ")";
      }
      return null;
    }
    String was = describe(saved);
    if (now.characterDevice() != null
        || !saved.fileSystem().equals(now.fileSystem())
        || saved.inode() != now.inode()
        || saved.size() != now.size()
        || (saved.modifiedAt() != null && !saved.modifiedAt().equals(now.modifiedAt()))
        || (sameBoot && saved.device() != now.device())) {
      return memPath + " is not the file the save left there: it is " + describe(now)
          + ", the save's was " + was + " (deleted and created again, replaced, or written"
          + " since: it does not hold the RAM the save left)";
    }
    return null;
  }

  private static String describe(CprManifest.RamFile f) {
    if (f.characterDevice() != null) {
      return "character device " + deviceNumber(f.characterDevice());
    }
    return "inode " + f.inode() + " on " + f.fileSystem() + " device " + deviceNumber(f.device())
        + ", " + f.size() + " bytes, modified " + f.modifiedAt();
  }

  /** A device number as {@code major:minor} (Linux's encoding, as in glibc's gnu_dev_major). */
  private static String deviceNumber(long dev) {
    long major = ((dev >>> 32) & 0xfffff000L) | ((dev >>> 8) & 0xfffL);
    long minor = ((dev >>> 12) & 0xffffff00L) | (dev & 0xffL);
    return major + ":" + minor;
  }

  /**
   * Lists the backends; a QOM read that fails is recorded in the backend, a failing {@code
   * query-memdev} is thrown.
   */
  static List<Backend> inspect(QmpClient qmp, Supplier<Duration> timeout) {
    List<MemoryBackend> memdevs = qmp.execute(new QueryMemdev(), timeout.get());
    return new Inspection(qmp, timeout, CompletableFuture.completedFuture(memdevs), Map.of())
        .result();
  }

  /**
   * Sends {@code query-memdev} and, for each of {@code expectedIds}, every QOM read that {@link
   * #inspect} could need ({@code type}, {@code mem-path}, {@code discard-data}), without waiting
   * for any reply: a restore sends them with its other queries while the VM is down. {@link
   * Inspection#result()} gives what {@link #inspect} would; a backend that was not expected gets
   * its reads then, and the {@code mem-path} and {@code discard-data} reads of a backend that is
   * not a file backend are ignored (QEMU fails them: it has no such property).
   */
  static Inspection send(
      QmpClient qmp, Supplier<Duration> timeout, Collection<String> expectedIds) {
    CompletableFuture<List<MemoryBackend>> memdevs =
        qmp.executeAsync(new QueryMemdev(), timeout.get());
    Map<String, Reads> guessed = new LinkedHashMap<>();
    if (!expectedIds.isEmpty()) {
      Duration t = timeout.get();
      for (String id : expectedIds) {
        if (!guessed.containsKey(id)) {
          String path = "/objects/" + id;
          guessed.put(id, new Reads(
              qmp.executeAsync(new QomGet(path, "type").as(String.class), t),
              qmp.executeAsync(new QomGet(path, "mem-path").as(String.class), t),
              qmp.executeAsync(new QomGet(path, "discard-data").as(Boolean.class), t)));
        }
      }
    }
    return new Inspection(qmp, timeout, memdevs, guessed);
  }

  /** The QOM reads sent ahead for one backend. */
  private record Reads(
      CompletableFuture<String> type,
      CompletableFuture<String> memPath,
      CompletableFuture<Boolean> discard) {}

  /** An inspection whose first reads are on their way. */
  static final class Inspection {
    private final QmpClient qmp;
    private final Supplier<Duration> timeout;
    private final CompletableFuture<List<MemoryBackend>> memdevs;
    private final Map<String, Reads> guessed;

    private Inspection(
        QmpClient qmp,
        Supplier<Duration> timeout,
        CompletableFuture<List<MemoryBackend>> memdevs,
        Map<String, Reads> guessed) {
      this.qmp = qmp;
      this.timeout = timeout;
      this.memdevs = memdevs;
      this.guessed = guessed;
    }

    /**
     * Waits for the reads and sends those that were not guessed; a QOM read that fails is
     * recorded in the backend, a failing {@code query-memdev} is thrown.
     */
    List<Backend> result() {
      List<MemoryBackend> memdevs = Pipelined.await(this.memdevs);
      // Send every QOM read at once: a restore runs this while the VM is down.
      Duration t = timeout.get();
      List<CompletableFuture<String>> types = new ArrayList<>();
      for (MemoryBackend m : memdevs) {
        String id = m.id();
        Reads g = id == null ? null : guessed.get(id);
        if (id == null) {
          types.add(CompletableFuture.completedFuture(""));
        } else if (g != null) {
          types.add(g.type());
        } else {
          types.add(qmp.executeAsync(new QomGet("/objects/" + id, "type").as(String.class), t));
        }
      }
      List<Backend> result = new ArrayList<>();
      for (int i = 0; i < memdevs.size(); i++) {
        MemoryBackend m = memdevs.get(i);
        String id = m.id();
        if (id == null) {
          result.add(new Backend(null, null, m.size(), null, m.share(), null, "QEMU gave no id"));
          continue;
        }
        String path = "/objects/" + id;
        Reads g = guessed.get(id);
        try {
          String type = Pipelined.await(types.get(i));
          String memPath = null;
          Boolean discard = null;
          if (FILE_BACKEND.equals(type)) {
            CompletableFuture<String> memPathF =
                g != null
                    ? g.memPath()
                    : qmp.executeAsync(new QomGet(path, "mem-path").as(String.class), t);
            CompletableFuture<Boolean> discardF =
                g != null
                    ? g.discard()
                    : qmp.executeAsync(new QomGet(path, "discard-data").as(Boolean.class), t);
            memPath = Pipelined.await(memPathF);
            discard = Pipelined.await(discardF);
          }
          result.add(new Backend(id, type, m.size(), memPath, m.share(), discard, null));
        } catch (QmpException e) {
          result.add(new Backend(id, null, m.size(), null, m.share(), null, e.getMessage()));
        }
      }
      return result;
    }
  }
}
