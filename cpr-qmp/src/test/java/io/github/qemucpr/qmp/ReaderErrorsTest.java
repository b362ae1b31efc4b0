package io.github.qemucpr.qmp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.qemucpr.qmp.command.QueryStatus;
import io.github.qemucpr.testing.FakeQmpServer;
import io.github.qemucpr.testing.Responders;
import java.lang.reflect.Type;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What a call sees when the reader thread fails while it handles that call's reply: the call ends
 * at once with the failure, and never waits forever; the client closes with the cause.
 */
@Timeout(30)
class ReaderErrorsTest {

  private final FakeQmpServer server = FakeQmpServer.start();
  private QmpClient qmp;

  @AfterEach
  void tearDown() {
    if (qmp != null) {
      qmp.close();
    }
    server.close();
    ThreadLeaks.assertNoClientThreads();
  }

  /** A reply type whose decoding throws an {@code Error}, as a reply nested too deep would. */
  public record Exploding(String status) {
    public Exploding {
      throw new StackOverflowError("decoding " + status);
    }
  }

  /** A command whose reply decodes to {@link Exploding}. */
  record ExplodingQuery() implements QmpCommand<Exploding> {
    @Override
    public String name() {
      return "query-status";
    }

    @Override
    public Type replyType() {
      return Exploding.class;
    }
  }

  @Test
  void anErrorWhileDecodingAReplyFailsThatCallAtOnceAndClosesTheClientWithTheCause()
      throws Exception {
    server.on("query-status", Responders.returns("{\"status\": \"running\", \"running\": true}"));
    // The timeout is long on purpose: the call must end because of the failure, not the timeout.
    qmp =
        QmpClient.builder()
            .unixSocket(server.socketPath())
            .commandTimeout(Duration.ofMinutes(10))
            .connect();

    CompletableFuture<Exploding> call = qmp.executeAsync(new ExplodingQuery());

    ExecutionException failure =
        org.junit.jupiter.api.Assertions.assertThrows(
            ExecutionException.class, () -> call.get(10, TimeUnit.SECONDS));
    assertThat(failure.getCause()).isInstanceOf(StackOverflowError.class);
    Throwable closedBecause = qmp.closeFuture().get(10, TimeUnit.SECONDS);
    assertThat(closedBecause)
        .isInstanceOf(QmpConnectionClosedException.class)
        .hasMessageContaining("failed unexpectedly")
        .hasRootCauseInstanceOf(StackOverflowError.class);
    assertThat(qmp.isOpen()).isFalse();
    assertThatThrownBy(() -> qmp.execute(new QueryStatus()))
        .isInstanceOf(QmpConnectionClosedException.class);
  }
}
