package io.github.qemucpr.examples.demo;

import io.github.qemucpr.api.CprPhase;
import io.github.qemucpr.api.CprProgressEvent;
import io.github.qemucpr.api.CprProgressListener;
import io.github.qemucpr.api.CprReboot;
import io.github.qemucpr.api.CprRestoreResult;
import io.github.qemucpr.api.CprSaveResult;
import io.github.qemucpr.api.SuspendPolicy;
import io.github.qemucpr.launcher.QemuInstance;
import io.github.qemucpr.launcher.QemuLauncher;
import io.github.qemucpr.qga.GuestAgentClient;
import io.github.qemucpr.qga.GuestAgentTimeoutException;
import io.github.qemucpr.qga.command.ExecResult;
import io.github.qemucpr.qmp.QmpClient;
import io.github.qemucpr.qmp.QmpConnectionClosedException;
import io.github.qemucpr.qmp.command.QueryStatus;
import io.github.qemucpr.testing.TestGuestImage;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Stream;

/**
 * The demo: boots the little Linux test guest under QEMU (TCG), shows its boot id and heartbeat,
 * suspends it through its agent and saves it with cpr-reboot, quits QEMU, starts a new QEMU with
 * {@code -incoming defer}, restores and wakes the guest, and shows that it is the same boot (same
 * boot id) whose heartbeat went on counting. Ends with a timeline and the blackout. Everything it
 * starts is stopped and deleted at the end, unless {@code keep} is set: then the restored VM runs
 * on for the user to look at.
 *
 * <pre>{@code
 * CprDemo.Summary s = new CprDemo(new PrintWriter(System.out, true), false).run();
 * }</pre>
 */
public final class CprDemo {
  private static final Duration BOOT_TIMEOUT = Duration.ofSeconds(60);
  private static final Duration AGENT_TIMEOUT = Duration.ofSeconds(30);
  private static final Duration HEARTBEAT_TIMEOUT = Duration.ofSeconds(15);

  private final PrintWriter out;
  private final boolean keep;
  private final Timeline timeline;

  /**
   * A demo that prints to {@code out}.
   *
   * @param out where the narrative and the timeline go
   * @param keep whether to leave the restored VM running, with its files, at the end
   */
  public CprDemo(PrintWriter out, boolean keep) {
    this.out = Objects.requireNonNull(out, "out");
    this.keep = keep;
    this.timeline = new Timeline(out);
  }

  /**
   * What the demo showed.
   *
   * @param bootIdBefore the guest's boot id before the save
   * @param bootIdAfter the guest's boot id after the restore
   * @param heartbeatBefore the last heartbeat before the save
   * @param heartbeatAfter the first heartbeat seen from the new QEMU
   * @param blackout the time the guest did not run, from its suspend to its wake-up
   * @param total the demo's run time
   */
  public record Summary(
      String bootIdBefore,
      String bootIdAfter,
      long heartbeatBefore,
      long heartbeatAfter,
      Duration blackout,
      Duration total) {}

  /**
   * Runs the demo.
   *
   * @return what it showed
   * @throws IllegalStateException if the guest came back as a different boot, or its heartbeat
   *     started over
   * @throws RuntimeException whatever the SDK or the launcher throws: QEMU missing, a failed save
   */
  public Summary run() {
    out.println(
        "qemu-cpr-java demo: a running Linux guest moves to a new QEMU process with"
            + " cpr-reboot.");
    out.println();
    TestGuestImage image = TestGuestImage.locateOrBuild();
    Path work = createWorkDirectory();
    Path ram = QemuLauncher.uniqueShmFile();
    Path state = work.resolve("vm.state");
    // On Ctrl-C the launcher's hooks stop QEMU; this one deletes the RAM file and the state.
    Thread cleanup =
        new Thread(
            () -> {
              deleteQuietly(ram);
              deleteRecursively(work);
            },
            "cpr-demo-cleanup");
    Runtime.getRuntime().addShutdownHook(cleanup);
    boolean kept = false;
    boolean succeeded = false;
    try (QemuLauncher vm =
        QemuLauncher.builder()
            .testGuest(image.kernel(), image.initramfs())
            .memoryFile(ram) // ours, not the launcher's: with --keep it must outlive the launcher
            .name("cpr-demo")
            .build()) {
      Before before = runFirstQemu(vm, state);
      QemuInstance target = vm.startIncoming();
      try {
        Summary summary = restoreIntoSecondQemu(target, state, before);
        printTimeline(summary);
        if (keep) {
          target.detach();
          kept = true;
          printKept(target, ram, work);
        }
        succeeded = true;
        return summary;
      } finally {
        if (!kept) {
          target.close();
        }
      }
    } finally {
      removeShutdownHook(cleanup);
      if (!kept) {
        cleanup.run();
        out.println();
        out.println(
            "Cleaned up: both QEMUs are stopped, the RAM file and the state file are"
                + " deleted."
                + (succeeded ? " (Keep the VM running with: cpr demo --keep)" : ""));
      }
      out.flush();
    }
  }

  private static void removeShutdownHook(Thread hook) {
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException e) {
      // the JVM is shutting down, and runs the hook itself
    }
  }

  private record Before(String bootId, long heartbeat, CprSaveResult saved) {}

  private Before runFirstQemu(QemuLauncher vm, Path state) {
    try (QemuInstance source = vm.start()) {
      timeline.add(
          "QEMU #1 started (pid "
              + source.pid()
              + "), TCG, "
              + vm.memoryMiB()
              + " MiB of guest RAM in a shared file in "
              + vm.memoryFile().orElseThrow().getParent());
      timeline.milestone("QEMU #1 started", Timeline.Blackout.OUTSIDE);
      long first = source.awaitHeartbeatAfter(0, BOOT_TIMEOUT);
      String consoleBootId =
          source
              .bootId()
              .orElseThrow(() -> new IllegalStateException("the guest printed no boot_id"));
      timeline.add("guest booted: boot_id " + consoleBootId + ", heartbeat " + first);
      timeline.milestone("guest booted, heartbeat " + first, Timeline.Blackout.OUTSIDE);

      Path qgaSocket = source.qgaSocket().orElseThrow();
      try (QmpClient qmp = QmpClient.connect(source.qmpSocket());
          GuestAgentClient qga = awaitAgent(qgaSocket)) {
        String bootId = readBootId(qga);
        // A few heartbeats, so that the count visibly goes on after the restore.
        long heartbeat = source.awaitHeartbeatAfter(Math.max(2, first), HEARTBEAT_TIMEOUT);
        timeline.add(
            "the guest agent answers: boot_id "
                + bootId
                + "; heartbeat "
                + heartbeat
                + ", "
                + qmp.execute(new QueryStatus()).status());

        timeline.add(
            "save: CprReboot.save(qmp).to("
                + state.getFileName()
                + ").guestAgent(qga).suspendPolicy(ALWAYS).run()");
        long lastBeat = source.lastHeartbeat().orElse(heartbeat);
        timeline.milestone("save started, heartbeat " + lastBeat, Timeline.Blackout.OUTSIDE);
        CprSaveResult saved =
            CprReboot.save(qmp)
                .to(state)
                .guestAgent(qga)
                .suspendPolicy(SuspendPolicy.ALWAYS)
                .progressListener(listener(SAVE_MILESTONES))
                .run();
        long lastBefore = Math.max(lastBeat, source.lastHeartbeat().orElse(lastBeat));
        int status = source.awaitExit(Duration.ofSeconds(10));
        timeline.add(
            "QEMU #1 exited (status "
                + status
                + "); the last heartbeat it showed was "
                + lastBefore);
        timeline.note(
            "state file "
                + human(saved.bytesWritten())
                + (saved.memorySavedInPlace()
                    ? "; the "
                        + vm.memoryMiB()
                        + " MiB of guest RAM stayed in place in its shared file"
                    : "; the guest RAM was copied into it"));
        timeline.note(
            "(here a real host would update QEMU, or kexec a new kernel with the RAM"
                + " on a DAX device)");
        return new Before(bootId, lastBefore, saved);
      } catch (QmpConnectionClosedException e) {
        throw new IllegalStateException("QEMU #1 closed its monitor unexpectedly: " + e, e);
      }
    }
  }

  private Summary restoreIntoSecondQemu(QemuInstance target, Path state, Before before) {
    CprRestoreResult restored;
    try (QmpClient qmp = QmpClient.connect(target.qmpSocket())) {
      timeline.add(
          "QEMU #2 started (pid "
              + target.pid()
              + ") with the same arguments plus"
              + " -incoming defer; run state "
              + qmp.execute(new QueryStatus()).status());
      timeline.milestone("QEMU #2 started with -incoming defer", Timeline.Blackout.DURING);
      timeline.add("restore: CprReboot.restore(qmp).from(" + state.getFileName() + ").run()");
      restored =
          CprReboot.restore(qmp).from(state).progressListener(listener(RESTORE_MILESTONES)).run();
      timeline.add(
          "run state " + restored.runState() + (restored.wokenUp() ? " (woken from suspend)" : ""));
    }
    long heartbeat = target.awaitHeartbeatAfter(0, HEARTBEAT_TIMEOUT);
    String bootId;
    try (GuestAgentClient qga = awaitAgent(target.qgaSocket().orElseThrow())) {
      bootId = readBootId(qga);
    }
    timeline.add("the guest runs on QEMU #2: boot_id " + bootId + ", heartbeat " + heartbeat);
    timeline.milestone(
        "heartbeat " + heartbeat + " from QEMU #2, same boot_id", Timeline.Blackout.OUTSIDE);
    if (!bootId.equals(before.bootId())) {
      throw new IllegalStateException(
          "the guest came back as another boot: boot_id " + bootId + ", was " + before.bootId());
    }
    if (heartbeat <= before.heartbeat() || heartbeat > before.heartbeat() + 5) {
      throw new IllegalStateException(
          "the heartbeat did not go on counting: " + heartbeat + " after " + before.heartbeat());
    }
    timeline.note(
        "same boot_id, and heartbeat "
            + heartbeat
            + " follows "
            + before.heartbeat()
            + ": the guest did not reboot, it only paused");
    // The SDK's figure runs from the suspend recorded in the manifest to QEMU #2's WAKEUP event.
    Duration blackout = restored.outage() != null ? restored.outage() : timeline.blackout();
    return new Summary(
        before.bootId(), bootId, before.heartbeat(), heartbeat, blackout, timeline.now());
  }

  // -------------------------------------------------------------------- progress and timeline

  private static final Map<CprPhase, String> SAVE_MILESTONES =
      new EnumMap<>(
          Map.of(
              CprPhase.PREFLIGHT, "preflight passed",
              CprPhase.SUSPEND, "guest suspended to RAM through its agent: the blackout starts",
              CprPhase.PREPARE, "mode cpr-reboot, capabilities set",
              CprPhase.MIGRATE, "QEMU wrote the device state (migrate, MIGRATION completed)",
              CprPhase.PERSIST, "state file fsync'ed and renamed, manifest written",
              CprPhase.QUIT, "QEMU #1 told to quit"));

  private static final Map<CprPhase, String> RESTORE_MILESTONES =
      new EnumMap<>(
          Map.of(
              CprPhase.VERIFY, "state file matches its manifest (size, SHA-256)",
              CprPhase.PREPARE, "mode cpr-reboot, same capabilities as the save",
              CprPhase.LOAD, "QEMU #2 loaded the state (migrate-incoming, MIGRATION completed)",
              CprPhase.WAKE_UP, "guest woken (system_wakeup): the blackout ends",
              CprPhase.MARK_RESTORED,
                  "manifest marked restored: this checkpoint cannot be used twice"));

  private CprProgressListener listener(Map<CprPhase, String> milestones) {
    return event -> {
      if (event.kind() == CprProgressEvent.Kind.FINISHED) {
        String what = milestones.getOrDefault(event.phase(), event.phase().name());
        timeline.add(String.format(Locale.ROOT, "  %-13s %s", event.phase(), what));
        switch (event.phase()) {
          case SUSPEND:
            timeline.milestone(
                "guest suspended to RAM (guest-suspend-ram)", Timeline.Blackout.STARTS);
            break;
          case MIGRATE:
            timeline.milestone("state saved (cpr-reboot)", Timeline.Blackout.DURING);
            break;
          case QUIT:
            timeline.milestone("QEMU #1 quit", Timeline.Blackout.DURING);
            break;
          case LOAD:
            timeline.milestone("state loaded into QEMU #2", Timeline.Blackout.DURING);
            break;
          case WAKE_UP:
            timeline.milestone("guest woken (system_wakeup)", Timeline.Blackout.ENDS);
            break;
          default:
            break;
        }
      } else if (event.kind() == CprProgressEvent.Kind.FAILED
          || event.kind() == CprProgressEvent.Kind.ROLLBACK) {
        timeline.add("  " + event.phase() + " " + event.kind() + ": " + event.message());
      }
    };
  }

  private void printTimeline(Summary s) {
    timeline.printSummary("Timeline:", s.blackout());
    out.println();
    out.printf(
        Locale.ROOT,
        "Blackout: the guest did not run for %.2f s, from its suspend in QEMU #1"
            + " to its wake-up in QEMU #2.%n",
        Timeline.seconds(s.blackout()));
    out.printf(
        Locale.ROOT,
        "Same boot_id before and after (%s); heartbeat %d, then %d: the guest"
            + " never rebooted.%n",
        s.bootIdAfter(),
        s.heartbeatBefore(),
        s.heartbeatAfter());
    out.printf(Locale.ROOT, "The demo took %.1f s.%n", Timeline.seconds(s.total()));
  }

  private void printKept(QemuInstance target, Path ram, Path work) {
    out.println();
    out.println("Kept (--keep): QEMU #2 runs on, pid " + target.pid() + ".");
    out.println("  QMP socket    " + target.qmpSocket());
    out.println("  agent socket  " + target.qgaSocket().map(Path::toString).orElse("-"));
    out.println("  console       " + target.consoleLog().map(Path::toString).orElse("-"));
    out.println("  RAM file      " + ram);
    out.println(
        "  state file    "
            + work.resolve("vm.state")
            + " (restored: it cannot be used"
            + " again)");
    out.println(
        "Look at it:   java -jar cpr-examples/target/cpr.jar status --qmp " + target.qmpSocket());
    out.println(
        "Stop it:      kill "
            + target.pid()
            + "; rm -rf "
            + target.directory()
            + " "
            + work
            + " "
            + ram);
  }

  // -------------------------------------------------------------------- the guest agent

  /** Waits until the agent in the guest answers: it starts a moment after the heartbeat. */
  private static GuestAgentClient awaitAgent(Path socket) {
    long deadline = System.nanoTime() + AGENT_TIMEOUT.toNanos();
    GuestAgentClient qga = GuestAgentClient.connect(socket);
    while (true) {
      try {
        qga.sync();
        return qga;
      } catch (GuestAgentTimeoutException e) {
        if (System.nanoTime() - deadline > 0) {
          qga.close();
          throw e;
        }
      } catch (RuntimeException e) {
        qga.close();
        throw e;
      }
    }
  }

  /** The guest kernel's boot id, a random UUID that changes at every boot. */
  private static String readBootId(GuestAgentClient qga) {
    ExecResult r =
        qga.run("/bin/cat", List.of("/proc/sys/kernel/random/boot_id"), Duration.ofSeconds(10));
    if (!r.succeeded()) {
      throw new IllegalStateException("cat boot_id in the guest failed: " + r);
    }
    return r.stdout().strip();
  }

  // -------------------------------------------------------------------- files

  private static Path createWorkDirectory() {
    try {
      return Files.createTempDirectory("cpr-demo-");
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create a directory for the state file", e);
    }
  }

  private static void deleteQuietly(Path file) {
    try {
      Files.deleteIfExists(file);
    } catch (IOException e) {
      // best effort: /dev/shm is emptied at reboot
    }
  }

  private static void deleteRecursively(Path dir) {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(CprDemo::deleteQuietly);
    } catch (IOException e) {
      // best effort: a temporary directory left behind is harmless
    }
  }

  static String human(long bytes) {
    if (bytes < 1024) {
      return bytes + " bytes";
    }
    if (bytes < 1024 * 1024) {
      return String.format(Locale.ROOT, "%.1f KiB", bytes / 1024.0);
    }
    return String.format(Locale.ROOT, "%.1f MiB", bytes / (1024.0 * 1024));
  }
}
