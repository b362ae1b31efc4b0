package io.github.qemucpr.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Review of issue 15, item 4: what the published fakes leave behind after close(). */
class FakeCloseTest {

  @AfterEach
  void clearInterrupt() {
    Thread.interrupted();
  }

  private static List<Thread> alive(String name) {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(Thread::isAlive)
        .filter(t -> t.getName().equals(name))
        .toList();
  }

  /**
   * A test whose thread is interrupted (a JUnit timeout, a cancelled executor) closes its server in
   * a finally or try-with-resources: the interrupt must survive, and the socket and its temporary
   * directory must still go.
   */
  @Test
  void fakeQmpServerCloseKeepsTheInterruptAndRemovesItsDirectory() {
    FakeQmpServer server = FakeQmpServer.start();
    Path dir = server.socketPath().getParent();

    Thread.currentThread().interrupt();
    server.close();
    boolean stillInterrupted = Thread.interrupted();

    assertThat(stillInterrupted).as("the caller's interrupt flag survives close()").isTrue();
    assertThat(dir).as("close() removes the server's temporary directory").doesNotExist();
  }

  @Test
  void fakeGuestAgentCloseRemovesItsDirectoryEvenWhenInterrupted() {
    FakeGuestAgent agent = FakeGuestAgent.start();
    Path dir = agent.socketPath().getParent();

    Thread.currentThread().interrupt();
    agent.close();
    Thread.interrupted();

    assertThat(dir).as("close() removes the agent's temporary directory").doesNotExist();
  }

  /**
   * {@link FakeGuestAgent.Action#delay} is how a test plays a hung agent; closing the fake must end
   * that delay, not leave the fake's thread sleeping (and holding the connection's script) after
   * close() returned.
   */
  @Test
  void fakeGuestAgentCloseEndsAnActionThatIsStillDelaying() throws Exception {
    FakeGuestAgent agent = FakeGuestAgent.start();
    String acceptor = "fake-qga-" + agent.socketPath().getParent().getFileName();
    agent.enqueue("guest-ping", FakeGuestAgent.Action.delay(Duration.ofSeconds(60)));
    try (SocketChannel client = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      client.connect(UnixDomainSocketAddress.of(agent.socketPath()));
      client.write(
          ByteBuffer.wrap("{\"execute\": \"guest-ping\"}\n".getBytes(StandardCharsets.UTF_8)));
      assertThat(agent.takeRequest().command()).isEqualTo("guest-ping");

      agent.close();

      assertThat(alive(acceptor)).as("the fake's thread after close()").isEmpty();
    }
  }
}
