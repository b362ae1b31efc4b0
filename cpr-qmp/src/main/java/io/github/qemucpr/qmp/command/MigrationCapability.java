package io.github.qemucpr.qmp.command;

import java.util.Objects;

/**
 * A migration capability, as {@code migrate-set-capabilities} and {@code
 * query-migrate-capabilities} name it. An open set: a capability this SDK does not know is kept as
 * it came.
 *
 * @param wireName the capability as QEMU spells it, such as {@code x-ignore-shared}
 */
public record MigrationCapability(String wireName) {
  /** Compress repeated pages with XBZRLE. */
  public static final MigrationCapability XBZRLE = new MigrationCapability("xbzrle");

  /** Pin all guest memory for RDMA up front. */
  public static final MigrationCapability RDMA_PIN_ALL = new MigrationCapability("rdma-pin-all");

  /** Throttle the guest's CPUs when the migration does not converge. */
  public static final MigrationCapability AUTO_CONVERGE = new MigrationCapability("auto-converge");

  /** Skip zero blocks of block migration. */
  public static final MigrationCapability ZERO_BLOCKS = new MigrationCapability("zero-blocks");

  /** Emit the {@code MIGRATION} and {@code MIGRATION_PASS} events. */
  public static final MigrationCapability EVENTS = new MigrationCapability("events");

  /** Allow switching to postcopy; refused with CPR modes. */
  public static final MigrationCapability POSTCOPY_RAM = new MigrationCapability("postcopy-ram");

  /** COarse-grained LOck-stepping; refused with CPR modes. */
  public static final MigrationCapability X_COLO = new MigrationCapability("x-colo");

  /** Release source RAM as it is sent. */
  public static final MigrationCapability RELEASE_RAM = new MigrationCapability("release-ram");

  /** Open a return path from destination to source. */
  public static final MigrationCapability RETURN_PATH = new MigrationCapability("return-path");

  /** Pause before switching over, until {@code migrate-continue}. */
  public static final MigrationCapability PAUSE_BEFORE_SWITCHOVER =
      new MigrationCapability("pause-before-switchover");

  /** Send RAM over several channels. */
  public static final MigrationCapability MULTIFD = new MigrationCapability("multifd");

  /** Migrate dirty bitmaps of block devices; counts as postcopy, so refused with CPR modes. */
  public static final MigrationCapability DIRTY_BITMAPS = new MigrationCapability("dirty-bitmaps");

  /** Track postcopy blocking time. */
  public static final MigrationCapability POSTCOPY_BLOCKTIME =
      new MigrationCapability("postcopy-blocktime");

  /** Activate block devices late on the destination. */
  public static final MigrationCapability LATE_BLOCK_ACTIVATE =
      new MigrationCapability("late-block-activate");

  /**
   * Do not send RAM that lives in shared memory backends ({@code share=on}): the destination finds
   * it in place. The heart of cpr-reboot with a {@code memory-backend-file}.
   */
  public static final MigrationCapability X_IGNORE_SHARED =
      new MigrationCapability("x-ignore-shared");

  /** Check that source and destination have the same VM UUID. */
  public static final MigrationCapability VALIDATE_UUID = new MigrationCapability("validate-uuid");

  /** Take a snapshot while the VM keeps running; refused with CPR modes. */
  public static final MigrationCapability BACKGROUND_SNAPSHOT =
      new MigrationCapability("background-snapshot");

  /** Send pages with zero-copy. */
  public static final MigrationCapability ZERO_COPY_SEND =
      new MigrationCapability("zero-copy-send");

  /** Use a separate channel for postcopy page requests. */
  public static final MigrationCapability POSTCOPY_PREEMPT =
      new MigrationCapability("postcopy-preempt");

  /** Wait for the destination's acknowledgement before switching over. */
  public static final MigrationCapability SWITCHOVER_ACK =
      new MigrationCapability("switchover-ack");

  /** Throttle with the dirty-limit mechanism. */
  public static final MigrationCapability DIRTY_LIMIT = new MigrationCapability("dirty-limit");

  /** Write RAM to fixed offsets of a file migration. */
  public static final MigrationCapability MAPPED_RAM = new MigrationCapability("mapped-ram");

  /** Checks the name. */
  public MigrationCapability {
    Objects.requireNonNull(wireName, "wireName");
  }

  /** The capability with this name, known or not. */
  public static MigrationCapability of(String wireName) {
    return new MigrationCapability(wireName);
  }

  @Override
  public String toString() {
    return wireName;
  }
}
