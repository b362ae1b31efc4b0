package io.github.qemucpr.api.internal;

import io.github.qemucpr.api.PreflightCode;
import io.github.qemucpr.api.PreflightItem;
import io.github.qemucpr.api.PreflightItem.Severity;
import io.github.qemucpr.qmp.QemuVersion;
import io.github.qemucpr.qmp.QmpClient;
import io.github.qemucpr.qmp.QmpCommandException;
import io.github.qemucpr.qmp.QmpException;
import io.github.qemucpr.qmp.command.MigrateSetParameters;
import io.github.qemucpr.qmp.command.MigrationCapability;
import io.github.qemucpr.qmp.command.MigrationCapabilityStatus;
import io.github.qemucpr.qmp.command.MigrationInfo;
import io.github.qemucpr.qmp.command.MigrationMode;
import io.github.qemucpr.qmp.command.ObjectPropertyInfo;
import io.github.qemucpr.qmp.command.QomList;
import io.github.qemucpr.qmp.command.QueryMigrate;
import io.github.qemucpr.qmp.command.QueryMigrateCapabilities;
import io.github.qemucpr.qmp.command.QueryMigrateParameters;
import io.github.qemucpr.qmp.command.QueryQmpSchema;
import io.github.qemucpr.qmp.command.QueryStatus;
import io.github.qemucpr.qmp.command.QueryVersion;
import io.github.qemucpr.qmp.command.RunState;
import io.github.qemucpr.qmp.command.VersionInfo;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * The checks every CPR preflight makes on the source QEMU, whatever the mode: the version, whether
 * the mode exists, the run state, a migration under way, the capabilities CPR refuses, and the
 * blockers QEMU lists for the mode. A save ({@link Preflight}) and a transfer ({@link
 * TransferPreflight}) add their own checks to the same list of items.
 */
final class MigrationChecks {
  /** The capabilities every CPR mode refuses, with what QEMU 10.0's {@code migrate} says. */
  static final Map<MigrationCapability, String> INCOMPATIBLE_CAPABILITIES = new LinkedHashMap<>();

  static {
    INCOMPATIBLE_CAPABILITIES.put(MigrationCapability.POSTCOPY_RAM, "Cannot use postcopy with CPR");
    INCOMPATIBLE_CAPABILITIES.put(
        MigrationCapability.DIRTY_BITMAPS,
        "dirty-bitmaps counts as postcopy: Cannot use postcopy with CPR");
    INCOMPATIBLE_CAPABILITIES.put(
        MigrationCapability.POSTCOPY_PREEMPT, "postcopy-preempt needs postcopy, which CPR refuses");
    INCOMPATIBLE_CAPABILITIES.put(
        MigrationCapability.BACKGROUND_SNAPSHOT, "Cannot use background snapshot with CPR");
    INCOMPATIBLE_CAPABILITIES.put(MigrationCapability.X_COLO, "Cannot use COLO with CPR");
  }

  /** How long setting the mode back after the blocker probe may take, whatever time is left. */
  static final Duration SET_BACK_TIMEOUT = Duration.ofSeconds(15);

  private static final Set<RunState> STARTABLE =
      Set.of(RunState.RUNNING, RunState.PAUSED, RunState.SUSPENDED);

  /**
   * The mode a preflight checks for.
   *
   * @param mode the migration mode
   * @param unsupported the code of the item when QEMU lacks it
   * @param sinceMajor the first QEMU major version with the mode, for a QEMU without a schema
   * @param sinceMinor its minor version
   * @param operation what the workflow is called in messages: {@code save}, {@code transfer}
   */
  record Mode(
      MigrationMode mode,
      PreflightCode unsupported,
      int sinceMajor,
      int sinceMinor,
      String operation) {}

  /**
   * What the common checks read.
   *
   * @param version QEMU's version
   * @param packageName QEMU's package string
   * @param runState the run state, or {@code null} if it could not be read (an error then)
   * @param modeBefore the migration mode before, or {@code null} if unknown
   * @param capabilities every capability and its state before
   */
  record Basics(
      QemuVersion version,
      String packageName,
      @Nullable RunState runState,
      @Nullable MigrationMode modeBefore,
      Map<MigrationCapability, Boolean> capabilities) {}

  private final QmpClient qmp;
  private final Supplier<Duration> timeout;
  private final Mode mode;
  private final List<PreflightItem> items;

  /** Checks {@code qmp} for {@code mode}, adding what it finds to {@code items}. */
  MigrationChecks(QmpClient qmp, Supplier<Duration> timeout, Mode mode, List<PreflightItem> items) {
    this.qmp = qmp;
    this.timeout = timeout;
    this.mode = mode;
    this.items = items;
  }

  private void error(PreflightCode code, String subject, String message, String fix) {
    items.add(new PreflightItem(code, Severity.ERROR, subject, message, fix));
  }

  private void warning(PreflightCode code, String subject, String message, String fix) {
    items.add(new PreflightItem(code, Severity.WARNING, subject, message, fix));
  }

  private void queryFailed(String what, QmpException e) {
    error(
        PreflightCode.QUERY_FAILED,
        what,
        what + " failed: " + e.getMessage(),
        "Check that QEMU is alive and answers QMP, then run the check again.");
  }

  /** Runs the common checks. Never throws for what it finds; the items hold it. */
  Basics run() {
    QemuVersion version = qmp.greeting().version();
    String packageName = qmp.greeting().packageName();
    try {
      VersionInfo v = qmp.execute(new QueryVersion(), timeout.get());
      version = v.qemu();
      packageName = v.packageName();
    } catch (QmpException e) {
      // the greeting's version serves as well
    }

    boolean supported = checkModeSupport(version);

    RunState runState = null;
    try {
      runState = qmp.execute(new QueryStatus(), timeout.get()).status();
      if (!STARTABLE.contains(runState)) {
        error(
            PreflightCode.RUNSTATE_NOT_SAVABLE,
            runState.wireName(),
            "The VM is "
                + runState
                + "; a "
                + mode.operation()
                + " starts from running, paused or suspended.",
            runState.equals(RunState.POSTMIGRATE)
                ? "This QEMU was saved already: quit it, or 'cont' it if that state is not needed."
                : runState.equals(RunState.INMIGRATE)
                    ? "This QEMU waits for an incoming migration: restore into it first."
                    : "Bring the VM to running or paused first.");
      }
    } catch (QmpException e) {
      queryFailed("query-status", e);
    }

    boolean migrationActive = false;
    try {
      MigrationInfo info = qmp.execute(new QueryMigrate(), timeout.get());
      if (info.status().isActive()) {
        migrationActive = true;
        error(
            PreflightCode.MIGRATION_ACTIVE,
            "migration",
            "A migration is under way (status " + info.status() + ").",
            "Wait for it to end, or cancel it with migrate_cancel.");
      }
    } catch (QmpException e) {
      queryFailed("query-migrate", e);
    }

    Map<MigrationCapability, Boolean> capabilities = new LinkedHashMap<>();
    try {
      for (MigrationCapabilityStatus c :
          qmp.execute(new QueryMigrateCapabilities(), timeout.get())) {
        capabilities.put(c.capability(), c.state());
      }
      INCOMPATIBLE_CAPABILITIES.forEach(
          (cap, why) -> {
            if (Boolean.TRUE.equals(capabilities.get(cap))) {
              error(
                  PreflightCode.CAPABILITY_INCOMPATIBLE,
                  cap.wireName(),
                  mode.mode() + " refuses " + cap + " (\"" + why + "\").",
                  "Turn it off: migrate-set-capabilities " + cap + " off.");
            }
          });
    } catch (QmpException e) {
      queryFailed("query-migrate-capabilities", e);
    }

    MigrationMode modeBefore = null;
    try {
      modeBefore = qmp.execute(new QueryMigrateParameters(), timeout.get()).mode();
    } catch (QmpException e) {
      queryFailed("query-migrate-parameters", e);
    }
    if (supported && !migrationActive) {
      probeBlockers(modeBefore);
    }
    return new Basics(version, packageName, runState, modeBefore, capabilities);
  }

  private boolean checkModeSupport(QemuVersion version) {
    Optional<List<String>> modes = Optional.empty();
    try {
      modes =
          qmp.execute(new QueryQmpSchema(), timeout.get())
              .enumValuesOfArgument("migrate-set-parameters", "mode");
    } catch (QmpException e) {
      // fall back to the version
    }
    boolean supported =
        modes
            .map(m -> m.contains(mode.mode().wireName()))
            .orElse(version.isAtLeast(mode.sinceMajor(), mode.sinceMinor()));
    if (!supported) {
      error(
          mode.unsupported(),
          "QEMU " + version,
          "This QEMU has no "
              + mode.mode()
              + " migration mode"
              + (modes.isPresent() ? " (its modes are " + modes.get() + ")." : "."),
          "Use QEMU "
              + mode.sinceMajor()
              + "."
              + mode.sinceMinor()
              + " or newer (Debian 12:"
              + " qemu-system-x86 from bookworm-backports).");
    }
    return supported;
  }

  /**
   * Sets the mode for the moment of one {@code query-migrate} (QEMU lists the blockers of the mode
   * that is set) and sets it back.
   */
  private void probeBlockers(@Nullable MigrationMode modeBefore) {
    MigrationMode probed = mode.mode();
    boolean changed = modeBefore == null || !modeBefore.equals(probed);
    try {
      if (changed) {
        qmp.execute(MigrateSetParameters.ofMode(probed), timeout.get());
      }
      MigrationInfo info = qmp.execute(new QueryMigrate(), timeout.get());
      for (String reason : info.blockedReasons()) {
        error(
            PreflightCode.MIGRATION_BLOCKED,
            "migration",
            "QEMU blocks a " + probed + " migration: " + reason,
            "Remove or reconfigure what QEMU names (a device, an option) before the "
                + mode.operation()
                + ".");
      }
    } catch (QmpException e) {
      queryFailed("the " + probed + " blocker probe", e);
    } finally {
      if (changed) {
        setModeBack(probed, modeBefore != null ? modeBefore : MigrationMode.NORMAL);
      }
    }
  }

  /**
   * Sets the mode back after the probe, with a timeout of its own: when the preflight's time has
   * run out (the probe itself was slow, say), the deadline would leave it a millisecond, and a
   * check must not end with the mode changed. A set whose reply did not come in time may still
   * apply, so then the mode is read back before a second try; an error reply is QEMU's answer.
   */
  private void setModeBack(MigrationMode probed, MigrationMode back) {
    // Not initialized: javac proves that every way out of the loop but a return assigns it.
    QmpException failure;
    for (int attempt = 1; ; attempt++) {
      try {
        qmp.execute(MigrateSetParameters.ofMode(back), SET_BACK_TIMEOUT);
        return;
      } catch (QmpCommandException e) {
        failure = e;
        break;
      } catch (QmpException e) {
        failure = e;
      }
      try {
        if (back.equals(qmp.execute(new QueryMigrateParameters(), SET_BACK_TIMEOUT).mode())) {
          return;
        }
      } catch (QmpException e) {
        failure = e;
      }
      if (attempt == 2) {
        break;
      }
    }
    error(
        PreflightCode.QUERY_FAILED,
        "mode",
        "The preflight set the migration mode to "
            + probed
            + " to probe for blockers and could"
            + " not set it back to "
            + back
            + ": "
            + failure.getMessage(),
        "Set it back by hand: migrate-set-parameters mode " + back + ".");
  }

  /**
   * The QOM paths of the VFIO devices; a container that cannot be listed is a warning with {@code
   * fixIfUnknown}.
   */
  List<String> findVfio(String fixIfUnknown) {
    List<String> found = new ArrayList<>();
    for (String container : List.of("/machine/peripheral", "/machine/peripheral-anon")) {
      try {
        for (ObjectPropertyInfo p : qmp.execute(new QomList(container), timeout.get())) {
          if (p.type().startsWith("child<vfio-")) {
            found.add(container + "/" + p.name());
          }
        }
      } catch (QmpException e) {
        warning(
            PreflightCode.QUERY_FAILED,
            container,
            "qom-list "
                + container
                + " failed, so VFIO devices there are not known: "
                + e.getMessage(),
            fixIfUnknown);
      }
    }
    return found;
  }
}
