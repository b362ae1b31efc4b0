package io.github.qemucpr.api.internal;

import io.github.qemucpr.api.CprManifest;
import io.github.qemucpr.qmp.QmpClient;
import io.github.qemucpr.qmp.QmpException;
import io.github.qemucpr.qmp.command.MemoryBackend;
import io.github.qemucpr.qmp.command.QomGet;
import io.github.qemucpr.qmp.command.QueryMemdev;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HexFormat;
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
     * now (a {@code stat}, and a content sample of at most 1 MiB read, mostly from the page cache;
     * while the VM is down, in about a millisecond): the save calls it once the state is written,
     * when the guest no longer runs and QEMU no longer changes the file.
     */
    CprManifest.RamBackend toManifest() {
      String path = memPath;
      CprManifest.RamFile file =
          savedInPlace() && path != null && Path.of(path).isAbsolute()
              ? identify(Path.of(path))
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
   * The identity of the file at {@code path} (symlinks followed, as QEMU opens it), or {@code null}
   * if it cannot be read. For a regular file it includes a {@linkplain #sample content sample}, for
   * a DAX device what sysfs says of it.
   */
  static CprManifest.@Nullable RamFile identify(Path path) {
    return identify(path, SYSFS);
  }

  static CprManifest.@Nullable RamFile identify(Path path, Path sysfs) {
    CprManifest.RamFile now = stat(path, sysfs);
    if (now == null || now.characterDevice() != null) {
      return now;
    }
    CprManifest.ContentSample sample = sample(path, now.size());
    return now.toBuilder().contentSample(sample).build(); // a regular file: no DAX device
  }

  /** What {@code stat} (and, for a DAX device, sysfs) says of the file; no content is read. */
  private static CprManifest.@Nullable RamFile stat(Path path, Path sysfs) {
    try {
      Map<String, Object> a =
          Files.readAttributes(path, "unix:dev,ino,size,rdev,mode,lastModifiedTime");
      boolean characterDevice = (attribute(a, "mode", Integer.class) & 0170000) == 0020000;
      String fileSystem = fileSystemOf(path);
      Long rdev = characterDevice ? attribute(a, "rdev", Long.class) : null;
      return CprManifest.RamFile.builder()
          .fileSystem(fileSystem != null ? fileSystem : "unknown")
          .device(attribute(a, "dev", Long.class))
          .inode(attribute(a, "ino", Long.class))
          .size(attribute(a, "size", Long.class))
          .characterDevice(rdev)
          .modifiedAt(attribute(a, "lastModifiedTime", FileTime.class).toInstant())
          .hostBootId(hostBootId())
          .daxDevice(rdev != null ? daxDevice(rdev, sysfs) : null)
          .build();
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  /**
   * An attribute read with {@code Files.readAttributes}: the map has no entry for one the file
   * system did not give, which makes the file's identity unreadable.
   */
  private static <T> T attribute(Map<String, Object> attributes, String name, Class<T> type)
      throws IOException {
    Object value = attributes.get(name);
    if (value == null) {
      throw new IOException("no unix:" + name + " attribute");
    }
    return type.cast(value);
  }

  // ------------------------------------------------------------------ content sample

  /*
   * Why a content sample, and why this one. The identity must tell "the file the save left, with
   * the RAM the save left" from "a file created again at the same path" without relying on the
   * modification time: a QEMU started with prealloc=on writes every page of its RAM file back
   * unchanged (QEMU's touch_all_pages, or MADV_POPULATE_WRITE), which sets st_mtime and st_ctime
   * before the restore even starts. Device, inode, size and boot id stay; but a disk file system
   * gives a file created again the inode just freed, so they do not prove the contents. What a new
   * file (QEMU's, or anyone's) always differs in is its contents: zero-filled.
   *
   * So the save reads a few pages and records their digest, and the restore reads the same pages
   * again. The save reads them after the migration completed, when the guest no longer runs and
   * nothing writes guest RAM; the target QEMU waits in inmigrate during the restore's read, and
   * writes nothing either (its ROMs are not copied into RAM while it waits for an incoming
   * migration; prealloc writes back what it read). Only pages that held data are recorded (a page
   * of zeros cannot tell a new file from the old one); page 0 and up to SAMPLE_CANDIDATES evenly
   * spread pages are looked at, and the first SAMPLE_PAGES with data are kept.
   *
   * Cost: at the save, at most SAMPLE_CANDIDATES pages (1 MiB) read from a file QEMU just had
   * mapped, so from the page cache, and a SHA-256 of at most 64 KiB: under a millisecond, once,
   * while the VM is down anyway. At the restore, SAMPLE_PAGES reads (64 KiB) with the VM down: from
   * memory on tmpfs and hugetlbfs, and at worst 16 random reads of a cold disk after a reboot (a
   * few milliseconds on an SSD). Never the whole file: guest RAM can be hundreds of GiB.
   *
   * A guest that kept running after the save (a 'cont' on the source) has most likely written some
   * of the sampled pages, and the restore then refuses, as it should: the device state no longer
   * matches that RAM. It is no proof that the guest did not run (16 pages of many), which is what
   * the manifest's marks and the save's quit are for. A DAX device has no read() (device-dax only
   * maps), so it has no sample: sysfs identifies it instead. When the sampled pages are all zero,
   * or the save could not read the file, there is no sample, and only then a file on a disk falls
   * back to the modification time, as before.
   */

  /** The size of a sampled page: the smallest page size, and the read's granularity. */
  static final int SAMPLE_PAGE_SIZE = 4096;

  /** How many pages with data the save records. */
  static final int SAMPLE_PAGES = 16;

  /** How many evenly spread pages the save looks at to find them. */
  static final int SAMPLE_CANDIDATES = 256;

  /**
   * Reads a content sample of the file at {@code path}, or {@code null} when it cannot be read or
   * none of the pages looked at held data.
   */
  static CprManifest.@Nullable ContentSample sample(Path path, long size) {
    long pages = size / SAMPLE_PAGE_SIZE;
    if (pages == 0) {
      return null;
    }
    long candidates = Math.min(pages, SAMPLE_CANDIDATES);
    List<Long> offsets = new ArrayList<>();
    MessageDigest digest = sha256();
    ByteBuffer page = ByteBuffer.allocate(SAMPLE_PAGE_SIZE);
    try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
      for (long i = 0; i < candidates && offsets.size() < SAMPLE_PAGES; i++) {
        long offset = (i * pages / candidates) * SAMPLE_PAGE_SIZE;
        if (!readPage(ch, offset, page)) {
          return null;
        }
        if (!isZero(page)) {
          offsets.add(offset);
          digest.update(page.flip());
        }
      }
    } catch (IOException | RuntimeException e) {
      return null;
    }
    return offsets.isEmpty()
        ? null
        : new CprManifest.ContentSample(
            SAMPLE_PAGE_SIZE, offsets, HexFormat.of().formatHex(digest.digest()));
  }

  /**
   * Why the pages of {@code path} at the sample's offsets differ from the save's, or {@code null}
   * when their digest matches.
   */
  static @Nullable String sampleDifference(Path path, CprManifest.ContentSample saved) {
    MessageDigest digest = sha256();
    ByteBuffer page = ByteBuffer.allocate(saved.pageSize());
    try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
      for (long offset : saved.offsets()) {
        if (!readPage(ch, offset, page)) {
          return "it ends before offset " + offset + ", where the save read guest RAM";
        }
        digest.update(page.flip());
      }
    } catch (IOException | RuntimeException e) {
      return "its content cannot be read to compare it with the save's (" + e + ")";
    }
    String now = HexFormat.of().formatHex(digest.digest());
    return now.equals(saved.sha256())
        ? null
        : saved.offsets().size() == 1
            ? "the page the save sampled holds other content now"
            : "the " + saved.offsets().size() + " pages the save sampled hold other content now";
  }

  /** Reads a whole page at {@code offset} into {@code page}; {@code false} at the end of file. */
  private static boolean readPage(FileChannel ch, long offset, ByteBuffer page) throws IOException {
    page.clear();
    while (page.hasRemaining()) {
      int n = ch.read(page, offset + page.position());
      if (n < 0) {
        return false;
      }
    }
    return true;
  }

  private static boolean isZero(ByteBuffer page) {
    for (int i = 0; i < page.limit(); i += Long.BYTES) {
      if (page.getLong(i) != 0) {
        return false;
      }
    }
    return true;
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
  }

  // ------------------------------------------------------------------ DAX devices

  private static final Path SYSFS = Path.of("/sys");

  /**
   * What sysfs says of the character device {@code rdev}, or {@code null} when it is not a DAX
   * device (its subsystem is not {@code dax}) or cannot be read. {@code /sys/dev/char/MAJ:MIN} is
   * the device-dax instance: its {@code subsystem} is the dax bus (or the older dax class), its
   * {@code size} the bytes it maps; its parent ({@code device}), for an NVDIMM namespace in devdax
   * mode, has the {@code uuid} written in the namespace's info block, which a reboot keeps. The
   * parent is found by the device's place in the tree: a dev_dax has no {@code device} link.
   */
  static CprManifest.@Nullable DaxDevice daxDevice(long rdev, Path sysfs) {
    try {
      Path dir = sysfs.resolve("dev/char/" + deviceNumber(rdev)).toRealPath();
      Path subsystem = Files.readSymbolicLink(dir.resolve("subsystem")).getFileName();
      if (subsystem == null || !subsystem.toString().equals("dax")) {
        return null;
      }
      long size = Long.parseLong(Files.readString(dir.resolve("size")).strip());
      String uuid = null;
      // The namespace's uuid is on the dev_dax's parent (the nd_dax device of an NVDIMM namespace
      // in devdax mode): a dev_dax sits on the dax bus without a class, so it has no "device"
      // link to its parent, only its place in the tree.
      Path parent = dir.getParent();
      Path uuidFile = parent != null ? parent.resolve("uuid") : dir.resolve("uuid");
      if (Files.isReadable(uuidFile)) {
        String u = Files.readString(uuidFile).strip();
        uuid = u.isEmpty() || u.matches("[0-]*") ? null : u;
      }
      Path name = dir.getFileName();
      return new CprManifest.DaxDevice(name != null ? name.toString() : "unknown", size, uuid);
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  /**
   * Why the file at {@code memPath} is not the one recorded as {@code saved}, or {@code null} when
   * it is. A regular file must have the same file system, inode and size (and, within the boot of
   * the save, the same device: a disk's device number may change across a reboot), and its content
   * sample must match; after a reboot, a file system held in memory has lost the RAM. A DAX device
   * must be a DAX device of the same size and uuid (and, within the boot, the same device number).
   */
  static @Nullable String differences(
      CprManifest.RamFile saved, String memPath, @Nullable String bootIdNow) {
    return differences(saved, memPath, bootIdNow, SYSFS);
  }

  static @Nullable String differences(
      CprManifest.RamFile saved, String memPath, @Nullable String bootIdNow, Path sysfs) {
    Path path = Path.of(memPath);
    boolean sameBoot = saved.hostBootId() != null && saved.hostBootId().equals(bootIdNow);
    boolean rebooted =
        saved.hostBootId() != null && bootIdNow != null && !saved.hostBootId().equals(bootIdNow);
    if (rebooted && saved.characterDevice() == null && isVolatile(saved.fileSystem())) {
      return memPath
          + " was on "
          + saved.fileSystem()
          + ", and the host has rebooted since the"
          + " save (boot id "
          + saved.hostBootId()
          + ", now "
          + bootIdNow
          + "): a reboot empties "
          + saved.fileSystem()
          + ", so the guest's RAM is gone";
    }
    CprManifest.RamFile now = stat(path, sysfs);
    if (now == null) {
      return memPath + " is gone or cannot be read";
    }
    if (saved.characterDevice() != null) {
      return daxDifferences(saved, now, memPath, sameBoot);
    }
    String was = describe(saved);
    if (now.characterDevice() != null
        || !saved.fileSystem().equals(now.fileSystem())
        || saved.inode() != now.inode()
        || saved.size() != now.size()
        || (sameBoot && saved.device() != now.device())) {
      return notTheFile(memPath, now, was, "deleted and created again, or replaced");
    }
    CprManifest.ContentSample sample = saved.contentSample();
    if (sample != null) {
      String why = sampleDifference(path, sample);
      return why == null
          ? null
          : notTheFile(memPath, now, was, why + ": created again, or written since");
    }
    // No sample: the save could not read the file, or the pages it looked at were all zero. A file
    // system held in memory never gives a new file an inode it used before within a boot; a disk
    // does, and then only the modification time is left to tell them apart.
    if (!isVolatile(saved.fileSystem())
        && saved.modifiedAt() != null
        && !saved.modifiedAt().equals(now.modifiedAt())) {
      return notTheFile(
          memPath,
          now,
          was,
          "modified since; the manifest has no sample of its"
              + " content to tell a prealloc=on QEMU's rewrite from a file created again");
    }
    return null;
  }

  private static String notTheFile(
      String memPath, CprManifest.RamFile now, String was, String why) {
    return memPath
        + " is not the file the save left there: it is "
        + describe(now)
        + ", the save's was "
        + was
        + " ("
        + why
        + "): it does not hold the RAM the save left";
  }

  private static @Nullable String daxDifferences(
      CprManifest.RamFile saved, CprManifest.RamFile now, String memPath, boolean sameBoot) {
    Long savedRdev = java.util.Objects.requireNonNull(saved.characterDevice());
    Long nowRdev = now.characterDevice();
    if (nowRdev == null) {
      return memPath + " was a character device (a DAX device) at the save, and is not now";
    }
    if (sameBoot && !savedRdev.equals(nowRdev)) {
      return memPath
          + " is another device ("
          + deviceNumber(nowRdev)
          + ", not "
          + deviceNumber(savedRdev)
          + ")";
    }
    CprManifest.DaxDevice was = saved.daxDevice();
    CprManifest.DaxDevice is = now.daxDevice();
    if (is == null) {
      if (sameBoot && was == null) {
        return null; // the very device of the save, in the same boot, as older manifests knew it
      }
      return memPath
          + " ("
          + deviceNumber(nowRdev)
          + ") is not a DAX device (its sysfs"
          + " subsystem is not dax), but the save's RAM was on DAX device "
          + deviceNumber(savedRdev);
    }
    if (was == null) {
      return sameBoot
          ? null
          : memPath
              + " is DAX device "
              + is.name()
              + ", but the manifest does not say which DAX"
              + " device the save's was (an older save, or sysfs could not be read): after a"
              + " reboot, device numbers do not tell them apart";
    }
    if (was.size() != is.size()) {
      return memPath
          + " is DAX device "
          + is.name()
          + " of "
          + is.size()
          + " bytes, but the"
          + " save's was "
          + was.name()
          + " of "
          + was.size()
          + " bytes";
    }
    if (was.uuid() != null && !was.uuid().equals(is.uuid())) {
      return memPath
          + " is DAX device "
          + is.name()
          + " with uuid "
          + is.uuid()
          + ", but the"
          + " save's was "
          + was.name()
          + " with uuid "
          + was.uuid();
    }
    return null;
  }

  private static String describe(CprManifest.RamFile f) {
    if (f.characterDevice() != null) {
      return "character device " + deviceNumber(f.characterDevice());
    }
    return "inode "
        + f.inode()
        + " on "
        + f.fileSystem()
        + " device "
        + deviceNumber(f.device())
        + ", "
        + f.size()
        + " bytes, modified "
        + f.modifiedAt();
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
    return new Inspection(qmp, timeout, CompletableFuture.completedFuture(memdevs), Map.of(), true)
        .result();
  }

  /**
   * Sends {@code query-memdev} and, for each of {@code expectedIds}, the QOM reads of {@code type}
   * and {@code mem-path}, without waiting for any reply: a restore sends them with its other
   * queries while the VM is down. {@link Inspection#result()} gives what {@link #inspect} would,
   * but for {@link Backend#discardData()}, which it leaves {@code null}: a restore does not check
   * it, and each read is one more command QEMU serves while the VM is down. A backend that was not
   * expected gets its reads then, and the {@code mem-path} read of a backend that is not a file
   * backend is ignored (QEMU fails it: it has no such property).
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
          guessed.put(
              id,
              new Reads(
                  qmp.executeAsync(new QomGet(path, "type").as(String.class), t),
                  qmp.executeAsync(new QomGet(path, "mem-path").as(String.class), t)));
        }
      }
    }
    return new Inspection(qmp, timeout, memdevs, guessed, false);
  }

  /** The QOM reads sent ahead for one backend. */
  private record Reads(CompletableFuture<String> type, CompletableFuture<String> memPath) {}

  /** An inspection whose first reads are on their way. */
  static final class Inspection {
    private final QmpClient qmp;
    private final Supplier<Duration> timeout;
    private final CompletableFuture<List<MemoryBackend>> memdevs;
    private final Map<String, Reads> guessed;
    private final boolean discardData;

    private Inspection(
        QmpClient qmp,
        Supplier<Duration> timeout,
        CompletableFuture<List<MemoryBackend>> memdevs,
        Map<String, Reads> guessed,
        boolean discardData) {
      this.qmp = qmp;
      this.timeout = timeout;
      this.memdevs = memdevs;
      this.guessed = guessed;
      this.discardData = discardData;
    }

    /**
     * Waits for the reads and sends those that were not guessed; a QOM read that fails is recorded
     * in the backend, a failing {@code query-memdev} is thrown.
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
            // Only an inspection without guessed reads (inspect) asks for discard-data.
            CompletableFuture<Boolean> discardF =
                discardData
                    ? qmp.executeAsync(new QomGet(path, "discard-data").as(Boolean.class), t)
                    : null;
            memPath = Pipelined.await(memPathF);
            discard = discardF != null ? Pipelined.await(discardF) : null;
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
