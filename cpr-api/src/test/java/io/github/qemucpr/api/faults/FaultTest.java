package io.github.qemucpr.api.faults;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.qemucpr.api.CprManifest;
import io.github.qemucpr.api.CprPhase;
import io.github.qemucpr.api.CprProgressEvent;
import io.github.qemucpr.api.CprProgressListener;
import io.github.qemucpr.api.CprReboot;
import io.github.qemucpr.api.CprRestoreResult;
import io.github.qemucpr.launcher.QemuInstance;
import io.github.qemucpr.launcher.QemuLauncher;
import io.github.qemucpr.qmp.QmpClient;
import io.github.qemucpr.qmp.command.FdsetInfo;
import io.github.qemucpr.qmp.command.MigrationStatus;
import io.github.qemucpr.qmp.command.QueryFdsets;
import io.github.qemucpr.qmp.command.QueryMigrate;
import io.github.qemucpr.qmp.command.QueryMigrateParameters;
import io.github.qemucpr.qmp.command.QueryStatus;
import io.github.qemucpr.qmp.command.RunState;
import io.github.qemucpr.testing.FakeQmpServer;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * What every fault test shares: a leftover check around each test (no client thread, descriptor or
 * QEMU process may outlive it), a record of the progress events, and the checks on the files of a
 * checkpoint.
 */
abstract class FaultTest {
  @TempDir Path dir;
  final List<CprProgressEvent> events = new CopyOnWriteArrayList<>();
  private Leftovers.Snapshot leftovers;

  /**
   * The JDK keeps one socket of its own for good once a Unix {@link SocketChannel} was used (NIO's
   * "pre-close" socket pair, of which one end is closed at once: {@code ss} shows it connected to
   * nothing). The launcher probes QEMU's monitor with such a channel, and the QMP client connects
   * with junixsocket: both happen once, against an in-process fake, before any snapshot.
   */
  @BeforeAll
  static void openTheSocketsAJvmKeeps() throws IOException {
    try (FakeQmpServer server = FakeQmpServer.start()) {
      try (QmpClient qmp = QmpClient.connect(server.socketPath())) {
        assertThat(qmp.isOpen()).isTrue();
      }
      try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
        channel.connect(UnixDomainSocketAddress.of(server.socketPath()));
        channel.read(ByteBuffer.allocate(1));
      }
    }
  }

  @BeforeEach
  final void takeLeftoverSnapshot() {
    leftovers = Leftovers.take();
  }

  @AfterEach
  final void nothingIsLeftBehind() {
    Leftovers.assertNothingLeftSince(leftovers);
  }

  static RunState runState(QmpClient qmp) {
    return qmp.execute(new QueryStatus()).status();
  }

  /** Records every event, and runs {@code action} once, on {@code kind} of {@code phase}. */
  CprProgressListener on(CprPhase phase, CprProgressEvent.Kind kind, Runnable action) {
    boolean[] done = {false};
    return e -> {
      events.add(e);
      if (!done[0] && e.phase() == phase && e.kind() == kind) {
        done[0] = true;
        action.run();
      }
    };
  }

  /** Records every event. */
  CprProgressListener recordEvents() {
    return events::add;
  }

  /** A closed QMP connection, as the client words it: closed by QEMU, or broken. */
  static final String CONNECTION_CLOSED = "(?s).*(closed|broke).*";

  /** Asserts that QEMU was left exactly as an {@code -incoming defer} QEMU starts. */
  static void assertUntouchedIncoming(QmpClient qmp) {
    assertThat(runState(qmp)).isEqualTo(RunState.INMIGRATE);
    assertThat(qmp.execute(new QueryMigrate()).status()).isEqualTo(MigrationStatus.NONE);
    assertThat(qmp.execute(new QueryMigrateParameters()).mode().wireName()).isEqualTo("normal");
    assertThat(qmp.execute(new QueryFdsets())).as("fd sets").isEmpty();
  }

  static List<FdsetInfo> fdsets(QmpClient qmp) {
    return qmp.execute(new QueryFdsets());
  }

  /** The names of the files in a directory, sorted. */
  static List<String> filesIn(Path directory) throws IOException {
    try (Stream<Path> files = Files.list(directory)) {
      return files.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  static byte[] randomBytes(int n, long seed) {
    byte[] b = new byte[n];
    new Random(seed).nextBytes(b);
    return b;
  }

  static String sha256(Path file) throws IOException {
    try {
      return HexFormat.of()
          .formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }

  /**
   * Saves a VM started from {@code vm} (with {@code sourceArgs}) to {@code state}, restores it into
   * a new QEMU and returns that one, running: the state of a VM that has a good, consumed
   * checkpoint behind it.
   */
  static QemuInstance savedAndRestored(QemuLauncher vm, Path state, List<String> sourceArgs) {
    try (QemuInstance source = vm.start(sourceArgs, true);
        QmpClient qmp = QmpClient.connect(source.qmpSocket())) {
      CprReboot.save(qmp).to(state).run();
      assertThat(source.awaitExit(Duration.ofSeconds(30))).isZero();
    }
    QemuInstance target = vm.startIncoming();
    try (QmpClient qmp = QmpClient.connect(target.qmpSocket())) {
      CprRestoreResult restored = CprReboot.restore(qmp).from(state).run();
      assertThat(restored.runState()).isEqualTo(RunState.RUNNING);
    } catch (RuntimeException | Error e) {
      target.close();
      throw e;
    }
    return target;
  }

  /** A checkpoint's files as they were, to prove later that nothing changed them. */
  record Checkpoint(Path state, byte[] stateBytes, byte[] manifestBytes) {
    static Checkpoint capture(Path state) throws IOException {
      return new Checkpoint(
          state, Files.readAllBytes(state), Files.readAllBytes(CprManifest.pathFor(state)));
    }

    /** Byte for byte as captured, and the manifest still matches the state file. */
    void assertIntact() throws IOException {
      assertThat(Files.readAllBytes(state)).as("state file %s", state).isEqualTo(stateBytes);
      assertThat(Files.readAllBytes(CprManifest.pathFor(state)))
          .as("manifest of %s", state)
          .isEqualTo(manifestBytes);
      CprManifest m = CprManifest.read(state).orElseThrow();
      assertThat(m.stateFileSize()).isEqualTo(Files.size(state));
      assertThat(m.stateFileSha256()).isEqualTo(sha256(state));
    }
  }

  /** Asserts that the checkpoint at {@code state} is complete: its manifest matches it. */
  static CprManifest assertValidCheckpoint(Path state) throws IOException {
    CprManifest m = CprManifest.read(state).orElseThrow();
    assertThat(m.stateFileSize()).isEqualTo(Files.size(state));
    assertThat(m.stateFileSha256()).isEqualTo(sha256(state));
    return m;
  }

  /** No {@code .partial} file and no manifest temp file beside {@code state}. */
  static void assertNoPartialFiles(Path state) throws IOException {
    assertThat(filesIn(state.getParent()))
        .noneMatch(n -> n.endsWith(".partial"))
        .noneMatch(n -> n.endsWith(".tmp"));
  }
}
