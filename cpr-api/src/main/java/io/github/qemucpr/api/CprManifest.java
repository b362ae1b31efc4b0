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
   *     restore checks so that it never loads the device state onto another file (a zero-filled
   *     one created again at the same path); {@code null} when the RAM was copied, and in
   *     manifests written before this was recorded
   */
  public record RamBackend(
      String id, String type, long size, @Nullable String memPath, boolean share,
      boolean savedInPlace, @Nullable RamFile file) {

    /** Checks the components. */
    public RamBackend {
      Objects.requireNonNull(id, "id");
      Objects.requireNonNull(type, "type");
    }

    /** A backend whose file identity was not recorded, as in older manifests. */
    public RamBackend(
        String id, String type, long size, @Nullable String memPath, boolean share,
        boolean savedInPlace) {
      this(id, type, size, memPath, share, savedInPlace, null);
    }
  }

  /**
   * The identity of a RAM file, as {@code stat} saw it at the save. A file deleted and created
   * again at the same path has another inode; a host reboot empties a file system held in memory.
   *
   * @param fileSystem the type of the file system it is on, such as {@code tmpfs} or {@code ext4}
   * @param device the device number of that file system ({@code st_dev}); stable within one boot
   * @param inode its inode number
   * @param size its size in bytes
   * @param characterDevice for a character device such as a DAX device ({@code /dev/dax0.0}), its
   *     own device number ({@code st_rdev}); {@code null} for a regular file
   * @param modifiedAt its last modification ({@code st_mtime}, to the nanosecond): a disk file
   *     system gives a file created again at the same path the inode just freed, but not the same
   *     time; {@code null} if not recorded
   * @param hostBootId the host's boot id ({@code /proc/sys/kernel/random/boot_id}) when it was
   *     recorded, or {@code null} where there is none
   */
  public record RamFile(
      String fileSystem, long device, long inode, long size, @Nullable Long characterDevice,
      @Nullable Instant modifiedAt, @Nullable String hostBootId) {

    /** Checks the components. */
    public RamFile {
      Objects.requireNonNull(fileSystem, "fileSystem");
    }
  }
}
