package io.github.qemucpr.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.github.qemucpr.api.CprCheckpointException.Reason;
import io.github.qemucpr.api.internal.ManifestCodec;
import io.github.qemucpr.api.internal.StateFiles;
import io.github.qemucpr.qmp.QmpClient;
import io.github.qemucpr.qmp.QmpTimeoutException;
import io.github.qemucpr.qmp.command.QueryStatus;
import io.github.qemucpr.qmp.command.RunState;
import io.github.qemucpr.testing.FakeQemu;
import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

/** The restore and its refusals, against a fake QEMU started with -incoming defer. */
class RestoreTest extends FakeQemuTest {
  private static final JsonMapper JSON = JsonMapper.builder().build();

  private static final String STATE = "QEVM state bytes";

  @BeforeEach
  void incomingDefer() {
    qemu.runState("inmigrate");
  }

  private CprManifest writeCheckpoint(
      boolean suspendedByUs,
      RunState before,
      @Nullable Instant restoreStarted,
      @Nullable Instant restored)
      throws IOException {
    return writeCheckpoint(
        List.of("events", "x-ignore-shared"),
        List.of(
            new CprManifest.RamBackend(
                "ram0", "memory-backend-file", RAM, ramFile.toString(), true, true)),
        suspendedByUs,
        before,
        restoreStarted,
        restored);
  }

  private CprManifest writeCheckpoint(
      List<String> capabilities,
      List<CprManifest.RamBackend> backends,
      boolean suspendedByUs,
      RunState before,
      @Nullable Instant restoreStarted,
      @Nullable Instant restored)
      throws IOException {
    Files.writeString(stateFile, STATE);
    CprManifest m =
        CprManifest.builder()
            .formatVersion(CprManifest.FORMAT_VERSION)
            .qemuVersion("10.0.2")
            .mode("cpr-reboot")
            .capabilities(capabilities)
            .memoryBackends(backends)
            .memorySavedInPlace(backends.stream().anyMatch(CprManifest.RamBackend::savedInPlace))
            .suspendedByUs(suspendedByUs)
            .runStateBefore(before)
            .stateFileName("vm.state")
            .stateFileSize(STATE.length())
            .stateFileSha256(StateFiles.sha256(stateFile))
            .blackoutStartedAt(Instant.now().minusSeconds(5))
            .savedAt(Instant.now().minusSeconds(4))
            .qemuDowntime(Duration.ofMillis(2))
            .restoreStartedAt(restoreStarted)
            .restoredAt(restored)
            .build();
    ManifestCodec.write(CprManifest.pathFor(stateFile), m);
    return m;
  }

  private boolean marked() {
    return CprManifest.read(stateFile).orElseThrow().restoreStartedAt() != null;
  }

  /** The QOM properties read of {@code backend}, in the order the reads were sent. */
  private List<String> qomReads(String backend) {
    return qemu.requests("qom-get").stream()
        .filter(r -> ("/objects/" + backend).equals(r.argument("path")))
        .map(r -> r.argument("property"))
        .toList();
  }

  private CprManifest writeCheckpoint() throws IOException {
    return writeCheckpoint(false, RunState.RUNNING, null, null);
  }

  @Test
  void restoresWithTheSavedCapabilitiesAndMarksTheManifest() throws Exception {
    writeCheckpoint();
    List<Boolean> markedAtIncoming = new java.util.concurrent.CopyOnWriteArrayList<>();
    FakeQemu.Script load = qemu.incomingScript();
    qemu.incomingScript(
        (q, r, x) -> {
          markedAtIncoming.add(marked());
          load.run(q, r, x);
        });
    CprRestoreResult result = restore().run();

    // The reads go out together, the memory's too (the manifest names the backends), then the
    // changes together; QEMU 10 needs no schema for exit-on-error.
    assertThat(qemu.commands())
        .containsExactly(
            "query-status",
            "query-migrate",
            "query-migrate-capabilities",
            "query-memdev",
            "qom-get",
            "qom-get",
            "migrate-set-parameters",
            "migrate-set-capabilities",
            "add-fd",
            "migrate-incoming",
            "query-migrate",
            "remove-fd",
            "query-status");
    // Not discard-data: the restore does not check it, and the VM is down while QEMU answers.
    assertThat(qomReads("ram0")).containsExactly("type", "mem-path");
    assertThat(markedAtIncoming)
        .as("the mark is on disk before migrate-incoming")
        .containsExactly(true);
    assertThat(qemu.requests("migrate-set-capabilities").get(0).arguments().toString())
        .isEqualTo(
            "{\"capabilities\":[{\"capability\":\"events\",\"state\":true},"
                + "{\"capability\":\"x-ignore-shared\",\"state\":true}]}");
    assertThat(qemu.requests("migrate-set-parameters").get(0).argument("mode"))
        .isEqualTo("cpr-reboot");
    assertThat(qemu.requests("add-fd").get(0).fileDescriptors()).isEqualTo(1);
    assertThat(qemu.requests("migrate-incoming").get(0).arguments().toString())
        .isEqualTo(
            "{\"channels\":[{\"channel-type\":\"main\",\"addr\":{\"transport\":\"file\","
                + "\"filename\":\"/dev/fdset/0\",\"offset\":0}}],\"exit-on-error\":false}");

    assertThat(result.runState()).isEqualTo(RunState.RUNNING);
    assertThat(result.wokenUp()).isFalse();
    assertThat(result.manifestFile()).isEqualTo(CprManifest.pathFor(stateFile));
    assertThat(result.markedRestored()).isTrue();
    assertThat(result.outage()).isNotNull().isGreaterThan(Duration.ofSeconds(4));
    assertThat(result.phaseDurations().keySet())
        .containsExactly(CprPhase.VERIFY, CprPhase.PREPARE, CprPhase.LOAD, CprPhase.MARK_RESTORED);
    CprManifest after = CprManifest.read(stateFile).orElseThrow();
    assertThat(after.restored()).isTrue();
    assertThat(after.restoreStartedAt()).isNotNull();
    assertThat(stateFile).hasContent(STATE);
  }

  @Test
  void wakesAGuestThatTheSaveSuspended() throws Exception {
    writeCheckpoint(true, RunState.RUNNING, null, null);
    qemu.incomingScript(FakeQemu.incomingCompletes("suspended"));
    CprRestoreResult result = restore().run();
    assertThat(qemu.commandsAfter("migrate-incoming"))
        .containsExactly(
            "query-migrate", "remove-fd", "query-status", "system_wakeup", "query-status");
    assertThat(result.wokenUp()).isTrue();
    assertThat(result.runState()).isEqualTo(RunState.RUNNING);
    assertThat(result.outage()).isNotNull();
    assertThat(result.phaseDurations()).containsKey(CprPhase.WAKE_UP);
  }

  @Test
  void leavesSuspendedAGuestThatWasSuspendedBeforeTheSave() throws Exception {
    writeCheckpoint(false, RunState.SUSPENDED, null, null);
    qemu.incomingScript(FakeQemu.incomingCompletes("suspended"));
    CprRestoreResult result = restore().run();
    assertThat(qemu.commands()).doesNotContain("system_wakeup");
    assertThat(result.runState()).isEqualTo(RunState.SUSPENDED);
    assertThat(result.outage()).isNull();
  }

  @Test
  void wakeUpCanBeTurnedOff() throws Exception {
    writeCheckpoint(true, RunState.RUNNING, null, null);
    qemu.incomingScript(FakeQemu.incomingCompletes("suspended"));
    CprRestoreResult result = restore().wakeUpAfterRestore(false).run();
    assertThat(qemu.commands()).doesNotContain("system_wakeup");
    assertThat(result.runState()).isEqualTo(RunState.SUSPENDED);
  }

  /**
   * Review of issue 15 (the workflow kernel): the wait for WAKEUP gets what is left of the phase
   * after system_wakeup returned, as it did before the refactor, so that no wait outlives the phase
   * or overall timeout.
   */
  @Test
  void theWaitForWakeupGetsOnlyTheTimeLeftAfterSystemWakeup() throws Exception {
    writeCheckpoint(true, RunState.RUNNING, null, null);
    qemu.incomingScript(FakeQemu.incomingCompletes("suspended"));
    // QEMU takes 1.5 s to answer system_wakeup, and the guest never wakes (no WAKEUP).
    qemu.on("system_wakeup", (r, x) -> x.later(Duration.ofMillis(1500), () -> x.returns("{}")));

    CprRestoreException e =
        catchThrowableOfType(
            CprRestoreException.class, () -> restore().phaseTimeout(Duration.ofSeconds(2)).run());

    assertThat(e.phase()).isEqualTo(CprPhase.WAKE_UP);
    assertThat(e.getCause()).isInstanceOf(QmpTimeoutException.class);
    // 1.5 s of the 2 s phase went on the command, so the wait had at most 0.5 s left.
    assertThat(((QmpTimeoutException) e.getCause()).timeout())
        .as("the WAKEUP wait's limit")
        .isLessThanOrEqualTo(Duration.ofMillis(500));
  }

  /**
   * Review of issue 15 (the workflow kernel): a restore that fails while its thread is interrupted
   * gives the interrupt back even when its final query-status throws something other than a
   * QmpException (here a decorated client refuses it), as the code before the refactor did in a
   * finally.
   */
  @Test
  void aFailedRestoreGivesTheInterruptBackWhenItsFinalQueryThrowsSomethingElse() throws Exception {
    writeCheckpoint();
    AtomicBoolean refuse = new AtomicBoolean();
    QmpClient decorated =
        (QmpClient)
            Proxy.newProxyInstance(
                QmpClient.class.getClassLoader(),
                new Class<?>[] {QmpClient.class},
                (proxy, method, args) -> {
                  if (refuse.get()
                      && method.getName().equals("execute")
                      && args != null
                      && args[0] instanceof QueryStatus) {
                    throw new IllegalStateException("the decorator refuses query-status now");
                  }
                  try {
                    return method.invoke(qmp, args);
                  } catch (InvocationTargetException x) {
                    throw x.getCause();
                  }
                });
    CprRestoreBuilder restore =
        CprReboot.restore(decorated)
            .from(stateFile)
            .progressListener(
                event -> {
                  if (event.phase() == CprPhase.LOAD
                      && event.kind() == CprProgressEvent.Kind.STARTED) {
                    refuse.set(true);
                    Thread.currentThread().interrupt(); // the caller cancels the restore
                  }
                });

    Throwable thrown = catchThrowable(restore::run);
    boolean interrupted = Thread.interrupted();

    assertThat(thrown).as("the restore failed").isNotNull();
    assertThat(interrupted).as("the interrupt flag after the failed restore").isTrue();
  }

  private CprCheckpointException refusedCheckpoint(CprRestoreBuilder builder) {
    CprCheckpointException e = catchThrowableOfType(CprCheckpointException.class, builder::run);
    assertThat(qemu.commands()).as("QEMU must not be touched").isEmpty();
    assertThat(e.phase()).isEqualTo(CprPhase.VERIFY);
    assertThat(e.recovery()).isEqualTo(VmRecovery.UNTOUCHED);
    assertThat(e.stateFile()).isEqualTo(stateFile);
    return e;
  }

  @Test
  void aMissingStateFile() {
    assertThat(refusedCheckpoint(restore()).reason()).isEqualTo(Reason.MISSING);
  }

  @Test
  void aTruncatedStateFile() throws Exception {
    writeCheckpoint();
    Files.writeString(stateFile, STATE.substring(0, 5));
    CprCheckpointException e = refusedCheckpoint(restore());
    assertThat(e.reason()).isEqualTo(Reason.TAMPERED);
    assertThat(e).hasMessageContaining("has 5 bytes").hasMessageContaining("(truncated)");
  }

  @Test
  void aChangedStateFileOfTheSameSize() throws Exception {
    writeCheckpoint();
    Files.writeString(stateFile, STATE.toUpperCase(java.util.Locale.ROOT));
    CprCheckpointException e = catchThrowableOfType(CprCheckpointException.class, restore()::run);
    assertThat(e)
        .hasMessageContaining("SHA-256")
        .extracting(CprCheckpointException::reason)
        .isEqualTo(Reason.TAMPERED);
    // The queries went out while the file was hashed: QEMU may have answered some, and nothing
    // but queries reached it.
    assertThat(qemu.commands()).as("QEMU must not be changed").allMatch(RestoreTest::isRead);
    assertThat(e.phase()).isEqualTo(CprPhase.VERIFY);
    assertThat(e.recovery()).isEqualTo(VmRecovery.UNTOUCHED);
    assertThat(marked()).isFalse();
  }

  @Test
  void theQueriesGoOutWhileTheStateFileIsHashed() throws Exception {
    writeCheckpoint();
    List<String> receivedByTheEndOfTheVerification =
        new java.util.concurrent.CopyOnWriteArrayList<>();
    // The listener runs on the restore's thread, which sends nothing more until it returns: what
    // QEMU receives meanwhile was sent during the verification (waits up to 5 s for it to arrive).
    CprProgressListener listener =
        event -> {
          if (event.phase() == CprPhase.VERIFY && event.kind() == CprProgressEvent.Kind.FINISHED) {
            long end = System.nanoTime() + Duration.ofSeconds(5).toNanos();
            while (qemu.commands().size() < 6 && System.nanoTime() < end) {
              java.util.concurrent.locks.LockSupport.parkNanos(1_000_000);
            }
            receivedByTheEndOfTheVerification.addAll(qemu.commands());
          }
        };
    assertThat(CprReboot.restore(qmp).from(stateFile).progressListener(listener).run().runState())
        .isEqualTo(RunState.RUNNING);
    assertThat(receivedByTheEndOfTheVerification)
        .containsExactly(
            "query-status",
            "query-migrate",
            "query-migrate-capabilities",
            "query-memdev",
            "qom-get",
            "qom-get");
  }

  @Test
  void anUnreadableManifest() throws Exception {
    writeCheckpoint();
    Files.writeString(CprManifest.pathFor(stateFile), "{\"format\": \"something else\"}");
    assertThat(refusedCheckpoint(restore()).reason()).isEqualTo(Reason.MANIFEST_UNREADABLE);
  }

  @Test
  void anAlreadyRestoredCheckpointIsRefusedUnlessForced() throws Exception {
    writeCheckpoint(false, RunState.RUNNING, Instant.now(), Instant.now());
    assertThat(refusedCheckpoint(restore()).reason()).isEqualTo(Reason.ALREADY_RESTORED);
    assertThat(restore().force(true).run().runState()).isEqualTo(RunState.RUNNING);
  }

  @Test
  void anInterruptedRestoreIsRefusedUnlessForced() throws Exception {
    writeCheckpoint(false, RunState.RUNNING, Instant.now(), null);
    assertThat(refusedCheckpoint(restore()).reason()).isEqualTo(Reason.RESTORE_INTERRUPTED);
  }

  @Test
  void aQemuNotInInmigrateIsRefusedBeforeAnyChange() throws Exception {
    writeCheckpoint();
    qemu.runState("running");
    CprRestoreException e = catchThrowableOfType(CprRestoreException.class, () -> restore().run());
    // The restore sends its first queries together, so some may still be on their way to the
    // fake when it refuses; whatever arrived, nothing but queries did.
    assertThat(qemu.commands()).startsWith("query-status").allMatch(RestoreTest::isRead);
    assertThat(e.phase()).isEqualTo(CprPhase.PREPARE);
    assertThat(e.recovery()).isEqualTo(VmRecovery.UNTOUCHED);
    assertThat(e.vmState()).isEqualTo(RunState.RUNNING);
    assertThat(e).hasMessageContaining("-incoming defer");
    assertThat(CprManifest.read(stateFile).orElseThrow().restoreStartedAt()).isNull();
  }

  @Test
  void anIncomingMigrationAlreadyStartedIsRefused() throws Exception {
    writeCheckpoint();
    qemu.migrationStatus("failed");
    CprRestoreException e = catchThrowableOfType(CprRestoreException.class, () -> restore().run());
    assertThat(e.recovery()).isEqualTo(VmRecovery.UNTOUCHED);
    assertThat(qemu.commands())
        .startsWith("query-status", "query-migrate")
        .allMatch(RestoreTest::isRead);
    assertThat(marked()).isFalse();
  }

  private static boolean isRead(String command) {
    return command.startsWith("query-") || command.equals("qom-get");
  }

  @Test
  void aQemuWithOtherMemoryIsRefused() throws Exception {
    writeCheckpoint();
    qemu.clearMemdevs();
    qemu.addMemdev(FakeQemu.Memdev.file("ram0", RAM / 2, dir.resolve("other.img")));
    CprRestoreException e = catchThrowableOfType(CprRestoreException.class, () -> restore().run());
    assertThat(e)
        .hasMessageContaining("has 33554432 bytes, not 67108864")
        .hasMessageContaining("mem-path=" + ramFile);
    assertThat(e.recovery()).isEqualTo(VmRecovery.UNTOUCHED);
    assertThat(qemu.commands()).doesNotContain("migrate-set-parameters", "migrate-incoming");
    assertThat(marked()).isFalse();
  }

  @Test
  void aCapabilityThisQemuLacksIsRefused() throws Exception {
    writeCheckpoint();
    qemu.removeCapability("x-ignore-shared");
    CprRestoreException e = catchThrowableOfType(CprRestoreException.class, () -> restore().run());
    assertThat(e).hasMessageContaining("x-ignore-shared");
    assertThat(e.recovery()).isEqualTo(VmRecovery.UNTOUCHED);
    assertThat(qemu.commands())
        .doesNotContain(
            "migrate-set-parameters", "migrate-set-capabilities", "add-fd", "migrate-incoming");
    assertThat(marked()).isFalse();
  }

  @Test
  void theModeIsSetWithoutAskingItFirst() throws Exception {
    writeCheckpoint();
    qemu.mode("cpr-reboot"); // as set by an earlier restore that was refused after its changes
    assertThat(restore().run().runState()).isEqualTo(RunState.RUNNING);
    assertThat(qemu.commands()).doesNotContain("query-migrate-parameters");
    assertThat(qemu.requests("migrate-set-parameters"))
        .extracting(r -> r.argument("mode"))
        .containsExactly("cpr-reboot");
  }

  @Test
  void theMemoryReadsGoOutBeforeTheFirstReplyIsNeeded() throws Exception {
    writeCheckpoint();
    List<String> receivedBeforeTheFirstReply = new java.util.concurrent.CopyOnWriteArrayList<>();
    // The first reply the restore waits for is held back until all six reads have arrived (or
    // 5 s, if the restore waited for a reply before sending the rest).
    qemu.server()
        .enqueue(
            "query-status",
            (r, x) ->
                x.later(
                    Duration.ofMillis(1),
                    () -> {
                      long end = System.nanoTime() + Duration.ofSeconds(5).toNanos();
                      while (qemu.commands().size() < 6 && System.nanoTime() < end) {
                        java.util.concurrent.locks.LockSupport.parkNanos(1_000_000);
                      }
                      receivedBeforeTheFirstReply.addAll(qemu.commands());
                      x.returns("{\"running\": false, \"status\": \"inmigrate\"}");
                    }));
    assertThat(restore().run().runState()).isEqualTo(RunState.RUNNING);
    assertThat(receivedBeforeTheFirstReply)
        .containsExactly(
            "query-status",
            "query-migrate",
            "query-migrate-capabilities",
            "query-memdev",
            "qom-get",
            "qom-get");
  }

  @Test
  void aFailingGuessedReadOfAMemfdBackendIsIgnored() throws Exception {
    writeCheckpoint(
        List.of("events"),
        List.of(new CprManifest.RamBackend("ram0", "memory-backend-memfd", RAM, null, true, false)),
        false,
        RunState.RUNNING,
        null,
        null);
    qemu.clearMemdevs();
    qemu.addMemdev(FakeQemu.Memdev.memfd("ram0", RAM));
    CprRestoreResult result = restore().run();
    // mem-path was read ahead, and QEMU failed it: a memfd has none.
    assertThat(qomReads("ram0")).containsExactly("type", "mem-path");
    assertThat(result.runState()).isEqualTo(RunState.RUNNING);
    assertThat(qemu.requests("migrate-set-capabilities").get(0).arguments().toString())
        .isEqualTo("{\"capabilities\":[{\"capability\":\"events\",\"state\":true}]}");
    assertThat(CprManifest.read(stateFile).orElseThrow().restored()).isTrue();
  }

  @Test
  void aBackendTheManifestDoesNotNameIsReadAfterQueryMemdev() throws Exception {
    writeCheckpoint();
    Path other = Files.createFile(dir.resolve("ram1.img"));
    qemu.addMemdev(FakeQemu.Memdev.file("ram1", RAM, other));
    assertThat(restore().run().runState()).isEqualTo(RunState.RUNNING);
    assertThat(qomReads("ram0")).containsExactly("type", "mem-path");
    // Read as before: its type, then, as it is a file backend, its mem-path.
    assertThat(qomReads("ram1")).containsExactly("type", "mem-path");
    assertThat(qemu.commands().subList(4, 8))
        .containsExactly("qom-get", "qom-get", "qom-get", "qom-get");
  }

  @Test
  void aFailedChangeAfterAddFdRemovesTheFdSetAndTheMark() throws Exception {
    writeCheckpoint();
    List<Boolean> markedWhileInFlight = new java.util.concurrent.CopyOnWriteArrayList<>();
    // QEMU refuses the capabilities, and still carries out the add-fd sent behind them. The reply
    // comes once the mark is on disk (the restore writes it while the changes are on their way).
    qemu.on(
        "migrate-set-capabilities",
        (r, x) ->
            x.later(
                Duration.ofMillis(1),
                () -> {
                  markedWhileInFlight.add(awaitMarked());
                  x.error("GenericError", "capability x-ignore-shared refused");
                }));
    CprRestoreException e = catchThrowableOfType(CprRestoreException.class, () -> restore().run());

    assertThat(markedWhileInFlight).containsExactly(true);
    assertThat(e.phase()).isEqualTo(CprPhase.PREPARE);
    assertThat(e.qemuError()).isEqualTo("capability x-ignore-shared refused");
    assertThat(e.recovery()).isEqualTo(VmRecovery.NEEDS_ATTENTION);
    assertThat(e)
        .hasMessageContaining("Start a new QEMU with -incoming defer")
        .hasMessageNotContaining("force(true)");
    assertThat(qemu.commands()).contains("add-fd", "remove-fd").doesNotContain("migrate-incoming");
    assertThat(qemu.requests("remove-fd"))
        .singleElement()
        .satisfies(r -> assertThat(r.argument("fdset-id")).isEqualTo("0"));
    CprManifest m = CprManifest.read(stateFile).orElseThrow();
    assertThat(m.restoreStartedAt()).isNull();
    assertThat(m.restored()).isFalse();
  }

  /** Waits up to 5 s for the "restore started" mark. */
  private boolean awaitMarked() {
    long end = System.nanoTime() + Duration.ofSeconds(5).toNanos();
    while (System.nanoTime() < end) {
      try {
        if (marked()) {
          return true;
        }
        Thread.sleep(5);
      } catch (RuntimeException | InterruptedException ignored) {
        // mid-rename or interrupted: look again
      }
    }
    return false;
  }

  @Test
  void aMarkThatCannotBeWrittenFailsThePrepareAndRemovesTheFdSet() throws Exception {
    writeCheckpoint();
    Path manifest = CprManifest.pathFor(stateFile);
    // Verified, then replaced by a directory that no file can be renamed onto.
    java.util.concurrent.atomic.AtomicBoolean replaced =
        new java.util.concurrent.atomic.AtomicBoolean();
    qemu.on(
        "query-migrate",
        (r, x) -> {
          if (!replaced.getAndSet(true)) {
            try {
              Files.delete(manifest);
              Files.createDirectories(manifest.resolve("in-the-way"));
            } catch (IOException io) {
              throw new java.io.UncheckedIOException(io);
            }
          }
          x.returns(qemu.migrationInfo());
        });
    CprRestoreException e = catchThrowableOfType(CprRestoreException.class, () -> restore().run());
    assertThat(e.phase()).isEqualTo(CprPhase.PREPARE);
    assertThat(e.recovery()).isEqualTo(VmRecovery.NEEDS_ATTENTION);
    assertThat(e).hasMessageNotContaining("force(true)");
    assertThat(qemu.commands()).contains("add-fd", "remove-fd").doesNotContain("migrate-incoming");
    assertThat(manifest).isDirectory();
  }

  @Test
  void aFailedLoadReportsQemusErrorAndTakesBackTheMark() throws Exception {
    writeCheckpoint();
    qemu.incomingScript(FakeQemu.incomingFails("load of migration failed: Invalid argument"));
    CprRestoreException e = catchThrowableOfType(CprRestoreException.class, () -> restore().run());
    assertThat(e.phase()).isEqualTo(CprPhase.LOAD);
    assertThat(e.qemuError()).isEqualTo("load of migration failed: Invalid argument");
    assertThat(e.vmState()).isEqualTo(RunState.INMIGRATE);
    assertThat(e.recovery()).isEqualTo(VmRecovery.NEEDS_ATTENTION);
    assertThat(e).hasMessageContaining("Start a new QEMU with -incoming defer");
    CprManifest m = CprManifest.read(stateFile).orElseThrow();
    assertThat(m.restoreStartedAt()).isNull();
    assertThat(m.restored()).isFalse();
  }

  @Test
  void aRefusedMigrateIncomingTakesBackTheMark() throws Exception {
    writeCheckpoint();
    qemu.incomingScript(FakeQemu.commandError("file transport not supported"));
    CprRestoreException e = catchThrowableOfType(CprRestoreException.class, () -> restore().run());
    assertThat(e.qemuError()).isEqualTo("file transport not supported");
    assertThat(CprManifest.read(stateFile).orElseThrow().restoreStartedAt()).isNull();
  }

  @Test
  void aLoadThatDoesNotEndKeepsTheMark() throws Exception {
    writeCheckpoint();
    qemu.incomingScript((q, r, x) -> x.returns("{}"));
    CprRestoreException e =
        catchThrowableOfType(
            CprRestoreException.class, () -> restore().phaseTimeout(Duration.ofMillis(300)).run());
    assertThat(e.phase()).isEqualTo(CprPhase.LOAD);
    assertThat(e.recovery()).isEqualTo(VmRecovery.NEEDS_ATTENTION);
    assertThat(e).hasMessageContaining("force(true)");
    assertThat(CprManifest.read(stateFile).orElseThrow().restoreStartedAt()).isNotNull();
    CprCheckpointException again =
        catchThrowableOfType(
            CprCheckpointException.class, () -> CprReboot.restore(qmp).from(stateFile).run());
    assertThat(again.reason()).isEqualTo(Reason.RESTORE_INTERRUPTED);
  }

  @Test
  void withoutAManifestTheCapabilitiesFollowTheMemory() throws Exception {
    Files.writeString(stateFile, STATE);
    CprRestoreResult result = restore().run();
    assertThat(qemu.requests("migrate-set-capabilities").get(0).arguments().toString())
        .isEqualTo(
            "{\"capabilities\":[{\"capability\":\"events\",\"state\":true},"
                + "{\"capability\":\"x-ignore-shared\",\"state\":true}]}");
    assertThat(result.manifestFile()).isNull();
    assertThat(result.markedRestored()).isFalse();
    assertThat(result.outage()).isNull();
    // The claim is taken without a manifest too; its lock file stays, for the next restore.
    assertThat(stateDirectory()).containsExactly("vm.state", "vm.state.lock");
    assertThat(events)
        .extracting(CprProgressEvent::message)
        .anyMatch(m -> m.contains("cannot be verified"));
  }

  @Test
  void anOlderQemuWithoutExitOnErrorIsNotSentIt() throws Exception {
    writeCheckpoint();
    qemu.schemaFails(true);
    qmp.close();
    qemu.server()
        .greeting(
            "{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 0, \"minor\": 0,"
                + " \"major\": 9}, \"package\": \"\"}, \"capabilities\": [\"oob\"]}}");
    qmp = QmpClient.connect(qemu.socketPath());
    restore().run();
    assertThat(qemu.requests("migrate-incoming").get(0).arguments().has("exit-on-error")).isFalse();
  }

  @Test
  void thePathFormLetsQemuOpenTheFile() throws Exception {
    writeCheckpoint();
    restore().passFileDescriptor(false).run();
    assertThat(qemu.commands()).doesNotContain("add-fd");
    assertThat(qemu.requests("migrate-incoming").get(0).arguments().toString())
        .contains("\"filename\":\"" + stateFile + "\"");
  }

  // ------------------------------------------------------------------ edges (issue 11)

  /** Replaces the manifest by a directory, onto which no manifest can be renamed. */
  private void blockTheManifest() {
    Path manifest = CprManifest.pathFor(stateFile);
    try {
      Files.delete(manifest);
      Files.createDirectories(manifest.resolve("in-the-way"));
    } catch (IOException io) {
      throw new java.io.UncheckedIOException(io);
    }
  }

  @Test
  void aRestoreThatAnotherProcessRunsIsRefusedBeforeQemuIsTouched() throws Exception {
    writeCheckpoint();
    try (LockHolder other = LockHolder.lock(stateFile.resolveSibling("vm.state.lock"))) {
      CprCheckpointException e = refusedCheckpoint(restore());
      assertThat(e.reason()).isEqualTo(Reason.RESTORE_IN_PROGRESS);
      assertThat(e).hasMessageContaining("another restore").hasMessageContaining("vm.state.lock");
      assertThat(marked()).isFalse();
      // The claim dies with its process: no stale claim is left to clean up by hand.
      other.kill();
    }
    assertThat(CprReboot.restore(qmp).from(stateFile).run().runState()).isEqualTo(RunState.RUNNING);
    assertThat(CprManifest.read(stateFile).orElseThrow().restored()).isTrue();
  }

  /** A symlink to the state file from another directory, as {@code ln -s .../vm.state latest/}. */
  private Path linkFromAnotherDirectory() throws IOException {
    Path elsewhere = Files.createDirectory(dir.resolve("latest"));
    return Files.createSymbolicLink(elsewhere.resolve("vm.state"), stateFile);
  }

  /**
   * Review (issue 11): a restore through a symlink to the state file (a "latest" link, as a new
   * user makes one) looks for the manifest beside the link, finds none, and loads "without
   * verification": a checkpoint restored already is restored again, and its marks are never read
   * nor written. The state file is opened through the link all the same.
   */
  @Test
  void aRestoreThroughASymlinkToTheStateFileStillHonoursItsManifest() throws Exception {
    writeCheckpoint(false, RunState.RUNNING, Instant.now(), Instant.now()); // restored already
    Path link = linkFromAnotherDirectory();
    CprCheckpointException e =
        catchThrowableOfType(
            CprCheckpointException.class,
            () -> CprReboot.restore(qmp).from(link).progressListener(events::add).run());
    assertThat(e)
        .as(
            "a checkpoint restored already was loaded again through a symlink; QEMU got" + " %s",
            qemu.commands())
        .isNotNull();
    assertThat(e.reason()).isEqualTo(Reason.ALREADY_RESTORED);
    assertThat(qemu.commands()).doesNotContain("migrate-incoming");
  }

  /**
   * Review (issue 11, item 2): two restores of one checkpoint, one through its path and one through
   * a symlink in another directory. The claim is {@code <real directory of the name>/<name>.lock},
   * the name of the link and not of the file, so each takes its own lock, and both load onto the
   * same shared RAM.
   */
  @Test
  void aRestoreThroughASymlinkRespectsTheClaimOfARestoreThroughThePath() throws Exception {
    writeCheckpoint();
    Path link = linkFromAnotherDirectory();
    try (LockHolder other = LockHolder.lock(stateFile.resolveSibling("vm.state.lock"))) {
      CprCheckpointException e =
          catchThrowableOfType(
              CprCheckpointException.class,
              () -> CprReboot.restore(qmp).from(link).progressListener(events::add).run());
      assertThat(e)
          .as(
              "the restore loaded although another restore holds the claim; QEMU got" + " %s",
              qemu.commands())
          .isNotNull();
      assertThat(e.reason()).isEqualTo(Reason.RESTORE_IN_PROGRESS);
      assertThat(qemu.commands()).doesNotContain("migrate-incoming");
    }
  }

  /**
   * Review (issue 11): a save to the checkpoint's path while a restore of it loads. The restore
   * loads the old state from its open descriptor, and then writes its "restored" mark as the whole
   * manifest it read at the start, over the manifest the save just committed: the new state file is
   * left with the old checkpoint's manifest (another size and SHA-256, marked restored), so it can
   * no longer be restored as it is, and nothing says why. Neither the save respects the restore's
   * claim, nor does the restore check that the manifest is still the one it read.
   */
  @Test
  void aSaveCommittedWhileARestoreLoadsKeepsItsOwnManifest() throws Exception {
    writeCheckpoint();
    AtomicBoolean saved = new AtomicBoolean();
    FakeQemu.Script load = FakeQemu.incomingCompletes();
    qemu.incomingScript(
        (q, r, x) -> {
          // Another QEMU is saved to the same path while this one loads.
          try (FakeQemu source = FakeQemu.start()) {
            source.addMemdev(FakeQemu.Memdev.file("ram0", RAM, ramFile));
            try (QmpClient c = QmpClient.connect(source.socketPath())) {
              CprReboot.save(c).to(stateFile).run();
              saved.set(true);
            }
          }
          load.run(q, r, x);
        });
    CprRestoreResult result = restore().run();
    assertThat(result.runState()).isEqualTo(RunState.RUNNING);
    assertThat(saved).as("the other save ran").isTrue();
    CprManifest manifest = CprManifest.read(stateFile).orElseThrow();
    assertThat(manifest.stateFileSha256())
        .as("the manifest beside the new state file is the new checkpoint's")
        .isEqualTo(StateFiles.sha256(stateFile));
    assertThat(manifest.restored()).as("the new checkpoint was never restored").isFalse();
  }

  /**
   * SECURITY.md: a restore refuses "a checkpoint that another restore is loading (each restore
   * holds an exclusive lock on {@code <state>.lock} to its end)". A restore without a manifest (a
   * checkpoint from another tool, or one whose manifest was moved away as the MEMORY_FILE_REPLACED
   * hint says) loads onto the same shared RAM all the same: it must take and respect the claim.
   */
  @Test
  void aRestoreWithoutAManifestStillRespectsAnotherRestoresClaim() throws Exception {
    Files.writeString(stateFile, "QEVM state bytes"); // no manifest
    try (LockHolder other = LockHolder.lock(stateFile.resolveSibling("vm.state.lock"))) {
      CprCheckpointException e =
          catchThrowableOfType(CprCheckpointException.class, () -> restore().run());
      assertThat(e)
          .as(
              "the restore loaded although another restore holds the claim; commands %s",
              qemu.commands())
          .isNotNull();
      assertThat(e.reason()).isEqualTo(Reason.RESTORE_IN_PROGRESS);
      assertThat(qemu.commands()).doesNotContain("migrate-incoming");
    }
  }

  /**
   * A FIFO left at {@code <state>.lock} (by a script, or anyone who can write the directory) must
   * not block the claim's open (O_CREAT|O_WRONLY blocks until a reader comes): the restore would
   * hang before it even reads the manifest, beyond its own timeout, with the VM down. The claim
   * refuses anything but a regular file, and never blocks.
   */
  @Test
  void aFifoAtTheLockPathDoesNotHangTheRestoreBeyondItsTimeout() throws Exception {
    writeCheckpoint();
    Path fifo = stateFile.resolveSibling("vm.state.lock");
    assertThat(new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor()).isZero();
    java.util.concurrent.CompletableFuture<Throwable> outcome =
        java.util.concurrent.CompletableFuture.supplyAsync(
            () -> {
              try {
                restore().timeout(Duration.ofSeconds(3)).run();
                return null;
              } catch (RuntimeException e) {
                return e;
              }
            });
    try {
      Throwable t = outcome.get(20, java.util.concurrent.TimeUnit.SECONDS);
      assertThat(t).isInstanceOf(CprException.class);
      assertThat(t)
          .isInstanceOf(CprCheckpointException.class)
          .hasMessageContaining(fifo.toString())
          .hasMessageContaining("not a regular file");
      assertThat(((CprCheckpointException) t).reason()).isEqualTo(Reason.LOCK_FILE_UNUSABLE);
      assertThat(qemu.commands()).as("QEMU must not be touched").isEmpty();
      assertThat(marked()).isFalse();
      assertThat(fifo).as("what was there is left alone").exists();
    } catch (java.util.concurrent.TimeoutException e) {
      throw new AssertionError(
          "the restore still hangs 20 s after its 3 s timeout, in the open"
              + " of the FIFO at "
              + fifo,
          e);
    } finally {
      // unblock a stuck open, so that the test leaves no thread behind
      new ProcessBuilder("timeout", "2", "cat", fifo.toString()).start().waitFor();
    }
  }

  @Test
  void aSymlinkAtTheLockPathIsRefusedAndNotFollowed() throws Exception {
    writeCheckpoint();
    Path elsewhere = Files.writeString(dir.resolve("elsewhere"), "not a lock");
    Files.createSymbolicLink(stateFile.resolveSibling("vm.state.lock"), elsewhere);
    CprCheckpointException e = refusedCheckpoint(restore());
    assertThat(e.reason()).isEqualTo(Reason.LOCK_FILE_UNUSABLE);
    assertThat(e).hasMessageContaining("symbolic link");
    assertThat(Files.readString(elsewhere)).isEqualTo("not a lock");
  }

  @Test
  void aQemuThatDiesAfterResumeKeepsTheMarkEvenWhenAListenerLags() throws Exception {
    writeCheckpoint();
    java.util.concurrent.CountDownLatch restoreEnded = new java.util.concurrent.CountDownLatch(1);
    // A user's listener that is slow on RESUME: the workflow's own view of the events must not
    // depend on it.
    qmp.subscribe(
        e -> {
          if (e instanceof io.github.qemucpr.qmp.event.ResumeEvent) {
            try {
              restoreEnded.await(30, java.util.concurrent.TimeUnit.SECONDS);
            } catch (InterruptedException ie) {
              Thread.currentThread().interrupt();
            }
          }
        });
    // The load runs the vCPUs (RESUME), then QEMU dies before MIGRATION completed.
    qemu.incomingScript(
        (q, r, x) -> {
          q.migrationStatus("active");
          x.event("MIGRATION", "{\"status\": \"setup\"}");
          x.returns("{}");
          x.event("MIGRATION", "{\"status\": \"active\"}");
          q.runState("running");
          x.event("RESUME", null);
          x.disconnect();
        });
    CprRestoreException e;
    try {
      e = catchThrowableOfType(CprRestoreException.class, () -> restore().run());
    } finally {
      restoreEnded.countDown();
    }
    assertThat(e.phase()).isEqualTo(CprPhase.LOAD);
    assertThat(e.recovery()).isEqualTo(VmRecovery.NEEDS_ATTENTION);
    assertThat(marked()).as("the VM ran from the checkpoint: the mark stays").isTrue();
    assertThat(e).hasMessageContaining("force(true)");
  }

  @Test
  void anAddFdThatTimesOutIsTakenBackFromQemu() throws Exception {
    writeCheckpoint();
    // QEMU carries out add-fd, but its reply comes only after the restore has given up on it.
    java.util.Map<Long, String> fdsets = new java.util.concurrent.ConcurrentHashMap<>();
    qemu.on(
        "add-fd",
        (r, x) -> {
          fdsets.put(0L, String.valueOf(r.argument("opaque")));
          x.later(Duration.ofSeconds(3), () -> x.returns("{\"fdset-id\": 0, \"fd\": 30}"));
        });
    qemu.on(
        "query-fdsets",
        (r, x) -> {
          StringBuilder sb = new StringBuilder("[");
          fdsets.forEach(
              (id, opaque) ->
                  sb.append(sb.length() > 1 ? "," : "")
                      .append("{\"fdset-id\": ")
                      .append(id)
                      .append(", \"fds\": [{\"fd\": 30, \"opaque\": ")
                      .append(JSON.valueToTree(opaque).toString())
                      .append("}]}"));
          x.returns(sb.append("]").toString());
        });
    qemu.on(
        "remove-fd",
        (r, x) -> {
          fdsets.remove(Long.parseLong(String.valueOf(r.argument("fdset-id"))));
          x.returns("{}");
        });
    CprRestoreException e =
        catchThrowableOfType(
            CprRestoreException.class, () -> restore().phaseTimeout(Duration.ofMillis(700)).run());
    assertThat(e.phase()).isEqualTo(CprPhase.PREPARE);
    assertThat(qemu.commands()).contains("add-fd").doesNotContain("migrate-incoming");
    assertThat(fdsets).as("fd sets left in QEMU; commands %s", qemu.commands()).isEmpty();
    assertThat(marked()).isFalse();
  }

  @Test
  void aResultSaysSoWhenTheRestoredMarkCouldNotBeWritten() throws Exception {
    writeCheckpoint();
    FakeQemu.Script load = qemu.incomingScript();
    qemu.incomingScript(
        (q, r, x) -> {
          blockTheManifest(); // after the "restore started" mark, before the "restored" one
          load.run(q, r, x);
        });
    CprRestoreResult result = restore().run();
    assertThat(result.runState()).isEqualTo(RunState.RUNNING);
    assertThat(result.manifestFile()).isEqualTo(CprManifest.pathFor(stateFile));
    assertThat(result.markedRestored()).isFalse();
    assertThat(events)
        .filteredOn(e -> e.phase() == CprPhase.MARK_RESTORED)
        .anyMatch(
            e ->
                e.kind() == CprProgressEvent.Kind.FAILED && e.message().contains("could not mark"));
  }

  @Test
  void aMarkThatCannotBeTakenBackDoesNotHideQemusError() throws Exception {
    writeCheckpoint();
    FakeQemu.Script fails = FakeQemu.incomingFails("load of migration failed: Invalid argument");
    qemu.incomingScript(
        (q, r, x) -> {
          blockTheManifest();
          fails.run(q, r, x);
        });
    CprRestoreException e = catchThrowableOfType(CprRestoreException.class, () -> restore().run());
    assertThat(e.phase()).isEqualTo(CprPhase.LOAD);
    assertThat(e.qemuError()).isEqualTo("load of migration failed: Invalid argument");
    assertThat(e)
        .hasMessageContaining("load of migration failed: Invalid argument")
        .hasMessageContaining("force(true)");
    assertThat(e.getCause()).isNotInstanceOf(IOException.class);
    assertThat(e.getCause().getSuppressed()).hasAtLeastOneElementOfType(IOException.class);
  }

  @Test
  void aRefusedMigrateIncomingWhoseMarkCannotBeTakenBackKeepsQemusError() throws Exception {
    writeCheckpoint();
    qemu.incomingScript(
        (q, r, x) -> {
          blockTheManifest();
          x.error("GenericError", "file transport not supported");
        });
    CprRestoreException e = catchThrowableOfType(CprRestoreException.class, () -> restore().run());
    assertThat(e.qemuError()).isEqualTo("file transport not supported");
    assertThat(e.getCause().getSuppressed()).hasAtLeastOneElementOfType(IOException.class);
  }

  /** Saves from the fake as a VM running on {@link #ramFile}, and gives a target to restore to. */
  private FakeQemu savedAndATarget() {
    qemu.runState("running");
    save().run();
    FakeQemu target = FakeQemu.start();
    target.runState("inmigrate");
    target.addMemdev(FakeQemu.Memdev.file("ram0", RAM, ramFile));
    return target;
  }

  @Test
  void aRamFileCreatedAgainAtTheSamePathIsRefused() throws Exception {
    Files.write(ramFile, new byte[4096]);
    try (FakeQemu target = savedAndATarget();
        var qmp2 = QmpClient.connect(target.socketPath())) {
      // As after a host reboot into a fresh /dev/shm, or a file deleted by mistake: QEMU makes a
      // new, zero-filled file at the same path, and the mem-path strings still match.
      Files.delete(ramFile);
      Files.write(ramFile, new byte[4096]);
      CprCheckpointException e =
          catchThrowableOfType(
              CprCheckpointException.class, () -> CprReboot.restore(qmp2).from(stateFile).run());
      assertThat(e.reason()).isEqualTo(Reason.MEMORY_FILE_REPLACED);
      assertThat(e)
          .hasMessageContaining(ramFile + " is not the file the save left there")
          .hasMessageContaining("inode");
      assertThat(target.commands()).as("QEMU must not be touched").isEmpty();
      assertThat(CprManifest.read(stateFile).orElseThrow().restoreStartedAt()).isNull();
    }
  }

  @Test
  void ramOnTmpfsIsGoneAfterAHostReboot() throws Exception {
    CprManifest.RamFile now = identityOf(ramFile);
    writeCheckpoint(
        List.of("events", "x-ignore-shared"),
        List.of(
            new CprManifest.RamBackend(
                "ram0",
                "memory-backend-file",
                RAM,
                ramFile.toString(),
                true,
                true,
                CprManifest.RamFile.builder()
                    .fileSystem("tmpfs")
                    .device(now.device())
                    .inode(now.inode())
                    .size(now.size())
                    .modifiedAt(now.modifiedAt())
                    .hostBootId("an-earlier-boot")
                    .build())),
        false,
        RunState.RUNNING,
        null,
        null);
    CprCheckpointException e = refusedCheckpoint(restore());
    assertThat(e.reason()).isEqualTo(Reason.MEMORY_FILE_REPLACED);
    assertThat(e)
        .hasMessageContaining("the host has rebooted since the save")
        .hasMessageContaining("tmpfs");
  }

  @Test
  void ramOnADiskMayHaveAnotherDeviceNumberAfterAHostReboot() throws Exception {
    Path disk = TestDirs.onDisk();
    try {
      Path ram = Files.createFile(disk.resolve("ram0.img"));
      qemu.clearMemdevs();
      qemu.addMemdev(FakeQemu.Memdev.file("ram0", RAM, ram));
      CprManifest.RamFile now = identityOf(ram);
      assertThat(now.fileSystem()).isNotIn("tmpfs", "ramfs");
      writeCheckpoint(
          List.of("events", "x-ignore-shared"),
          List.of(
              new CprManifest.RamBackend(
                  "ram0",
                  "memory-backend-file",
                  RAM,
                  ram.toString(),
                  true,
                  true,
                  CprManifest.RamFile.builder()
                      .fileSystem(now.fileSystem())
                      .device(now.device() + 1)
                      .inode(now.inode())
                      .size(now.size())
                      .modifiedAt(now.modifiedAt())
                      .hostBootId("an-earlier-boot")
                      .build())),
          false,
          RunState.RUNNING,
          null,
          null);
      assertThat(restore().run().runState()).isEqualTo(RunState.RUNNING);
    } finally {
      TestDirs.delete(disk);
    }
  }

  @Test
  void anotherDeviceNumberInTheSameBootIsAnotherFile() throws Exception {
    CprManifest.RamFile now = identityOf(ramFile);
    writeCheckpoint(
        List.of("events", "x-ignore-shared"),
        List.of(
            new CprManifest.RamBackend(
                "ram0",
                "memory-backend-file",
                RAM,
                ramFile.toString(),
                true,
                true,
                CprManifest.RamFile.builder()
                    .fileSystem(now.fileSystem())
                    .device(now.device() + 1)
                    .inode(now.inode())
                    .size(now.size())
                    .modifiedAt(now.modifiedAt())
                    .hostBootId(now.hostBootId())
                    .build())),
        false,
        RunState.RUNNING,
        null,
        null);
    assertThat(refusedCheckpoint(restore()).reason()).isEqualTo(Reason.MEMORY_FILE_REPLACED);
  }

  /** What {@code stat} and the host say of {@code file} now, as a save would record it. */
  private static CprManifest.RamFile identityOf(Path file) throws IOException {
    java.util.Map<String, Object> a =
        Files.readAttributes(file, "unix:dev,ino,size,lastModifiedTime");
    return CprManifest.RamFile.builder()
        .fileSystem(Files.getFileStore(file).type())
        .device((Long) a.get("dev"))
        .inode((Long) a.get("ino"))
        .size((Long) a.get("size"))
        .modifiedAt(((java.nio.file.attribute.FileTime) a.get("lastModifiedTime")).toInstant())
        .hostBootId(Files.readString(Path.of("/proc/sys/kernel/random/boot_id")).strip())
        .build();
  }

  @Test
  void aSaveThenARestoreRoundTrip() throws Exception {
    qemu.runState("running");
    save().run();
    try (FakeQemu target = FakeQemu.start();
        var qmp2 = QmpClient.connect(target.socketPath())) {
      target.runState("inmigrate");
      target.addMemdev(FakeQemu.Memdev.file("ram0", RAM, ramFile));
      assertThat(CprManifest.read(stateFile).orElseThrow().memoryBackends().get(0).file())
          .as("the RAM file's identity")
          .isNotNull()
          .satisfies(f -> assertThat(f.hostBootId()).isNotBlank());
      CprRestoreResult result = CprReboot.restore(qmp2).from(stateFile).run();
      assertThat(result.runState()).isEqualTo(RunState.RUNNING);
      assertThat(target.capabilities())
          .containsEntry("x-ignore-shared", true)
          .containsEntry("events", true);
      CprCheckpointException again =
          catchThrowableOfType(
              CprCheckpointException.class, () -> CprReboot.restore(qmp2).from(stateFile).run());
      assertThat(again.reason()).isEqualTo(Reason.ALREADY_RESTORED);
    }
  }
}
