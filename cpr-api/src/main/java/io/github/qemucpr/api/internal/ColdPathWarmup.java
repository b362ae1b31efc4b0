package io.github.qemucpr.api.internal;

import io.github.qemucpr.api.CprManifest;
import io.github.qemucpr.qmp.command.RunState;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Runs, once per JVM and in memory, the parts of a save and a restore inside the blackout that cost
 * most the first time they run: the manifest's JSON mapper, a manifest written and read back with
 * its marks, and SHA-256 in hex. In a fresh JVM they take tens to hundreds of milliseconds the
 * first time (the mapper's set-up, class loading, the digest's provider), against a couple once
 * warm: a manager that saves a VM rarely would pay that inside the blackout. Every preflight calls
 * {@link #runOnce()} before it checks anything, outside the blackout; {@code CprReboot.warmUp()}
 * lets a caller do it at its own start, for a restore in a JVM that has not saved.
 *
 * <p>It touches neither QEMU nor a file, and what it throws is dropped: the real save or restore
 * meets and reports whatever failed here.
 */
public final class ColdPathWarmup {

  private static final AtomicBoolean DONE = new AtomicBoolean();

  private ColdPathWarmup() {}

  /** Runs the warm-up unless this JVM has run it already; never throws. */
  public static void runOnce() {
    if (!DONE.compareAndSet(false, true)) {
      return;
    }
    try {
      warm();
    } catch (RuntimeException | NoSuchAlgorithmException e) {
      // Only a warm-up: the save or restore itself meets and reports whatever failed here.
    }
  }

  /**
   * The warm-up itself, which throws what it meets: a test checks that its sample manifest stays
   * one the codec writes and reads back.
   *
   * @return the manifest read back after its restore marks
   */
  static CprManifest warm() throws NoSuchAlgorithmException {
    Instant now = Instant.now();
    CprManifest.RamFile file =
        CprManifest.RamFile.builder()
            .fileSystem("tmpfs")
            .device(1)
            .inode(1)
            .size(4096)
            .modifiedAt(now)
            .hostBootId("00000000-0000-0000-0000-000000000000")
            .contentSample(new CprManifest.ContentSample(4096, List.of(0L), "00".repeat(32)))
            .build();
    CprManifest sample =
        CprManifest.builder()
            .qemuVersion("0.0.0")
            .mode("cpr-reboot")
            .capabilities(List.of("x-ignore-shared"))
            .memoryBackends(
                List.of(
                    new CprManifest.RamBackend(
                        "ram0", "memory-backend-file", 4096, "/dev/shm/ram0", true, true, file)))
            .memorySavedInPlace(true)
            .runStateBefore(RunState.RUNNING)
            .stateFileName("warm-up.state")
            .stateFileSize(4096)
            .stateFileSha256(sha256Hex())
            .blackoutStartedAt(now)
            .savedAt(now)
            .qemuDowntime(Duration.ofMillis(1))
            .build();
    CprManifest read = ManifestCodec.decode(ManifestCodec.encode(sample));
    return ManifestCodec.decode(
        ManifestCodec.encode(
            ManifestCodec.withRestored(ManifestCodec.withRestoreStarted(read, now), now)));
  }

  /**
   * Hashes 1 MiB as {@link StateFiles#sha256} hashes a state file: 16,384 blocks, so that the JIT
   * compiles the digest's block function (and its CPU intrinsic) before the save hashes its state
   * file inside the blackout; interpreted, that costs tens of milliseconds for 300 KiB.
   */
  private static String sha256Hex() throws NoSuchAlgorithmException {
    MessageDigest digest = MessageDigest.getInstance("SHA-256");
    ByteBuffer chunk = ByteBuffer.allocate(64 << 10);
    for (int i = 0; i < 16; i++) {
      chunk.clear();
      digest.update(chunk);
    }
    return HexFormat.of().formatHex(digest.digest());
  }
}
