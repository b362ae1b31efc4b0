package io.github.qemucpr.qmp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.github.qemucpr.qmp.command.QueryStatus;
import io.github.qemucpr.testing.FakeQmpServer;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A write that meets a peer who closed its end (EPIPE) means QEMU ended the connection, as when it
 * exits right after an event: the call and the client say so ({@code closedByQemu}), not "closed on
 * the client's side", even when the write fails before the reader meets the end of the stream. The
 * peer here shuts down only its reading side, so the write fails deterministically while the stream
 * towards the client stays open.
 */
@Timeout(30)
class PeerClosedWriteTest {

  @TempDir Path dir;
  private ServerSocketChannel server;
  private SocketChannel accepted;
  private QmpClient qmp;

  @AfterEach
  void tearDown() throws IOException {
    if (qmp != null) {
      qmp.close();
    }
    if (accepted != null) {
      accepted.close();
    }
    if (server != null) {
      server.close();
    }
    ThreadLeaks.assertNoClientThreads();
  }

  @Test
  void aWriteToAMonitorThatStoppedReadingSaysQemuEndedTheConnection() throws Exception {
    connectToAPeerThatNegotiates(/* stopsReading= */ true);

    QmpConnectionClosedException e =
        catchThrowableOfType(
            QmpConnectionClosedException.class, () -> qmp.execute(new QueryStatus()));

    assertThat(e).as("the call fails as closed").isNotNull();
    assertThat(e.closedByQemu()).as("closed by QEMU: %s", e.getMessage()).isTrue();
    assertThat(e).hasMessageContaining("QEMU closed the QMP connection");
    Throwable reason = qmp.closeFuture().get(10, TimeUnit.SECONDS);
    assertThat(reason).isInstanceOf(QmpConnectionClosedException.class);
    assertThat(((QmpConnectionClosedException) reason).closedByQemu()).isTrue();
  }

  @Test
  void closingTheClientUnderABlockedWriteIsNotQemuEndingTheConnection() throws Exception {
    connectToAPeerThatNegotiates(/* stopsReading= */ false);

    // Far more than the socket's buffers hold: the write blocks until the client is closed.
    tools.jackson.databind.node.ObjectNode args =
        tools.jackson.databind.node.JsonNodeFactory.instance.objectNode();
    args.put("data", "x".repeat(16 << 20));
    java.util.concurrent.CompletableFuture<tools.jackson.databind.JsonNode> call =
        java.util.concurrent.CompletableFuture.supplyAsync(
                () -> qmp.executeAsync("x-big", args, Duration.ofMinutes(1)))
            .thenCompose(f -> f);
    Thread.sleep(500); // the write is under way and blocked
    assertThat(call).isNotDone();

    qmp.close();

    Throwable failure =
        catchThrowableOfType(
                java.util.concurrent.ExecutionException.class, () -> call.get(10, TimeUnit.SECONDS))
            .getCause();
    assertThat(failure).isInstanceOf(QmpConnectionClosedException.class);
    assertThat(((QmpConnectionClosedException) failure).closedByQemu())
        .as("the caller closed the client, QEMU did not: %s", failure.getMessage())
        .isFalse();
    assertThat(failure.getMessage()).doesNotContain("QEMU closed");
  }

  @Test
  void aMonitorThatClosesWithARequestUnreadSaysQemuEndedTheConnection() throws Exception {
    connectToAPeerThatNegotiates(/* stopsReading= */ false);

    // Written whole before QEMU ends: QEMU exits (or closes its monitor) without reading it, and
    // the kernel then ends the client's stream with ECONNRESET after what QEMU sent, not with EOF.
    java.util.concurrent.CompletableFuture<?> call =
        qmp.executeAsync(new QueryStatus(), Duration.ofSeconds(10));
    accepted.close();

    Throwable failure =
        catchThrowableOfType(
                java.util.concurrent.ExecutionException.class, () -> call.get(10, TimeUnit.SECONDS))
            .getCause();
    assertThat(failure).isInstanceOf(QmpConnectionClosedException.class);
    assertThat(((QmpConnectionClosedException) failure).closedByQemu())
        .as("QEMU ended the connection: %s", failure.getMessage())
        .isTrue();
    Throwable reason = qmp.closeFuture().get(10, TimeUnit.SECONDS);
    assertThat(((QmpConnectionClosedException) reason).closedByQemu()).isTrue();
  }

  /**
   * Starts a monitor that greets and negotiates as QEMU does, then reads nothing more (with {@code
   * stopsReading}, it also shuts its reading side, so that writes to it fail with EPIPE while its
   * stream to the client stays open), and connects the client to it.
   */
  private void connectToAPeerThatNegotiates(boolean stopsReading) throws Exception {
    Path socket = dir.resolve("qmp.sock");
    server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    server.bind(UnixDomainSocketAddress.of(socket));
    CountDownLatch negotiated = new CountDownLatch(1);
    Thread peer =
        new Thread(
            () -> {
              try {
                accepted = server.accept();
                write(FakeQmpServer.QEMU_10_GREETING + "\n");
                java.util.regex.Matcher id =
                    java.util.regex.Pattern.compile("\"id\"\\s*:\\s*(\\d+)").matcher(readLine());
                write("{\"return\": {}" + (id.find() ? ", \"id\": " + id.group(1) : "") + "}\n");
                if (stopsReading) {
                  accepted.shutdownInput();
                }
                negotiated.countDown();
              } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
              }
            },
            "peer-closed-write-peer");
    peer.setDaemon(true);
    peer.start();
    qmp = QmpClient.builder().unixSocket(socket).commandTimeout(Duration.ofSeconds(10)).connect();
    assertThat(negotiated.await(10, TimeUnit.SECONDS)).isTrue();
  }

  private void write(String text) throws IOException {
    ByteBuffer b = ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
    while (b.hasRemaining()) {
      accepted.write(b);
    }
  }

  private String readLine() throws IOException {
    java.io.ByteArrayOutputStream line = new java.io.ByteArrayOutputStream();
    ByteBuffer one = ByteBuffer.allocate(1);
    while (accepted.read(one.clear()) == 1 && one.get(0) != '\n') {
      line.write(one.get(0));
    }
    return line.toString(StandardCharsets.UTF_8);
  }
}
