package io.github.qemucpr.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.github.qemucpr.testing.FakeQmpServerProtocolTest.Raw;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;

/** How {@link FakeQmpServer} handles its connections: greeting, stuck clients, events, freezing. */
class FakeQmpServerConnectionTest {

  private static byte[] readAll(SocketChannel channel) throws IOException {
    InputStream in = Channels.newInputStream(channel);
    ByteArrayOutputStream all = new ByteArrayOutputStream();
    in.transferTo(all);
    return all.toByteArray();
  }

  @Test
  void awaitConnectionReturnsOnlyOnceTheGreetingWasSent() throws Exception {
    String greeting =
        "{\"QMP\": {\"version\": {}, \"capabilities\": [], \"pad\": \""
            + "x".repeat(4 << 20)
            + "\"}}";
    try (FakeQmpServer server = FakeQmpServer.start().greeting(greeting);
        SocketChannel client = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      client.connect(UnixDomainSocketAddress.of(server.socketPath()));
      // the client reads only a little later, so the greeting's write is still blocked for a while
      CompletableFuture<byte[]> read =
          CompletableFuture.supplyAsync(
              () -> {
                try {
                  Thread.sleep(300);
                  return readAll(client);
                } catch (IOException | InterruptedException e) {
                  throw new IllegalStateException(e);
                }
              });
      server.awaitConnection();
      server.disconnect();
      String got = new String(read.get(20, TimeUnit.SECONDS), StandardCharsets.UTF_8);
      assertThat(got).as("the whole greeting, then the hang-up").isEqualTo(greeting + "\n");
    }
  }

  @Test
  void aClientThatStopsReadingIsDroppedInsteadOfHangingTheTest() throws Exception {
    try (FakeQmpServer server = FakeQmpServer.start().writeTimeout(Duration.ofMillis(200));
        Raw stuck = new Raw(server.socketPath()).negotiated()) {
      String big = "\"" + "y".repeat(8 << 20) + "\"";
      assertTimeoutPreemptively(Duration.ofSeconds(30), () -> server.send(big));
      // the fake hung up on it: the client reads what was buffered, then the end of the stream
      assertTimeoutPreemptively(Duration.ofSeconds(30), () -> readAll(stuck.channel));
      try (Raw next = new Raw(server.socketPath())) {
        assertThat(server.connections()).isEqualTo(2);
      }
    }
  }

  @Test
  void eventsGoToANegotiatedClientAtAnyTimeAndAreDroppedOtherwise() throws IOException {
    try (FakeQmpServer server = FakeQmpServer.start()) {
      assertThat(server.emitEvent("SUSPEND", null)).as("nobody connected").isFalse();
      try (Raw c = new Raw(server.socketPath())) {
        server.awaitConnection();
        assertThat(server.emitEvent("SUSPEND", null)).as("not negotiated").isFalse();
        c.negotiated();
        assertThat(server.emitEvent("WAKEUP", null)).isTrue();
        assertThat(c.next().path("event").asString()).isEqualTo("WAKEUP");
      }
    }
  }

  @Test
  void aServerThatStopsAcceptingLeavesClientsUngreetedUntilItResumes() throws Exception {
    try (FakeQmpServer server = FakeQmpServer.start();
        SocketChannel client = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      server.stopAccepting();
      client.connect(UnixDomainSocketAddress.of(server.socketPath()));
      InputStream in = Channels.newInputStream(client);
      CompletableFuture<Integer> first =
          CompletableFuture.supplyAsync(
              () -> {
                try {
                  return in.read();
                } catch (IOException e) {
                  throw new IllegalStateException(e);
                }
              });
      try {
        first.get(500, TimeUnit.MILLISECONDS);
        throw new AssertionError("a frozen server greeted");
      } catch (TimeoutException expected) {
        // nothing arrives
      } catch (ExecutionException e) {
        throw new AssertionError(e);
      }
      assertThat(server.connections()).isZero();
      server.resumeAccepting();
      assertThat(first.get(20, TimeUnit.SECONDS)).isEqualTo((int) '{');
    }
  }
}
