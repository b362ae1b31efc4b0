package io.github.qemucpr.api;

import io.github.qemucpr.api.internal.ManifestCodec;
import io.github.qemucpr.qmp.command.RunState;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * The manifest a save writes beside its state file, as {@code <name>.json} with mode 0600. A
 * restore checks the state file against it before it touches QEMU, applies the same mode and
 * capabilities, and marks it restored afterwards.
 *
 * <pre>{@code
 * CprManifest m = CprManifest.read(Path.of("/var/lib/vm1/vm.state")).orElseThrow();
 * System.out.println(m.qemuVersion() + " " + m.stateFileSize() + " restored=" + m.restored());
 * }</pre>
 *
 * @param formatVersion the manifest format, {@value #FORMAT_VERSION} for this version of the SDK
 * @param qemuVersion the version of the QEMU that saved, such as {@code 10.0.2}
 * @param mode the migration mode, {@code cpr-reboot}
 * @param capabilities the migration capabilities that were on during the save
 * @param memoryBackends the guest RAM backends
 * @param memorySavedInPlace whether all guest RAM stayed in its shared files ({@code
 *     x-ignore-shared}); a checkpoint that relies on it is consumed by its first restore
 * @param suspendedByUs whether the save suspended the guest (a restore then wakes it)
 * @param runStateBefore the run state before the save
 * @param stateFileName the state file's name, without directory
 * @param stateFileSize the state file's size in bytes
 * @param stateFileSha256 the state file's SHA-256, in lower-case hex
 * @param blackoutStartedAt when the VM stopped running: the guest's suspend, or QEMU's STOP
 * @param savedAt when the state file was safe on disk
 * @param qemuDowntime QEMU's reported downtime, or {@code null}
 * @param restoreStartedAt when a restore began loading this checkpoint, or {@code null}
 * @param restoredAt when a restore finished, or {@code null}
 */
public record CprManifest(
    int formatVersion,
    String qemuVersion,
    String mode,
    List<String> capabilities,
    List<RamBackend> memoryBackends,
    boolean memorySavedInPlace,
    boolean suspendedByUs,
    RunState runStateBefore,
    String stateFileName,
    long stateFileSize,
    String stateFileSha256,
    @Nullable Instant blackoutStartedAt,
    Instant savedAt,
    @Nullable Duration qemuDowntime,
    @Nullable Instant restoreStartedAt,
    @Nullable Instant restoredAt) {

  /** The format version this SDK writes and reads. */
  public static final int FORMAT_VERSION = 1;

  /** Checks and copies the components. */
  public CprManifest {
    Objects.requireNonNull(qemuVersion, "qemuVersion");
    Objects.requireNonNull(mode, "mode");
    capabilities = List.copyOf(capabilities);
    memoryBackends = List.copyOf(memoryBackends);
    Objects.requireNonNull(runStateBefore, "runStateBefore");
    Objects.requireNonNull(stateFileName, "stateFileName");
    Objects.requireNonNull(stateFileSha256, "stateFileSha256");
    Objects.requireNonNull(savedAt, "savedAt");
  }

  /** Whether a restore of this checkpoint finished. */
  public boolean restored() {
    return restoredAt != null;
  }

  /** The manifest path for a state file: {@code <name>.json} beside it. */
  public static Path pathFor(Path stateFile) {
    Path name = Objects.requireNonNull(stateFile, "stateFile").getFileName();
    if (name == null) {
      throw new IllegalArgumentException("stateFile has no file name: " + stateFile);
    }
    return stateFile.resolveSibling(name + ".json");
  }

  /**
   * Reads the manifest of a state file.
   *
   * @return the manifest, or empty when there is none
   * @throws UncheckedIOException if it exists but cannot be read
   * @throws IllegalArgumentException if it is not a manifest of a format this SDK knows
   */
  public static Optional<CprManifest> read(Path stateFile) {
    return ManifestCodec.read(pathFor(stateFile));
  }

  /**
   * A guest RAM backend at the time of the save.
   *
   * @param id the backend's id, such as {@code ram0}
   * @param type its QOM type, such as {@code memory-backend-file}
   * @param size its size in bytes
   * @param memPath the {@code mem-path} of a file backend, or {@code null}
   * @param share whether it is mapped shared
   * @param savedInPlace whether its contents stayed in place rather than in the state file
   * @param file the identity of the file at {@code memPath} when the RAM stayed in it, which a
   *     restore checks so that it never loads the device state onto another file (a zero-filled one
   *     created again at the same path); {@code null} when the RAM was copied, and in manifests
   *     written before this was recorded
   */
  public record RamBackend(
      String id,
      String type,
      long size,
      @Nullable String memPath,
      boolean share,
      boolean savedInPlace,
      @Nullable RamFile file) {

    /** Checks the components. */
    public RamBackend {
      Objects.requireNonNull(id, "id");
      Objects.requireNonNull(type, "type");
    }

    /** A backend whose file identity was not recorded, as in older manifests. */
    public RamBackend(
        String id,
        String type,
        long size,
        @Nullable String memPath,
        boolean share,
        boolean savedInPlace) {
      this(id, type, size, memPath, share, savedInPlace, null);
    }
  }

  /**
   * The identity of a RAM file, as {@code stat} saw it at the save, with what tells the file and
   * its contents apart across a host reboot. A file deleted and created again at the same path has
   * another inode on a file system held in memory, but on a disk often the very inode just freed:
   * then the {@linkplain #contentSample() content sample} tells them apart (a new file is
   * zero-filled). A host reboot empties a file system held in memory, and may renumber devices.
   *
   * @param fileSystem the type of the file system it is on, such as {@code tmpfs} or {@code ext4}
   * @param device the device number of that file system ({@code st_dev}); stable within one boot
   * @param inode its inode number
   * @param size its size in bytes
   * @param characterDevice for a character device such as a DAX device ({@code /dev/dax0.0}), its
   *     own device number ({@code st_rdev}); {@code null} for a regular file
   * @param modifiedAt its last modification ({@code st_mtime}, to the nanosecond), or {@code null}
   *     if not recorded. Not proof of a change: a QEMU started with {@code prealloc=on} writes
   *     every page back unchanged, which sets it. A restore compares it only for a file on a disk
   *     for which there is no content sample (none of the sampled pages held data)
   * @param hostBootId the host's boot id ({@code /proc/sys/kernel/random/boot_id}) when it was
   *     recorded, or {@code null} where there is none
   * @param contentSample a few pages of the file that held data at the save, which a restore reads
   *     again; {@code null} for a character device, for a file that could not be read or whose
   *     sampled pages were all zero, and in manifests written before it was recorded
   * @param daxDevice for a DAX device, what the kernel says of it, which stays comparable across a
   *     reboot; {@code null} for a regular file, and when it could not be read
   */
  public record RamFile(
      String fileSystem,
      long device,
      long inode,
      long size,
      @Nullable Long characterDevice,
      @Nullable Instant modifiedAt,
      @Nullable String hostBootId,
      @Nullable ContentSample contentSample,
      @Nullable DaxDevice daxDevice) {

    /** Checks the components. */
    public RamFile {
      Objects.requireNonNull(fileSystem, "fileSystem");
    }

    /** An identity without content sample and DAX device, as in older manifests. */
    public RamFile(
        String fileSystem,
        long device,
        long inode,
        long size,
        @Nullable Long characterDevice,
        @Nullable Instant modifiedAt,
        @Nullable String hostBootId) {
      this(fileSystem, device, inode, size, characterDevice, modifiedAt, hostBootId, null, null);
    }
  }

  /**
   * Pages of a RAM file read at the save, after the migration completed (the guest no longer ran),
   * that held data: a restore reads the same pages and compares their digest. A file created again
   * is zero-filled there; a guest that ran on after the save has most likely written some of them.
   *
   * @param pageSize the size of each sampled page in bytes
   * @param offsets the byte offsets of the sampled pages, in the order they were digested
   * @param sha256 the SHA-256 of those pages, one after the other, in lower-case hex
   */
  public record ContentSample(int pageSize, List<Long> offsets, String sha256) {

    /** Checks and copies the components. */
    public ContentSample {
      if (pageSize <= 0) {
        throw new IllegalArgumentException("pageSize must be positive: " + pageSize);
      }
      offsets = List.copyOf(offsets);
      Objects.requireNonNull(sha256, "sha256");
    }
  }

  /**
   * A DAX device ({@code /dev/daxX.Y}) as sysfs shows it ({@code /sys/dev/char/MAJOR:MINOR}). Its
   * device number and name may change across a reboot (with two regions, {@code dax0.0} and {@code
   * dax1.0} can swap); its size does not, nor the uuid of the namespace behind it.
   *
   * @param name the kernel's name for it, such as {@code dax0.0}
   * @param size its size in bytes ({@code size})
   * @param uuid the uuid of the device behind it ({@code device/uuid}, as an NVDIMM namespace's DAX
   *     instance has), or {@code null} where there is none
   */
  public record DaxDevice(String name, long size, @Nullable String uuid) {

    /** Checks the components. */
    public DaxDevice {
      Objects.requireNonNull(name, "name");
    }
  }
}
