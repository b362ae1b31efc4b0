package io.github.qemucpr.qmp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.qemucpr.qmp.event.QmpEvent;
import io.github.qemucpr.testing.FakeQmpServer;
import io.github.qemucpr.testing.Responders;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * {@link QmpClient#reconnect}: a monitor that goes away and answers again on the same path, as
 * QEMU's does when it re-executes for cpr-exec. The path is a symbolic link that the test points at
 * one fake server, then at nothing, a non-socket (refused), and a second server.
 */
class QmpReconnectTest {

  private final FakeQmpServer first = FakeQmpServer.start();
  private final FakeQmpServer second = FakeQmpServer.start();
  private final List<QmpClient> clients = new ArrayList<>();
  @TempDir Path dir;

  @AfterEach
  void tearDown() {
    clients.forEach(QmpClient::close);
    first.close();
    second.close();
    ThreadLeaks.assertNoClientThreads();
  }

  private Path link() {
    return dir.resolve("qmp.sock");
  }

  private void pointAt(Path target) throws IOException {
    Path tmp = dir.resolve("qmp.sock.new");
    Files.deleteIfExists(tmp);
    Files.createSymbolicLink(tmp, target);
    Files.move(tmp, link(), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
  }

  private QmpClient track(QmpClient c) {
    clients.add(c);
    return c;
  }

  @Test
  void connectsAgainOnceTheSocketIsBackAndFailsThePendingCall() throws Exception {
    pointAt(first.socketPath());
    first.on("migrate", (req, ex) -> {}); // never answers: the call is pending when QEMU goes
    second.on("query-status", Responders.returns("{\"running\":true,\"status\":\"running\"}"));
    QmpClient old = track(QmpClient.connect(link()));
    CompletableFuture<JsonNode> pending = old.executeAsync("migrate", null, Duration.ofSeconds(30));
    first.awaitConnection();
    assertThat(first.takeRequest().command()).isEqualTo("qmp_capabilities");
    assertThat(first.takeRequest().command()).isEqualTo("migrate");

    Files.delete(link()); // the socket is absent for a while
    first.disconnect();
    CompletableFuture.runAsync(
        () -> {
          try {
            Thread.sleep(300);
            pointAt(second.socketPath());
          } catch (Exception e) {
            throw new IllegalStateException(e);
          }
        });

    QmpReconnection again = QmpClient.reconnect(old, Duration.ofSeconds(5));
    QmpClient qmp = track(again.client());

    assertThatThrownBy(() -> pending.get(5, TimeUnit.SECONDS))
        .hasCauseInstanceOf(QmpConnectionClosedException.class);
    assertThat(old.isOpen()).isFalse();
    assertThat(again.closeCause()).isInstanceOf(QmpConnectionClosedException.class);
    assertThat(again.attempts()).isGreaterThan(1);
    assertThat(again.gap()).isPositive();
    assertThat(qmp.isOpen()).isTrue();
    assertThat(qmp.describePeer()).isEqualTo(old.describePeer());
    // Both fake servers run in this JVM: the peer is this process, as the kernel says.
    assertThat(qmp.peerProcessId()).hasValue(ProcessHandle.current().pid());
    assertThat(old.peerProcessId()).hasValue(ProcessHandle.current().pid());
    assertThat(qmp.execute("query-status", null).get("status").asString()).isEqualTo("running");
    assertThat(second.commandNames()).containsExactly("query-status");
  }

  @Test
  void retriesWhileTheSocketRefusesOrClosesDuringTheGreeting() throws Exception {
    Path notASocket = Files.createFile(dir.resolve("plain-file"));
    pointAt(first.socketPath());
    QmpClient old = track(QmpClient.connect(link()));
    first.awaitConnection();
    pointAt(notASocket); // connect() is refused
    first.disconnect();
    // The next server accepts once and hangs up during the negotiation, as a QEMU about to
    // re-execute does, then serves.
    second.enqueue("qmp_capabilities", (req, ex) -> ex.disconnect());
    CompletableFuture.runAsync(
        () -> {
          try {
            Thread.sleep(100);
            pointAt(second.socketPath());
          } catch (Exception e) {
            throw new IllegalStateException(e);
          }
        });

    QmpReconnection again = QmpClient.reconnect(old, Duration.ofSeconds(5));
    track(again.client());

    assertThat(second.connections()).isEqualTo(2);
    assertThat(again.client().isOpen()).isTrue();
  }

  @Test
  void waitsForTheOldConnectionToCloseAndKeepsTheSettings() throws Exception {
    pointAt(first.socketPath());
    BlockingQueue<QmpEvent> seen = new LinkedBlockingQueue<>();
    QmpClient old =
        track(
            QmpClient.builder().unixSocket(link()).name("vm7").eventListener(seen::add).connect());
    first.awaitConnection();
    // QEMU closes the monitor a little after the caller asks to reconnect.
    CompletableFuture.runAsync(
        () -> {
          try {
            Thread.sleep(100);
            pointAt(second.socketPath());
            first.disconnect();
          } catch (Exception e) {
            throw new IllegalStateException(e);
          }
        });

    QmpClient qmp = track(QmpClient.reconnect(old, Duration.ofSeconds(5)).client());
    second.sendEvent("RESUME", null);

    assertThat(seen.poll(5, TimeUnit.SECONDS).name()).isEqualTo("RESUME");
    assertThat(qmp.toString()).contains(link().toString());
    assertThat(first.connections()).isEqualTo(1);
  }

  @Test
  void anOldConnectionThatStaysOpenIsATimeout() throws Exception {
    pointAt(first.socketPath());
    QmpClient old = track(QmpClient.connect(link()));

    assertThatThrownBy(() -> QmpClient.reconnect(old, Duration.ofMillis(200)))
        .isInstanceOf(QmpTimeoutException.class)
        .hasMessageContaining("still open")
        .hasMessageContaining(link().toString());
    assertThat(old.isOpen()).isTrue();
  }

  @Test
  void aSocketThatNeverComesBackIsATimeoutNamingTheLastError() throws Exception {
    pointAt(first.socketPath());
    QmpClient old = track(QmpClient.connect(link()));
    first.awaitConnection();
    Files.delete(link());
    first.disconnect();

    assertThatThrownBy(() -> QmpClient.reconnect(old, Duration.ofMillis(300)))
        .isInstanceOf(QmpTimeoutException.class)
        .hasMessageContaining(link().toString())
        .hasMessageContaining("attempts")
        .hasMessageContaining("cannot connect");
  }

  @Test
  void aPeerThatIsNotQmpIsNotRetried() throws Exception {
    pointAt(first.socketPath());
    QmpClient old = track(QmpClient.connect(link()));
    first.awaitConnection();
    second.greeting("{\"hello\": 1}");
    pointAt(second.socketPath());
    first.disconnect();

    assertThatThrownBy(() -> QmpClient.reconnect(old, Duration.ofSeconds(5)))
        .isInstanceOf(QmpProtocolException.class);
    assertThat(second.connections()).isEqualTo(1);
  }

  @Test
  void checksItsArguments() throws Exception {
    pointAt(first.socketPath());
    QmpClient old = track(QmpClient.connect(link()));

    assertThatThrownBy(() -> QmpClient.reconnect(old, Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("timeout");
    assertThat(old.isOpen()).isTrue();
  }
}
