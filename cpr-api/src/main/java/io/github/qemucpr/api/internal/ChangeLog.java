package io.github.qemucpr.api.internal;

import io.github.qemucpr.qmp.QmpClient;
import io.github.qemucpr.qmp.command.MigrateSetCapabilities;
import io.github.qemucpr.qmp.command.MigrateSetParameters;
import io.github.qemucpr.qmp.command.MigrationCapability;
import io.github.qemucpr.qmp.command.MigrationMode;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * What a workflow changed in QEMU's migration settings, each change with its undo, so that a
 * rollback puts back exactly that much, newest first. A change is recorded <em>before</em> its
 * command is sent: a command that times out may still take effect.
 */
final class ChangeLog {

  /** One change and how to take it back. */
  private record Change(String undoDescription, Progress.RollbackStep undo) {}

  private final QmpClient qmp;
  private final Deque<Change> changes = new ArrayDeque<>();

  ChangeLog(QmpClient qmp) {
    this.qmp = qmp;
  }

  /**
   * Sets the migration mode to {@code mode}, unless {@code before} is that mode already.
   *
   * @param before the mode the preflight read; {@code null} (a QEMU without modes) counts as normal
   * @return whether a command was sent
   */
  boolean setMode(@Nullable MigrationMode before, MigrationMode mode, Duration timeout) {
    if (mode.equals(before)) {
      return false;
    }
    MigrationMode previous = before != null ? before : MigrationMode.NORMAL;
    changes.push(
        new Change(
            "migrate-set-parameters mode " + previous,
            () ->
                qmp.execute(
                    MigrateSetParameters.ofMode(previous), WorkflowTimeouts.ROLLBACK_COMMAND)));
    qmp.execute(MigrateSetParameters.ofMode(mode), timeout);
    return true;
  }

  /**
   * Sets the capabilities in {@code wanted} that differ from {@code current}, in one command.
   *
   * @return the ones that were changed (empty: no command was sent)
   */
  Map<MigrationCapability, Boolean> setCapabilities(
      Map<MigrationCapability, Boolean> wanted,
      Map<MigrationCapability, Boolean> current,
      Duration timeout) {
    Map<MigrationCapability, Boolean> changed = new LinkedHashMap<>();
    Map<MigrationCapability, Boolean> previous = new LinkedHashMap<>();
    wanted.forEach(
        (cap, on) -> {
          boolean now = Boolean.TRUE.equals(current.get(cap));
          if (now != on) {
            changed.put(cap, on);
            previous.put(cap, now);
          }
        });
    if (!changed.isEmpty()) {
      changes.push(
          new Change(
              "migrate-set-capabilities " + previous,
              () ->
                  qmp.execute(
                      MigrateSetCapabilities.of(previous), WorkflowTimeouts.ROLLBACK_COMMAND)));
      qmp.execute(MigrateSetCapabilities.of(changed), timeout);
    }
    return changed;
  }

  /** Whether nothing was changed. */
  boolean isEmpty() {
    return changes.isEmpty();
  }

  /** Takes every change back, newest first, each as a step of {@code rollback}. */
  void undo(Rollback rollback) {
    while (!changes.isEmpty()) {
      Change change = changes.pop();
      rollback.step(change.undoDescription(), change.undo());
    }
  }
}
