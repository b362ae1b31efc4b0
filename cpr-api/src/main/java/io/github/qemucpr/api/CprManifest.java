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
 * capabilities, and marks it restored afterwards. Immutable; two manifests are equal when all their
 * values are.
 *
 * <pre>{@code
 * CprManifest m = CprManifest.read(Path.of("/var/lib/vm1/vm.state")).orElseThrow();
 * System.out.println(m.qemuVersion() + " " + m.stateFileSize() + " restored=" + m.restored());
 * CprManifest unmarked = m.toBuilder().restoreStartedAt(null).restoredAt(null).build();
 * }</pre>
 *
 * <p>A save makes it, and {@link #read} reads it back; the JSON on disk is the SDK's own and does
 * not follow the Java shape. There is no public constructor, so that a value added later breaks no
 * caller: make one with {@link #builder()}, or change one with {@link #toBuilder()}.
 */
public final class CprManifest {

  /** The format version this SDK writes and reads. */
  public static final int FORMAT_VERSION = 1;

  private final int formatVersion;
  private final String qemuVersion;
  private final String mode;
  private final List<String> capabilities;
  private final List<RamBackend> memoryBackends;
  private final boolean memorySavedInPlace;
  private final boolean suspendedByUs;
  private final RunState runStateBefore;
  private final String stateFileName;
  private final long stateFileSize;
  private final String stateFileSha256;
  private final @Nullable Instant blackoutStartedAt;
  private final Instant savedAt;
  private final @Nullable Duration qemuDowntime;
  private final @Nullable Instant restoreStartedAt;
  private final @Nullable Instant restoredAt;

  private CprManifest(Builder b) {
    this.formatVersion = b.formatVersion;
    this.qemuVersion = Objects.requireNonNull(b.qemuVersion, "qemuVersion is required");
    this.mode = Objects.requireNonNull(b.mode, "mode is required");
    this.capabilities = b.capabilities;
    this.memoryBackends = b.memoryBackends;
    this.memorySavedInPlace = b.memorySavedInPlace;
    this.suspendedByUs = b.suspendedByUs;
    this.runStateBefore = Objects.requireNonNull(b.runStateBefore, "runStateBefore is required");
    this.stateFileName = Objects.requireNonNull(b.stateFileName, "stateFileName is required");
    this.stateFileSize = b.stateFileSize;
    this.stateFileSha256 = Objects.requireNonNull(b.stateFileSha256, "stateFileSha256 is required");
    this.blackoutStartedAt = b.blackoutStartedAt;
    this.savedAt = Objects.requireNonNull(b.savedAt, "savedAt is required");
    this.qemuDowntime = b.qemuDowntime;
    this.restoreStartedAt = b.restoreStartedAt;
    this.restoredAt = b.restoredAt;
  }

  /**
   * A builder with no value set but {@code formatVersion}, which is {@link #FORMAT_VERSION}; the
   * lists are empty and the flags false.
   */
  public static Builder builder() {
    return new Builder();
  }

  /** A builder that starts from this manifest's values. */
  public Builder toBuilder() {
    return new Builder()
        .formatVersion(formatVersion)
        .qemuVersion(qemuVersion)
        .mode(mode)
        .capabilities(capabilities)
        .memoryBackends(memoryBackends)
        .memorySavedInPlace(memorySavedInPlace)
        .suspendedByUs(suspendedByUs)
        .runStateBefore(runStateBefore)
        .stateFileName(stateFileName)
        .stateFileSize(stateFileSize)
        .stateFileSha256(stateFileSha256)
        .blackoutStartedAt(blackoutStartedAt)
        .savedAt(savedAt)
        .qemuDowntime(qemuDowntime)
        .restoreStartedAt(restoreStartedAt)
        .restoredAt(restoredAt);
  }

  /** The manifest format, {@value #FORMAT_VERSION} for this version of the SDK. */
  public int formatVersion() {
    return formatVersion;
  }

  /** The version of the QEMU that saved, such as {@code 10.0.2}. */
  public String qemuVersion() {
    return qemuVersion;
  }

  /** The migration mode, {@code cpr-reboot}. */
  public String mode() {
    return mode;
  }

  /** The migration capabilities that were on during the save; unmodifiable. */
  public List<String> capabilities() {
    return capabilities;
  }

  /** The guest RAM backends; unmodifiable. */
  public List<RamBackend> memoryBackends() {
    return memoryBackends;
  }

  /**
   * Whether all guest RAM stayed in its shared files ({@code x-ignore-shared}); a checkpoint that
   * relies on it is consumed by its first restore.
   */
  public boolean memorySavedInPlace() {
    return memorySavedInPlace;
  }

  /** Whether the save suspended the guest (a restore then wakes it). */
  public boolean suspendedByUs() {
    return suspendedByUs;
  }

  /** The run state before the save. */
  public RunState runStateBefore() {
    return runStateBefore;
  }

  /** The state file's name, without directory. */
  public String stateFileName() {
    return stateFileName;
  }

  /** The state file's size in bytes. */
  public long stateFileSize() {
    return stateFileSize;
  }

  /** The state file's SHA-256, in lower-case hex. */
  public String stateFileSha256() {
    return stateFileSha256;
  }

  /**
   * When the VM stopped running: the guest's suspend, or QEMU's {@code STOP}; {@code null} when not
   * known.
   */
  public @Nullable Instant blackoutStartedAt() {
    return blackoutStartedAt;
  }

  /** When the state file was safe on disk. */
  public Instant savedAt() {
    return savedAt;
  }

  /** QEMU's reported downtime, or {@code null}. */
  public @Nullable Duration qemuDowntime() {
    return qemuDowntime;
  }

  /** When a restore began loading this checkpoint, or {@code null}. */
  public @Nullable Instant restoreStartedAt() {
    return restoreStartedAt;
  }

  /** When a restore finished, or {@code null}. */
  public @Nullable Instant restoredAt() {
    return restoredAt;
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

  /** Whether {@code o} is a manifest with the same values. */
  @Override
  public boolean equals(@Nullable Object o) {
    if (this == o) {
      return true;
    }
    if (!(o instanceof CprManifest)) {
      return false;
    }
    CprManifest m = (CprManifest) o;
    return formatVersion == m.formatVersion
        && qemuVersion.equals(m.qemuVersion)
        && mode.equals(m.mode)
        && capabilities.equals(m.capabilities)
        && memoryBackends.equals(m.memoryBackends)
        && memorySavedInPlace == m.memorySavedInPlace
        && suspendedByUs == m.suspendedByUs
        && runStateBefore.equals(m.runStateBefore)
        && stateFileName.equals(m.stateFileName)
        && stateFileSize == m.stateFileSize
        && stateFileSha256.equals(m.stateFileSha256)
        && Objects.equals(blackoutStartedAt, m.blackoutStartedAt)
        && savedAt.equals(m.savedAt)
        && Objects.equals(qemuDowntime, m.qemuDowntime)
        && Objects.equals(restoreStartedAt, m.restoreStartedAt)
        && Objects.equals(restoredAt, m.restoredAt);
  }

  /** A hash of all the values. */
  @Override
  public int hashCode() {
    return Objects.hash(
        formatVersion,
        qemuVersion,
        mode,
        capabilities,
        memoryBackends,
        memorySavedInPlace,
        suspendedByUs,
        runStateBefore,
        stateFileName,
        stateFileSize,
        stateFileSha256,
        blackoutStartedAt,
        savedAt,
        qemuDowntime,
        restoreStartedAt,
        restoredAt);
  }

  /** Every value by name, as a record prints: {@code CprManifest[formatVersion=1, ...]}. */
  @Override
  public String toString() {
    return "CprManifest[formatVersion="
        + formatVersion
        + ", qemuVersion="
        + qemuVersion
        + ", mode="
        + mode
        + ", capabilities="
        + capabilities
        + ", memoryBackends="
        + memoryBackends
        + ", memorySavedInPlace="
        + memorySavedInPlace
        + ", suspendedByUs="
        + suspendedByUs
        + ", runStateBefore="
        + runStateBefore
        + ", stateFileName="
        + stateFileName
        + ", stateFileSize="
        + stateFileSize
        + ", stateFileSha256="
        + stateFileSha256
        + ", blackoutStartedAt="
        + blackoutStartedAt
        + ", savedAt="
        + savedAt
        + ", qemuDowntime="
        + qemuDowntime
        + ", restoreStartedAt="
        + restoreStartedAt
        + ", restoredAt="
        + restoredAt
        + "]";
  }

  /**
   * Builds a {@link CprManifest}. Each setter rejects {@code null} unless the value may be absent;
   * {@link #build()} requires {@code qemuVersion}, {@code mode}, {@code runStateBefore}, {@code
   * stateFileName}, {@code stateFileSha256} and {@code savedAt}. A setter called again replaces the
   * value. Not thread-safe.
   */
  public static final class Builder {
    private int formatVersion = FORMAT_VERSION;
    private @Nullable String qemuVersion;
    private @Nullable String mode;
    private List<String> capabilities = List.of();
    private List<RamBackend> memoryBackends = List.of();
    private boolean memorySavedInPlace;
    private boolean suspendedByUs;
    private @Nullable RunState runStateBefore;
    private @Nullable String stateFileName;
    private long stateFileSize;
    private @Nullable String stateFileSha256;
    private @Nullable Instant blackoutStartedAt;
    private @Nullable Instant savedAt;
    private @Nullable Duration qemuDowntime;
    private @Nullable Instant restoreStartedAt;
    private @Nullable Instant restoredAt;

    private Builder() {}

    /** Sets {@link CprManifest#formatVersion()}; {@link #FORMAT_VERSION} unless set. */
    public Builder formatVersion(int formatVersion) {
      this.formatVersion = formatVersion;
      return this;
    }

    /** Sets {@link CprManifest#qemuVersion()}; required. */
    public Builder qemuVersion(String qemuVersion) {
      this.qemuVersion = Objects.requireNonNull(qemuVersion, "qemuVersion");
      return this;
    }

    /** Sets {@link CprManifest#mode()}; required. */
    public Builder mode(String mode) {
      this.mode = Objects.requireNonNull(mode, "mode");
      return this;
    }

    /**
     * Sets {@link CprManifest#capabilities()}, copied; empty unless set.
     *
     * @throws NullPointerException if the list or an element is null
     */
    public Builder capabilities(List<String> capabilities) {
      this.capabilities = List.copyOf(Objects.requireNonNull(capabilities, "capabilities"));
      return this;
    }

    /**
     * Sets {@link CprManifest#memoryBackends()}, copied; empty unless set.
     *
     * @throws NullPointerException if the list or an element is null
     */
    public Builder memoryBackends(List<RamBackend> memoryBackends) {
      this.memoryBackends = List.copyOf(Objects.requireNonNull(memoryBackends, "memoryBackends"));
      return this;
    }

    /** Sets {@link CprManifest#memorySavedInPlace()}; {@code false} unless set. */
    public Builder memorySavedInPlace(boolean memorySavedInPlace) {
      this.memorySavedInPlace = memorySavedInPlace;
      return this;
    }

    /** Sets {@link CprManifest#suspendedByUs()}; {@code false} unless set. */
    public Builder suspendedByUs(boolean suspendedByUs) {
      this.suspendedByUs = suspendedByUs;
      return this;
    }

    /** Sets {@link CprManifest#runStateBefore()}; required. */
    public Builder runStateBefore(RunState runStateBefore) {
      this.runStateBefore = Objects.requireNonNull(runStateBefore, "runStateBefore");
      return this;
    }

    /** Sets {@link CprManifest#stateFileName()}; required. */
    public Builder stateFileName(String stateFileName) {
      this.stateFileName = Objects.requireNonNull(stateFileName, "stateFileName");
      return this;
    }

    /** Sets {@link CprManifest#stateFileSize()}; 0 unless set. */
    public Builder stateFileSize(long stateFileSize) {
      this.stateFileSize = stateFileSize;
      return this;
    }

    /** Sets {@link CprManifest#stateFileSha256()}; required. */
    public Builder stateFileSha256(String stateFileSha256) {
      this.stateFileSha256 = Objects.requireNonNull(stateFileSha256, "stateFileSha256");
      return this;
    }

    /** Sets {@link CprManifest#blackoutStartedAt()}; {@code null} (not known) unless set. */
    public Builder blackoutStartedAt(@Nullable Instant blackoutStartedAt) {
      this.blackoutStartedAt = blackoutStartedAt;
      return this;
    }

    /** Sets {@link CprManifest#savedAt()}; required. */
    public Builder savedAt(Instant savedAt) {
      this.savedAt = Objects.requireNonNull(savedAt, "savedAt");
      return this;
    }

    /** Sets {@link CprManifest#qemuDowntime()}; {@code null} (none reported) unless set. */
    public Builder qemuDowntime(@Nullable Duration qemuDowntime) {
      this.qemuDowntime = qemuDowntime;
      return this;
    }

    /** Sets {@link CprManifest#restoreStartedAt()}; {@code null} (no restore began) unless set. */
    public Builder restoreStartedAt(@Nullable Instant restoreStartedAt) {
      this.restoreStartedAt = restoreStartedAt;
      return this;
    }

    /** Sets {@link CprManifest#restoredAt()}; {@code null} (not restored) unless set. */
    public Builder restoredAt(@Nullable Instant restoredAt) {
      this.restoredAt = restoredAt;
      return this;
    }

    /**
     * The manifest.
     *
     * @throws NullPointerException if a required value was not set; the message names it, such as
     *     {@code "savedAt is required"}
     */
    public CprManifest build() {
      return new CprManifest(this);
    }
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
   * Immutable; two identities are equal when all their values are.
   *
   * <pre>{@code
   * CprManifest.RamFile file = backend.file();
   * if (file != null && file.daxDevice() != null) {
   *   System.out.println(file.daxDevice().name() + " on " + file.fileSystem());
   * }
   * }</pre>
   *
   * <p>A save makes it; it has grown twice already, so it has no public constructor but a {@link
   * #builder()} and {@link #toBuilder()}, and a value added later breaks no caller.
   */
  public static final class RamFile {
    private final String fileSystem;
    private final long device;
    private final long inode;
    private final long size;
    private final @Nullable Long characterDevice;
    private final @Nullable Instant modifiedAt;
    private final @Nullable String hostBootId;
    private final @Nullable ContentSample contentSample;
    private final @Nullable DaxDevice daxDevice;

    private RamFile(Builder b) {
      this.fileSystem = Objects.requireNonNull(b.fileSystem, "fileSystem is required");
      this.device = b.device;
      this.inode = b.inode;
      this.size = b.size;
      this.characterDevice = b.characterDevice;
      this.modifiedAt = b.modifiedAt;
      this.hostBootId = b.hostBootId;
      this.contentSample = b.contentSample;
      this.daxDevice = b.daxDevice;
    }

    /** A builder with no value set; the numbers are 0 and the optional values {@code null}. */
    public static Builder builder() {
      return new Builder();
    }

    /** A builder that starts from this identity's values. */
    public Builder toBuilder() {
      return new Builder()
          .fileSystem(fileSystem)
          .device(device)
          .inode(inode)
          .size(size)
          .characterDevice(characterDevice)
          .modifiedAt(modifiedAt)
          .hostBootId(hostBootId)
          .contentSample(contentSample)
          .daxDevice(daxDevice);
    }

    /** The type of the file system it is on, such as {@code tmpfs} or {@code ext4}. */
    public String fileSystem() {
      return fileSystem;
    }

    /** The device number of that file system ({@code st_dev}); stable within one boot. */
    public long device() {
      return device;
    }

    /** Its inode number. */
    public long inode() {
      return inode;
    }

    /** Its size in bytes. */
    public long size() {
      return size;
    }

    /**
     * For a character device such as a DAX device ({@code /dev/dax0.0}), its own device number
     * ({@code st_rdev}); {@code null} for a regular file.
     */
    public @Nullable Long characterDevice() {
      return characterDevice;
    }

    /**
     * Its last modification ({@code st_mtime}, to the nanosecond), or {@code null} if not recorded.
     * Not proof of a change: a QEMU started with {@code prealloc=on} writes every page back
     * unchanged, which sets it. A restore compares it only for a file on a disk for which there is
     * no content sample (none of the sampled pages held data).
     */
    public @Nullable Instant modifiedAt() {
      return modifiedAt;
    }

    /**
     * The host's boot id ({@code /proc/sys/kernel/random/boot_id}) when it was recorded, or {@code
     * null} where there is none.
     */
    public @Nullable String hostBootId() {
      return hostBootId;
    }

    /**
     * A few pages of the file that held data at the save, which a restore reads again; {@code null}
     * for a character device, for a file that could not be read or whose sampled pages were all
     * zero, and in manifests written before it was recorded.
     */
    public @Nullable ContentSample contentSample() {
      return contentSample;
    }

    /**
     * For a DAX device, what the kernel says of it, which stays comparable across a reboot; {@code
     * null} for a regular file, and when it could not be read.
     */
    public @Nullable DaxDevice daxDevice() {
      return daxDevice;
    }

    /** Whether {@code o} is a RAM file identity with the same values. */
    @Override
    public boolean equals(@Nullable Object o) {
      if (this == o) {
        return true;
      }
      if (!(o instanceof RamFile)) {
        return false;
      }
      RamFile f = (RamFile) o;
      return fileSystem.equals(f.fileSystem)
          && device == f.device
          && inode == f.inode
          && size == f.size
          && Objects.equals(characterDevice, f.characterDevice)
          && Objects.equals(modifiedAt, f.modifiedAt)
          && Objects.equals(hostBootId, f.hostBootId)
          && Objects.equals(contentSample, f.contentSample)
          && Objects.equals(daxDevice, f.daxDevice);
    }

    /** A hash of all the values. */
    @Override
    public int hashCode() {
      return Objects.hash(
          fileSystem,
          device,
          inode,
          size,
          characterDevice,
          modifiedAt,
          hostBootId,
          contentSample,
          daxDevice);
    }

    /** Every value by name, as a record prints: {@code RamFile[fileSystem=tmpfs, ...]}. */
    @Override
    public String toString() {
      return "RamFile[fileSystem="
          + fileSystem
          + ", device="
          + device
          + ", inode="
          + inode
          + ", size="
          + size
          + ", characterDevice="
          + characterDevice
          + ", modifiedAt="
          + modifiedAt
          + ", hostBootId="
          + hostBootId
          + ", contentSample="
          + contentSample
          + ", daxDevice="
          + daxDevice
          + "]";
    }

    /**
     * Builds a {@link RamFile}. {@link #build()} requires {@code fileSystem}; every other value is
     * 0 or {@code null} unless set. A setter called again replaces the value. Not thread-safe.
     */
    public static final class Builder {
      private @Nullable String fileSystem;
      private long device;
      private long inode;
      private long size;
      private @Nullable Long characterDevice;
      private @Nullable Instant modifiedAt;
      private @Nullable String hostBootId;
      private @Nullable ContentSample contentSample;
      private @Nullable DaxDevice daxDevice;

      private Builder() {}

      /** Sets {@link RamFile#fileSystem()}; required. */
      public Builder fileSystem(String fileSystem) {
        this.fileSystem = Objects.requireNonNull(fileSystem, "fileSystem");
        return this;
      }

      /** Sets {@link RamFile#device()}. */
      public Builder device(long device) {
        this.device = device;
        return this;
      }

      /** Sets {@link RamFile#inode()}. */
      public Builder inode(long inode) {
        this.inode = inode;
        return this;
      }

      /** Sets {@link RamFile#size()}. */
      public Builder size(long size) {
        this.size = size;
        return this;
      }

      /** Sets {@link RamFile#characterDevice()}; {@code null} for a regular file. */
      public Builder characterDevice(@Nullable Long characterDevice) {
        this.characterDevice = characterDevice;
        return this;
      }

      /** Sets {@link RamFile#modifiedAt()}. */
      public Builder modifiedAt(@Nullable Instant modifiedAt) {
        this.modifiedAt = modifiedAt;
        return this;
      }

      /** Sets {@link RamFile#hostBootId()}. */
      public Builder hostBootId(@Nullable String hostBootId) {
        this.hostBootId = hostBootId;
        return this;
      }

      /** Sets {@link RamFile#contentSample()}. */
      public Builder contentSample(@Nullable ContentSample contentSample) {
        this.contentSample = contentSample;
        return this;
      }

      /** Sets {@link RamFile#daxDevice()}. */
      public Builder daxDevice(@Nullable DaxDevice daxDevice) {
        this.daxDevice = daxDevice;
        return this;
      }

      /**
       * The identity.
       *
       * @throws NullPointerException if {@code fileSystem} was not set ({@code "fileSystem is
       *     required"})
       */
      public RamFile build() {
        return new RamFile(this);
      }
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
