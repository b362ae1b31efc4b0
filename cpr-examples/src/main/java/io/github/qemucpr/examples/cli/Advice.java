package io.github.qemucpr.examples.cli;

import io.github.qemucpr.api.CprCheckpointException;
import io.github.qemucpr.api.CprException;
import io.github.qemucpr.api.CprExecException;
import io.github.qemucpr.api.CprPreflightException;
import io.github.qemucpr.api.CprRestoreException;
import io.github.qemucpr.api.CprSaveException;
import io.github.qemucpr.api.CprTransferException;
import io.github.qemucpr.api.PreflightItem;
import io.github.qemucpr.api.VmRecovery;
import io.github.qemucpr.launcher.QemuLaunchException;
import io.github.qemucpr.qga.GuestAgentException;
import io.github.qemucpr.qmp.QmpException;
import io.github.qemucpr.qmp.command.RunState;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A failure told as advice: the exit status, what happened, and what to do.
 *
 * @param status the exit status
 * @param what what happened, in a sentence or two
 * @param todo what to do about it
 */
record Advice(ExitStatus status, String what, String todo) {

  Advice {
    Objects.requireNonNull(status, "status");
    Objects.requireNonNull(what, "what");
    Objects.requireNonNull(todo, "todo");
  }

  /**
   * The advice for a failure of a command.
   *
   * @param failure what was thrown
   * @param qmpSocket the QMP socket of the command, for the commands to run next
   * @param stateFile the state file of the command, or {@code null}
   */
  static Advice of(Throwable failure, @Nullable Path qmpSocket, @Nullable Path stateFile) {
    String qmp = qmpSocket != null ? qmpSocket.toString() : "SOCKET";
    String state = stateFile != null ? stateFile.toString() : "FILE";
    if (failure instanceof CliException) {
      CliException e = (CliException) failure;
      return new Advice(e.status(), messageOf(e), e.advice());
    }
    if (failure instanceof CprPreflightException) {
      return preflight((CprPreflightException) failure, qmp, state);
    }
    if (failure instanceof CprCheckpointException) {
      return checkpoint((CprCheckpointException) failure, qmp);
    }
    if (failure instanceof CprSaveException) {
      return save((CprSaveException) failure, qmp, state);
    }
    if (failure instanceof CprRestoreException) {
      return restore((CprRestoreException) failure, qmp);
    }
    if (failure instanceof CprTransferException) {
      return transfer((CprTransferException) failure, qmp);
    }
    if (failure instanceof CprExecException) {
      return exec((CprExecException) failure, qmp);
    }
    if (failure instanceof CprException) {
      return new Advice(
          ExitStatus.of(failure),
          messageOf(failure),
          "Look at the VM with: cpr status --qmp " + qmp);
    }
    if (failure instanceof QemuLaunchException) {
      return new Advice(
          ExitStatus.ERROR,
          "QEMU could not be started: " + failure.getMessage(),
          "QEMU 10 must be installed (scripts/install-qemu.sh as root on Debian 12), and the"
              + " test guest built (scripts/build-test-guest.sh); scripts/demo.sh does both.");
    }
    if (failure instanceof QmpException) {
      return new Advice(
          ExitStatus.ERROR,
          "QEMU's monitor failed: " + failure.getMessage(),
          "Check that QEMU still runs: cpr status --qmp " + qmp);
    }
    if (failure instanceof GuestAgentException) {
      return new Advice(
          ExitStatus.ERROR,
          "The guest agent failed: " + failure.getMessage(),
          "Check that qemu-ga runs in the guest, or leave out --qga.");
    }
    if (failure instanceof IllegalStateException || failure instanceof IllegalArgumentException) {
      return new Advice(
          ExitStatus.ERROR,
          String.valueOf(failure.getMessage()),
          "Check the arguments, and what else talks to this QEMU.");
    }
    return new Advice(
        ExitStatus.ERROR,
        "Unexpected error: " + failure,
        "This is likely a bug in cpr: please report it with the output of --json.");
  }

  /**
   * The message of a failure, or the failure itself when it has none: {@code getMessage()} may
   * return null (a subclass may override it), and an advice must say what happened.
   */
  private static String messageOf(Throwable failure) {
    String message = failure.getMessage();
    return message != null ? message : failure.toString();
  }

  private static Advice preflight(CprPreflightException e, String qmp, String state) {
    int errors = e.report().errors().size();
    StringBuilder what =
        new StringBuilder("The preflight found ")
            .append(errors)
            .append(errors == 1 ? " error" : " errors")
            .append("; nothing was changed.");
    for (PreflightItem item : e.report().errors()) {
      what.append(
          String.format(
              Locale.ROOT,
              "%n  %s [%s] %s%n    Fix: %s",
              item.code(),
              item.subject(),
              item.message(),
              item.fix()));
    }
    return new Advice(
        ExitStatus.REFUSED,
        what.toString(),
        "Apply the fixes above, then check again: cpr check --qmp " + qmp + " --state " + state);
  }

  private static Advice checkpoint(CprCheckpointException e, String qmp) {
    Path file = e.stateFile();
    String what =
        "The checkpoint " + file + " was refused before QEMU was touched: " + e.getMessage();
    String todo;
    switch (e.reason()) {
      case MISSING:
        todo =
            "Check the path given with --state; a checkpoint exists only after a successful"
                + " cpr save.";
        break;
      case TAMPERED:
        todo =
            "The state file differs from what the save wrote (truncated, or changed since):"
                + " do not restore it. Boot the VM afresh, or restore a good copy.";
        break;
      case MANIFEST_UNREADABLE:
        todo = "The manifest " + file + ".json cannot be read; check it, or restore a good copy.";
        break;
      case MEMORY_FILE_REPLACED:
        todo =
            "The file that held the guest's RAM was replaced or emptied since the save: this"
                + " checkpoint cannot bring the VM back. Boot the VM afresh.";
        break;
      case RESTORE_IN_PROGRESS:
        todo =
            "Another restore of this checkpoint is running; only one may load it. Wait for it:"
                + " if it fails before loading, restore again. Quit this QEMU if it is not needed.";
        break;
      case LOCK_FILE_UNUSABLE:
        todo =
            "Something other than a regular file is at "
                + file
                + ".lock, where a restore"
                + " claims the checkpoint: remove it, then restore again.";
        break;
      case ALREADY_RESTORED:
      case RESTORE_INTERRUPTED:
        todo =
            "With RAM kept in place a checkpoint is good for one restore: the VM's RAM has moved"
                + " on since. Add --force only if the VM never ran from the earlier restore.";
        break;
      default:
        todo = "Look at the state file and its manifest " + file + ".json.";
        break;
    }
    return new Advice(
        ExitStatus.REFUSED,
        what,
        todo + " This QEMU was not touched: cpr status" + " --qmp " + qmp);
  }

  private static Advice save(CprSaveException e, String qmp, String state) {
    ExitStatus status = ExitStatus.of(e);
    String what = "The save failed in phase " + e.phase() + ": " + e.getMessage();
    String todo;
    if (e.recovery() == VmRecovery.NEEDS_ATTENTION) {
      // After a completed migration of a suspended guest, 'cont' aborts QEMU 10.0: the tool
      // does not know whether the guest was, so it offers 'cont' only with that condition.
      String contOnlyIfNotSuspended =
          " Only if the guest was not suspended (QEMU 10.0 aborts on"
              + " cont after a completed migration of a suspended guest) may you instead delete";
      if (e.checkpointSaved()) {
        todo =
            "The checkpoint "
                + state
                + " is complete and the VM is stopped in postmigrate."
                + " Quit this QEMU and restore the checkpoint into a new one: cpr restore --qmp"
                + " NEW_SOCKET --state "
                + state
                + "."
                + contOnlyIfNotSuspended
                + " "
                + state
                + " and "
                + state
                + ".json and then resume the VM with QMP cont. Never both.";
      } else if (RunState.POSTMIGRATE.equals(e.vmState())) {
        todo =
            "The migration had completed, and the message names the file kept with the VM's"
                + " complete state: quit this QEMU and restore from that file."
                + contOnlyIfNotSuspended
                + " that file and then resume the VM with QMP cont. Never both.";
      } else {
        todo =
            "Look at the VM (cpr status --qmp "
                + qmp
                + "): resume a paused VM with QMP cont,"
                + " wake a suspended one with system_wakeup.";
      }
    } else {
      String qemuError = e.qemuError() != null ? e.qemuError() : "";
      if (qemuError.contains("No space left")) {
        todo =
            "The state file's file system is full: free space beside "
                + state
                + ", or save"
                + " to another file system (cpr check shows the size needed).";
      } else if (qemuError.contains("suspend") || e.phase().name().equals("SUSPEND")) {
        todo =
            "Check that the guest supports S3 (QEMU needs -global ICH9-LPC.disable_s3=0 on"
                + " q35) and that qemu-ga runs in it; or save with --suspend never.";
      } else {
        todo =
            "Fix the cause QEMU gave, then check again: cpr check --qmp "
                + qmp
                + " --state "
                + state;
      }
      todo =
          (e.recovery() == VmRecovery.RESTORED
                  ? "The VM runs on as before. "
                  : "Nothing was changed. ")
              + todo;
    }
    return new Advice(status, what, todo);
  }

  private static Advice restore(CprRestoreException e, String qmp) {
    ExitStatus status = ExitStatus.of(e);
    String what = "The restore failed in phase " + e.phase() + ": " + e.getMessage();
    String todo;
    if (e.recovery() == VmRecovery.UNTOUCHED) {
      todo =
          e.vmState() != null && !RunState.INMIGRATE.equals(e.vmState())
              ? "This QEMU is "
                  + e.vmState()
                  + ", not waiting for the state: start a new QEMU with"
                  + " the same arguments as the saved one plus -incoming defer, and restore into it."
              : "Start the new QEMU with exactly the same arguments as the saved one (machine,"
                  + " devices, memory backends) plus -incoming defer, and restore into it.";
    } else {
      todo =
          "QEMU keeps the error in query-migrate (cpr status --qmp "
              + qmp
              + "). Check that"
              + " the new QEMU has exactly the saved one's arguments plus -incoming defer; quit it,"
              + " start a fresh one, and restore again (with --force if the VM never ran from this"
              + " checkpoint).";
    }
    return new Advice(status, what, todo);
  }

  private static Advice transfer(CprTransferException e, String qmp) {
    String what = "The transfer failed in phase " + e.phase() + ": " + e.getMessage();
    String todo;
    switch (e.vmLocation()) {
      case SOURCE:
        todo =
            (e.recovery() == VmRecovery.RESTORED
                    ? "The VM runs on in the old QEMU, as before."
                    : "The VM is in the old QEMU: look at it with cpr status --qmp " + qmp + ".")
                + " Quit the new QEMU if it still runs, start a fresh one with the cpr and main"
                + " -incoming options, and transfer again.";
        break;
      case TARGET:
        todo =
            "The VM runs in the new QEMU: connect to its QMP socket. Never resume the old"
                + " QEMU ("
                + qmp
                + "); quit it.";
        break;
      default:
        todo =
            "Neither QEMU is confirmed to run the VM: the old one is in postmigrate. If the"
                + " new QEMU never ran the guest, resume the old one with QMP cont; if it did, do"
                + " not: the guest's RAM has moved on since the old QEMU stopped.";
        break;
    }
    return new Advice(ExitStatus.of(e), what, todo);
  }

  private static Advice exec(CprExecException e, String qmp) {
    String what = "The exec failed in phase " + e.phase() + ": " + e.getMessage();
    String todo;
    switch (e.vmLocation()) {
      case OLD_QEMU:
        todo =
            (e.recovery() == VmRecovery.RESTORED
                    ? "The VM runs on in the old QEMU, as before."
                    : "The VM is in the old QEMU: look at it with cpr status --qmp " + qmp + ".")
                + " Fix what QEMU said (the new binary, its arguments), then run cpr exec again.";
        break;
      case NEW_QEMU:
        todo =
            "The new QEMU holds the VM in the same process: look at it with cpr status --qmp "
                + qmp
                + ".";
        break;
      case PROCESS_EXITED:
        todo =
            "QEMU exited after the exec (see its standard error). RAM in memfd or anonymous"
                + " memory is lost with it; RAM in a memory-backend-file,share=on is still in its"
                + " file: start QEMU with the old arguments plus -incoming for "
                + e.stateFile()
                + " to restore the VM.";
        break;
      default:
        todo =
            "QEMU runs, but its monitor did not answer: try cpr status --qmp "
                + qmp
                + " again, and keep the state file "
                + e.stateFile()
                + " until the VM is seen.";
        break;
    }
    return new Advice(ExitStatus.of(e), what, todo);
  }
}
