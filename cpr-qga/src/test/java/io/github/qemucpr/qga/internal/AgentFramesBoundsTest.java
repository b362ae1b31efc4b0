package io.github.qemucpr.qga.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.qemucpr.qga.GuestAgentConnectionClosedException;
import io.github.qemucpr.qmp.internal.wire.LineChannel;
import io.github.qemucpr.qmp.internal.wire.Transport;
import java.io.FileDescriptor;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The agent reader's bounds (issue 11, item 1), on {@link AgentFrames} itself with an endless
 * stream from a guest that sends as fast as it is read: a command waits (armed) and has not taken
 * anything yet, as while it writes its request or parses an earlier line.
 */
@Timeout(60)
class AgentFramesBoundsTest {

  private EndlessTransport transport;
  private AgentFrames frames;
  private LineChannel channel;

  @AfterEach
  void tearDown() throws InterruptedException {
    if (frames != null) {
      frames.end();
      channel.close();
      channel.join(Duration.ofSeconds(10));
    }
  }

  private AgentFrames start(String pattern) throws InterruptedException {
    transport = new EndlessTransport(pattern.getBytes(StandardCharsets.ISO_8859_1));
    frames =
        new AgentFrames(
            "review",
            1024 * 1024,
            new AtomicReference<@Nullable GuestAgentConnectionClosedException>());
    channel = new LineChannel(transport, "qga-review-reader", frames::readAll, frames::ended);
    frames.arm();
    channel.start();
    awaitReaderBlocked();
    return frames;
  }

  /** Waits until the reader stops for room in the full queue. */
  private void awaitReaderBlocked() throws InterruptedException {
    while (channel.readerThread().getState() != Thread.State.WAITING) {
      Thread.sleep(10);
    }
  }

  /**
   * The queue's bound counts what each line costs to hold, not its bytes only: a {@code Line}
   * record, its array and a slot in the deque, about 45 bytes for a 1-byte line. When it counted
   * the bytes only, a guest that sends one-byte lines ({@code "1\n"}) made the reader hold about a
   * million of them for its "1 MiB": some 45 MiB.
   */
  @Test
  void oneByteLinesQueuedForAWaitingCommandStayWithinTheByteBound() throws Exception {
    long before = usedAfterGc();
    start("1\n");
    long held = usedAfterGc() - before;

    assertThat(held)
        .as("heap held by the frames queued for one waiting command, in bytes")
        .isLessThan(8L * 1024 * 1024);
  }

  /**
   * {@code next(deadline)} returns null once its deadline has passed, even while frames are queued.
   * Every loop that waits for the agent (a reply, a sync answer, the acceptance of a command
   * without reply) relies on that null to end at its timeout. It used to hand frames out until the
   * queue was empty, so a guest that kept the queue filled with stale lines kept the command
   * waiting, and holding the turn, for as long as it sent. (Measured end to end against {@code
   * FakeGuestAgent}: a 500 ms sync timeout ended after 1 to 27 s, depending only on when the
   * consumer happened to find the queue empty.)
   */
  @Test
  void nextReturnsNothingOnceItsDeadlineHasPassed() throws Exception {
    start("{\"return\": {}, \"id\": 1}\n");
    long past = System.nanoTime() - 1;

    assertThat(frames.next(past)).as("next() with a deadline that has passed").isNull();
  }

  private static long usedAfterGc() throws InterruptedException {
    Runtime runtime = Runtime.getRuntime();
    long used = Long.MAX_VALUE;
    for (int i = 0; i < 3; i++) {
      System.gc();
      Thread.sleep(50);
      used = Math.min(used, runtime.totalMemory() - runtime.freeMemory());
    }
    return used;
  }

  /** A transport whose input repeats a pattern for ever, until closed. */
  private static final class EndlessTransport implements Transport {
    private final byte[] pattern;
    private volatile boolean closed;

    EndlessTransport(byte[] pattern) {
      this.pattern = pattern;
    }

    @Override
    public InputStream input() {
      return new InputStream() {
        private int next;

        @Override
        public int read() throws IOException {
          byte[] one = new byte[1];
          return read(one, 0, 1) < 0 ? -1 : one[0] & 0xFF;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
          if (closed) {
            throw new IOException("closed");
          }
          for (int i = 0; i < len; i++) {
            b[off + i] = pattern[next];
            next = (next + 1) % pattern.length;
          }
          return len;
        }
      };
    }

    @Override
    public void write(byte[] bytes, List<FileDescriptor> fds) {}

    @Override
    public boolean canPassFileDescriptors() {
      return false;
    }

    @Override
    public String describe() {
      return "review";
    }

    @Override
    public void close() {
      closed = true;
    }
  }
}
